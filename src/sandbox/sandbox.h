// Sandbox: a spec plus a flat syscall sequence (mount and pid namespaces, a user namespace when
// not root, pivot_root, read-only binds, device nodes, /proc, a minimal /dev with a tmpfs
// /dev/shm, a read-only /sys, a tmpfs /tmp seeded with the image's /tmp). pid 1 is a minimal
// init that runs the program as its child; the sandbox dies with the caller (PR_SET_PDEATHSIG)
// and signals sent to the caller while it waits are passed on to the program.
// Every failing syscall reports its name, its path and errno back to the parent.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace cuslim {

struct BindMount {
  std::string source;  // host path
  std::string target;  // inside the sandbox
  bool readonly = true;
};

struct Symlink {
  std::string path;    // inside the sandbox
  std::string target;
};

// Who the program runs as (the image's User): set after the root is built, before exec.
struct SandboxUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

struct SandboxSpec {
  std::string rootfs;                 // host dir
  std::string overlay_upper;          // non-empty: mount rootfs read-only under an overlay (input untouched)
  std::vector<BindMount> binds;       // files or dirs; mount points are created
  std::vector<std::string> devices;   // host device nodes bound at the same path
  std::vector<Symlink> symlinks;      // created inside before the program starts
  std::vector<std::string> argv, env;
  std::string cwd = "/";               // made when the image lacks it (as docker does)
  bool tmp_from_image = false;        // the image's /tmp is a symlink: left as it is (as docker runs it), no tmpfs
  std::optional<SandboxUser> user;    // unset: the caller's user (root inside)
  bool user_namespace = false;        // needed when not root
  int stdout_fd = -1;                 // >= 0: the program's stdout and stderr go there
  unsigned timeout_s = 0;             // > 0: the whole sandbox is killed after this many seconds
};

// The exit code of a program killed for running past SandboxSpec::timeout_s (as timeout(1)).
inline constexpr int kSandboxTimedOut = 124;

// Runs the program; returns its exit code (128 + signal when killed, kSandboxTimedOut after
// spec.timeout_s). While it runs, SIGTERM,
// SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to this process go to the program instead.
// `timed_out`, when given, tells a time-limit kill from a program that exits 124 itself.
Result<int> run_sandbox(const SandboxSpec& spec, bool* timed_out = nullptr);

}  // namespace cuslim
