#include "sandbox/sandbox.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <set>
#include <string_view>

#include "core/exec_path.h"
#include "core/in_root.h"
#include "core/path.h"
#include "core/unique_fd.h"
#include "sandbox/sandbox_init.h"
#include "sandbox/signal_forwarding.h"
#include "sandbox/terminal_handoff.h"
#include "sandbox/tree_copy.h"

namespace cuslim {

namespace {

// In the child: report "what: path: strerror" through the pipe and exit.
[[noreturn]] void child_fail(int fd, const std::string& msg) {
  (void)!::write(fd, msg.data(), msg.size());
  _exit(127);
}

[[noreturn]] void child_fail(int fd, const std::string& what, const std::string& where, int err) {
  child_fail(fd, what + ": " + where + ": " + std::strerror(err));
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

// The host path of `inside` (an absolute path in the image) under `root`, with the image's
// symlinks resolved inside the root: a link of the image (a /tmp, a library dir, /.cuslim leading
// to a host path or up with ..) never takes a mount point, a created file or an unlink out of it.
std::string in_root(int err_fd, const std::string& root, const std::string& inside) {
  auto r = resolve_in_root(root, inside, MissingComponent::keep);
  if (!r) child_fail(err_fd, "the image's " + inside + ": " + r.error().message());
  return root + *r;
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

// Dies with SIGKILL when the process that forked us dies (PR_SET_PDEATHSIG fires on the death of
// the parent *thread*: run_sandbox() forks and waits in one thread). `parent_alive` closes the
// race where the parent died before the prctl.
void die_with_parent(int err_fd, bool parent_alive) {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(err_fd, "prctl", "PR_SET_PDEATHSIG", errno);
  if (!parent_alive) _exit(128 + SIGKILL);
}

// Whether the process holding the write end of `life_fd` (our parent) still lives: getppid()
// cannot tell in a new pid namespace, where the parent is outside and reads as 0.
bool writer_alive(int life_fd) {
  struct pollfd p = {life_fd, POLLIN, 0};
  return !(::poll(&p, 1, 0) > 0 && (p.revents & POLLHUP));
}

// Fills the fresh tmpfs at `tmp` with what the image carries under /tmp (`image_tmp`, the
// directory the tmpfs now hides), so the program finds it; writes stay in the tmpfs.
void seed_tmp(int err_fd, int image_tmp, const std::string& tmp) {
  UniqueFd fresh(::open(tmp.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fresh) child_fail(err_fd, "open", tmp, errno);
  if (auto f = copy_tree(image_tmp, fresh.get(), "/tmp")) child_fail(err_fd, "copying the image's /tmp: " + f->what, f->path, f->err);
}

// Builds the sandbox's root (mounts and symlinks) and returns where; the rootfs is only read.
std::string build_root(const SandboxSpec& s, int err_fd) {
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
  // The terminal the program inherits (a pty of the caller's): bound at its own path, so ttyname()
  // and `tty` name it inside as outside; no other pty of the host is reachable.
  std::set<std::string> ttys;
  for (int fd : {0, 1, 2})
    if (char name[64]; ::isatty(fd) && ::ttyname_r(fd, name, sizeof name) == 0 && std::string_view(name).starts_with("/dev/pts/")) ttys.insert(name);
  for (auto& t : ttys) bind(err_fd, t, root + t, false);
  // The links every container runtime makes (runc's defaults): /dev/stdout names the process's own
  // stdout, not a file on this tmpfs; bash's process substitution opens /dev/fd/N.
  for (auto [link, target] : {std::pair{"/dev/fd", "/proc/self/fd"}, {"/dev/stdin", "/proc/self/fd/0"}, {"/dev/stdout", "/proc/self/fd/1"},
                              {"/dev/stderr", "/proc/self/fd/2"}})
    if (std::string at = root + link; ::symlink(target, at.c_str()) != 0) child_fail(err_fd, "symlink", at, errno);
  // POSIX shared memory (NCCL's intra-node transport, CUDA IPC) and a read-only /sys (NCCL and the
  // driver read the PCI topology there), as container runtimes provide them.
  mkdirs(root + "/dev/shm");
  if (::mount("shm", (root + "/dev/shm").c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0) child_fail(err_fd, "mount /dev/shm tmpfs", root + "/dev/shm", errno);
  if (::access("/sys/devices", F_OK) == 0) bind(err_fd, "/sys", root + "/sys", true);
  if (!s.tmp_from_image) {  // a symlink is never touched here: on the host side it would lead out of the root
    mkdirs(root + "/tmp");
    // Opened before the tmpfs hides it.
    UniqueFd image_tmp(::open((root + "/tmp").c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (::mount("tmpfs", (root + "/tmp").c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0) child_fail(err_fd, "mount /tmp tmpfs", root + "/tmp", errno);
    if (image_tmp) seed_tmp(err_fd, image_tmp.get(), root + "/tmp");
  }
  for (auto& b : s.binds) bind(err_fd, b.source, in_root(err_fd, root, b.target), b.readonly);
  for (auto& l : s.symlinks) {  // the link itself replaces what is there: only its directory is resolved
    std::string dir = in_root(err_fd, root, path::dirname(l.path)), at = path::join(dir, path::basename(l.path));
    mkdirs(dir);
    ::unlink(at.c_str());
    if (::symlink(l.target.c_str(), at.c_str()) != 0) child_fail(err_fd, "symlink", l.path, errno);
  }
  return root;
}

void enter_root(int err_fd, const std::string& root) {
  std::string old = root + "/.cuslim-oldroot";
  mkdirs(old);
  if (::syscall(SYS_pivot_root, root.c_str(), old.c_str()) != 0) child_fail(err_fd, "pivot_root", root, errno);
  if (::chdir("/") != 0) child_fail(err_fd, "chdir", "/", errno);
  if (::umount2("/.cuslim-oldroot", MNT_DETACH) != 0) child_fail(err_fd, "detach old root", "/.cuslim-oldroot", errno);
  ::rmdir("/.cuslim-oldroot");
}

// The program, a child of the init: its working directory, output, and exec.
[[noreturn]] void exec_program(const SandboxSpec& s, int err_fd) {
  if (::chdir(s.cwd.c_str()) != 0 && errno == ENOENT) mkdirs(s.cwd);  // a WorkingDir the image lacks: made, as docker does
  if (::chdir(s.cwd.c_str()) != 0) child_fail(err_fd, "chdir", s.cwd, errno);
  if (s.user) {  // groups, then the group, then the user: after setuid none of these is allowed
    if (::setgroups(s.user->groups.size(), s.user->groups.data()) != 0) child_fail(err_fd, "setgroups", "the image's User", errno);
    if (::setgid(s.user->gid) != 0) child_fail(err_fd, "setgid", std::to_string(s.user->gid), errno);
    if (::setuid(s.user->uid) != 0) child_fail(err_fd, "setuid", std::to_string(s.user->uid), errno);
  }
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
  if (prog.empty()) child_fail(err_fd, "exec", "'' (an empty program name)", ENOENT);  // 127, as a shell says
  if (prog.find('/') == std::string::npos) {  // PATH lookup inside the new root: executable files, not directories
    std::string search = path_from_env(s.env);
    struct stat st;
    for (auto& d : path::split_list(search))
      if (std::string at = path::join(d, prog); ::stat(at.c_str(), &st) == 0 && !S_ISDIR(st.st_mode) && ::access(at.c_str(), X_OK) == 0) {
        prog = path::join(d, prog);
        break;
      }
  }
  ::execve(prog.c_str(), argv.data(), envp.data());
  child_fail(err_fd, "exec", prog + " (inside the sandbox)", errno);
}

// pid 1 of the new namespaces: build the root, pivot into it, start the program and supervise it.
[[noreturn]] void init_process(const SandboxSpec& s, int err_fd, int life_fd, const SignalForwarding& forwarding) {
  init_block_signals();
  die_with_parent(err_fd, writer_alive(life_fd));
  enter_root(err_fd, build_root(s, err_fd));
  pid_t program = ::fork();
  if (program < 0) child_fail(err_fd, "fork", "the program", errno);
  if (program == 0) {
    forwarding.restore_in_child();  // the caller's dispositions and mask, as a plain exec would
    exec_program(s, err_fd);
  }
  ::close(err_fd);  // the caller reads until the program's exec closes the last copy
  init_supervise(program);
}

// The first child: enters the namespaces, forks their pid 1, passes signals on and reports its
// status. It stays outside the new pid namespace, so it knows pid 1 by its host pid.
[[noreturn]] void outer_process(const SandboxSpec& s, int err_fd, pid_t parent, SignalForwarding& forwarding) {
  forwarding.leave_terminal_signals();
  die_with_parent(err_fd, ::getppid() == parent);
  uid_t uid = ::getuid();
  gid_t gid = ::getgid();
  int flags = CLONE_NEWNS | CLONE_NEWPID | (s.user_namespace ? CLONE_NEWUSER : 0);
  if (::unshare(flags) != 0) child_fail(err_fd, "unshare", s.user_namespace ? "user+mount+pid namespaces" : "mount+pid namespaces", errno);
  if (s.user_namespace) {
    write_map(err_fd, "/proc/self/setgroups", "deny");
    write_map(err_fd, "/proc/self/uid_map", "0 " + std::to_string(uid) + " 1");
    write_map(err_fd, "/proc/self/gid_map", "0 " + std::to_string(gid) + " 1");
    die_with_parent(err_fd, ::getppid() == parent);  // again: a change of credentials may clear it
  }
  int life[2];  // pid 1 holds the read end: it sees POLLHUP once we are gone
  if (::pipe2(life, O_CLOEXEC) != 0) child_fail(err_fd, "pipe", "pid 1", errno);
  pid_t init = ::fork();  // the first child in the new pid namespace is its pid 1
  if (init < 0) child_fail(err_fd, "fork", "pid 1", errno);
  if (init == 0) {
    ::close(life[1]);
    init_process(s, err_fd, life[0], forwarding);
  }
  ::close(life[0]);
  forwarding.target(init);
  ::close(err_fd);
  int st = 0;
  while (::waitpid(init, &st, 0) < 0 && errno == EINTR) {
  }
  _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

// The sandbox's pid 1 as this process sees it: the outer process's only child.
pid_t child_of(pid_t outer) {
  std::ifstream in("/proc/" + std::to_string(outer) + "/task/" + std::to_string(outer) + "/children");
  pid_t child = 0;
  return in >> child ? child : 0;
}

// Waits for the outer process; past `timeout_s` (0: never) kills the sandbox's pid 1, whose exit
// completes only once every process of its namespace is gone; the outer process then exits. (The
// outer process itself when pid 1 cannot be found: pid 1 then dies with its parent.) A stopped
// sandbox (Ctrl-Z) stops this process too, until the shell continues it. True when killed.
bool wait_or_kill(pid_t outer, unsigned timeout_s, int& st, TerminalHandoff& tty) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  for (;;) {
    pid_t r = ::waitpid(outer, &st, WUNTRACED | (timeout_s ? WNOHANG : 0));
    if (r == outer && WIFSTOPPED(st)) {
      tty.sandbox_stopped(WSTOPSIG(st));
      continue;
    }
    if (r == outer || (r < 0 && errno != EINTR)) return false;
    if (timeout_s == 0 || r < 0) continue;
    if (std::chrono::steady_clock::now() >= deadline) {
      pid_t init = child_of(outer);
      ::kill(init > 0 ? init : outer, SIGKILL);
      while (::waitpid(outer, &st, 0) < 0 && errno == EINTR) {
      }
      return true;
    }
    ::usleep(50 * 1000);
  }
}

}  // namespace

Result<int> run_sandbox(const SandboxSpec& s, bool* timed_out_out) {
  if (s.argv.empty()) return Error(Exit::usage, "run: nothing to run (the image has no Entrypoint or Cmd; give -- CMD)");
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return Error::from_errno("pipe", errno);
  UniqueFd rd(p[0]), wr(p[1]);
  pid_t self = ::getpid();
  SignalForwarding forwarding;  // from here until the program's status is in, signals go to it
  TerminalHandoff tty;          // the sandbox in a process group of its own, with the terminal if ours
  pid_t outer = ::fork();
  if (outer < 0) return Error::from_errno("fork", errno);
  if (outer == 0) {
    rd.reset();
    tty.enter_own_group();
    outer_process(s, wr.release(), self, forwarding);
  }
  tty.give_to(outer);
  forwarding.target(outer);
  wr.reset();
  std::string msg;
  char buf[512];
  for (ssize_t n; (n = ::read(rd.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    msg.append(buf, static_cast<size_t>(n));
  }
  int st = 0;
  bool timed_out = wait_or_kill(outer, s.timeout_s, st, tty);
  if (timed_out_out) *timed_out_out = timed_out;
  // The program itself could not start: 127 (not there) or 126 (not executable), as a shell says.
  if (msg.rfind("exec: ", 0) == 0)
    return Error(msg.ends_with(std::strerror(ENOENT)) ? Exit::not_found : Exit::cannot_execute, "run: " + msg);
  if (!msg.empty()) return Error(Exit::check_failed, "sandbox: " + msg);
  if (timed_out) return kSandboxTimedOut;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

}  // namespace cuslim
