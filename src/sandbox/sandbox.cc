#include "sandbox/sandbox.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "core/path.h"
#include "core/exec_path.h"
#include "core/unique_fd.h"

namespace cuslim {

namespace {

// In the child: report "what: path: strerror" through the pipe and exit.
[[noreturn]] void child_fail(int fd, const std::string& what, const std::string& where, int err) {
  std::string msg = what + ": " + where + ": " + std::strerror(err);
  (void)!::write(fd, msg.data(), msg.size());
  _exit(127);
}

void mkdirs(const std::string& p) {
  std::string cur;
  for (auto& c : path::components(p)) {
    cur += "/" + c;
    ::mkdir(cur.c_str(), 0755);
  }
}

// Creates the mount point for `source` at `target` (a file for a file, a dir for a dir).
void mount_point(const std::string& source, const std::string& target) {
  struct stat st;
  mkdirs(path::dirname(target));
  if (::stat(source.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    mkdirs(target);
  } else {
    int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) ::close(fd);
  }
}

void bind(int err_fd, const std::string& source, const std::string& target, bool readonly) {
  mount_point(source, target);
  if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) child_fail(err_fd, "bind mount", source + " -> " + target, errno);
  unsigned long ro = MS_BIND | MS_REMOUNT | MS_NOSUID | (readonly ? MS_RDONLY : 0);
  if (readonly && ::mount(nullptr, target.c_str(), nullptr, ro, nullptr) != 0) child_fail(err_fd, "read-only remount", target, errno);
}

void write_map(int err_fd, const char* file, const std::string& text) {
  int fd = ::open(file, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) child_fail(err_fd, "writing", file, errno);
  ::close(fd);
}

// pid 1 of the new namespaces: build the root, pivot into it, exec.
[[noreturn]] void init_process(const SandboxSpec& s, int err_fd) {
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) child_fail(err_fd, "make / private", "/", errno);
  std::string root = s.rootfs;
  if (!s.overlay_upper.empty()) {  // a rootfs dir given by the user stays untouched
    std::string upper = s.overlay_upper + "/upper", work = s.overlay_upper + "/work", merged = s.overlay_upper + "/merged";
    mkdirs(upper), mkdirs(work), mkdirs(merged);
    std::string opts = "lowerdir=" + s.rootfs + ",upperdir=" + upper + ",workdir=" + work;
    if (::mount("overlay", merged.c_str(), "overlay", 0, opts.c_str()) != 0) child_fail(err_fd, "overlay mount", s.rootfs, errno);
    root = merged;
  }
  if (::mount(root.c_str(), root.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) child_fail(err_fd, "bind rootfs", root, errno);
  mkdirs(root + "/proc");
  if (::mount("proc", (root + "/proc").c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) child_fail(err_fd, "mount proc", root + "/proc", errno);
  mkdirs(root + "/dev");
  if (::mount("tmpfs", (root + "/dev").c_str(), "tmpfs", MS_NOSUID, "mode=0755,size=64k") != 0) child_fail(err_fd, "mount /dev tmpfs", root + "/dev", errno);
  for (auto* d : {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"})
    if (::access(d, F_OK) == 0) bind(err_fd, d, root + d, false);
  for (auto& d : s.devices) bind(err_fd, d, root + d, false);
  // POSIX shared memory (NCCL's intra-node transport, CUDA IPC) and a read-only /sys (NCCL and the
  // driver read the PCI topology there), as container runtimes provide them.
  mkdirs(root + "/dev/shm");
  if (::mount("shm", (root + "/dev/shm").c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0) child_fail(err_fd, "mount /dev/shm tmpfs", root + "/dev/shm", errno);
  if (::access("/sys/devices", F_OK) == 0) bind(err_fd, "/sys", root + "/sys", true);
  mkdirs(root + "/tmp");
  if (::mount("tmpfs", (root + "/tmp").c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0) child_fail(err_fd, "mount /tmp tmpfs", root + "/tmp", errno);
  for (auto& b : s.binds) bind(err_fd, b.source, root + b.target, b.readonly);
  for (auto& l : s.symlinks) {
    mkdirs(root + path::dirname(l.path));
    ::unlink((root + l.path).c_str());
    if (::symlink(l.target.c_str(), (root + l.path).c_str()) != 0) child_fail(err_fd, "symlink", l.path, errno);
  }
  std::string old = root + "/.cuslim-oldroot";
  mkdirs(old);
  if (::syscall(SYS_pivot_root, root.c_str(), old.c_str()) != 0) child_fail(err_fd, "pivot_root", root, errno);
  if (::chdir("/") != 0) child_fail(err_fd, "chdir", "/", errno);
  if (::umount2("/.cuslim-oldroot", MNT_DETACH) != 0) child_fail(err_fd, "detach old root", "/.cuslim-oldroot", errno);
  ::rmdir("/.cuslim-oldroot");
  if (::chdir(s.cwd.c_str()) != 0) child_fail(err_fd, "chdir", s.cwd, errno);
  if (s.stdout_fd >= 0) {
    ::dup2(s.stdout_fd, 1);
    ::dup2(s.stdout_fd, 2);
  }
  std::vector<char*> argv, envp;
  for (auto& a : s.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : s.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  std::string prog = s.argv[0];
  if (prog.find('/') == std::string::npos) {  // PATH lookup inside the new root
    std::string search = path_from_env(s.env);
    for (auto& d : path::split_list(search))
      if (::access(path::join(d, prog).c_str(), X_OK) == 0) {
        prog = path::join(d, prog);
        break;
      }
  }
  ::execve(prog.c_str(), argv.data(), envp.data());
  child_fail(err_fd, "exec", prog + " (inside the sandbox)", errno);
}

}  // namespace

Result<int> run_sandbox(const SandboxSpec& s) {
  if (s.argv.empty()) return Error(Exit::usage, "run: nothing to run (the image has no Entrypoint or Cmd; give -- CMD)");
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return Error::from_errno("pipe", errno);
  UniqueFd rd(p[0]), wr(p[1]);
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  pid_t outer = ::fork();
  if (outer < 0) return Error::from_errno("fork", errno);
  if (outer == 0) {
    rd.reset();
    int flags = CLONE_NEWNS | CLONE_NEWPID | (s.user_namespace ? CLONE_NEWUSER : 0);
    if (::unshare(flags) != 0) child_fail(wr.get(), "unshare", s.user_namespace ? "user+mount+pid namespaces" : "mount+pid namespaces", errno);
    if (s.user_namespace) {
      write_map(wr.get(), "/proc/self/setgroups", "deny");
      write_map(wr.get(), "/proc/self/uid_map", "0 " + std::to_string(uid) + " 1");
      write_map(wr.get(), "/proc/self/gid_map", "0 " + std::to_string(gid) + " 1");
    }
    pid_t init = ::fork();  // the first child in the new pid namespace is its pid 1
    if (init < 0) child_fail(wr.get(), "fork", "pid 1", errno);
    if (init == 0) init_process(s, wr.get());
    wr.reset();
    int st = 0;
    while (::waitpid(init, &st, 0) < 0 && errno == EINTR) {
    }
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  }
  wr.reset();
  std::string msg;
  char buf[512];
  for (ssize_t n; (n = ::read(rd.get(), buf, sizeof buf)) > 0;) msg.append(buf, static_cast<size_t>(n));
  int st = 0;
  while (::waitpid(outer, &st, 0) < 0 && errno == EINTR) {
  }
  if (!msg.empty()) return Error(Exit::check_failed, "sandbox: " + msg);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

}  // namespace cuslim
