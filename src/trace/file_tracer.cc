#include "trace/file_tracer.h"
#include "sandbox/signal_forwarding.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/fs.h"
#include "core/hex.h"
#include "core/path.h"
#include "core/unique_fd.h"
#include "image/utf8_names.h"

namespace cuslim {

namespace {

// Which argument holds the path, per syscall (x86-64); -1: not a file syscall.
int path_arg(long nr) {
  switch (nr) {
#ifdef __x86_64__
    case SYS_open: case SYS_stat: case SYS_lstat: case SYS_access: case SYS_execve: case SYS_readlink: return 0;
#endif
    case SYS_openat: case SYS_newfstatat: case SYS_statx: case SYS_faccessat: case SYS_execveat: case SYS_readlinkat: return 1;
#ifdef SYS_openat2
    case SYS_openat2: return 1;
#endif
#ifdef SYS_faccessat2
    case SYS_faccessat2: return 1;
#endif
    default: return -1;
  }
}

// What a successful call did to the file: read it (open), ran it (exec) or only looked at it.
const char* access_kind(long nr) {
  switch (nr) {
#ifdef __x86_64__
    case SYS_open: return "open";
    case SYS_execve: return "exec";
#endif
    case SYS_openat: return "open";
#ifdef SYS_openat2
    case SYS_openat2: return "open";
#endif
    case SYS_execveat: return "exec";
    default: return "stat";
  }
}

// The dirfd argument of the *at calls (AT_FDCWD otherwise).
int dirfd_arg(long nr) { return path_arg(nr) == 1 ? 0 : -1; }

std::string read_string(pid_t pid, uint64_t addr) {
  std::string out;
  char buf[256];
  while (out.size() < PATH_MAX) {
    iovec local{buf, sizeof buf}, remote{reinterpret_cast<void*>(addr + out.size()), sizeof buf};
    ssize_t n = ::process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n <= 0) break;
    const void* nul = std::memchr(buf, '\0', static_cast<size_t>(n));
    if (nul) return out + std::string(buf, static_cast<const char*>(nul) - buf);
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string link_of(const std::string& p) {
  char buf[PATH_MAX];
  ssize_t n = ::readlink(p.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

struct Pending {
  long nr = -1;
  uint64_t args[6] = {};
};

// How a successful call used its path: a directory opened to be read (O_DIRECTORY: opendir,
// os.listdir, the import system's scans) is "list" -- seen, not a use of what it holds; a file
// opened only to be written (write-only, truncated, or created new: O_CREAT|O_EXCL, a temp
// file) is "write" -- the run's output, not something it needs. A read-write open of a file
// that may already exist (a database) stays "open".
const char* access_kind(const Pending& p) {
  const char* kind = access_kind(p.nr);
  if (std::strcmp(kind, "open") != 0) return kind;
  uint64_t flags = 0;
#ifdef __x86_64__
  if (p.nr == SYS_open) flags = p.args[1];
#endif
  if (p.nr == SYS_openat) flags = p.args[2];
  if (flags & O_DIRECTORY) return "list";
  if ((flags & O_ACCMODE) == O_WRONLY || (flags & O_TRUNC) || (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) return "write";
  return kind;
}

// Absolute path of a syscall's path argument, as the tracee saw it (relative to its cwd or dirfd).
std::string absolute(pid_t pid, const Pending& p) {
  std::string s = read_string(pid, p.args[path_arg(p.nr)]);
  if (s.empty() || s[0] == '/') return s;
  std::string base;
  int d = dirfd_arg(p.nr);
  int fd = d >= 0 ? static_cast<int>(p.args[d]) : AT_FDCWD;
  base = fd == AT_FDCWD ? link_of("/proc/" + std::to_string(pid) + "/cwd") : link_of("/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd));
  return base.empty() ? "" : path::normalize(path::join(base, s));
}

[[noreturn]] void exec_child(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  std::vector<char*> a, e;
  for (auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  for (auto& s : env) e.push_back(const_cast<char*>(s.c_str()));
  e.push_back(nullptr);
  ::execvpe(a[0], a.data(), e.data());
  _exit(127);
}

// One line per file and kind; a file opened after it was stat'ed gets a second line.
// The trace file itself (the audit library in the program appends to it) is not the program's.
class TraceWriter {
 public:
  TraceWriter(int fd, bool after_first_exec, std::string trace_file)
      : fd_(fd), recording_(!after_first_exec), trace_file_(std::move(trace_file)) {}
  void record(pid_t pid, const std::string& path, const char* how) {
    if (std::strcmp(how, "exec") == 0) recording_ = true;
    if (!recording_ || path.empty() || path == trace_file_ || !seen_.insert(std::string(how) + path).second) return;
    // A name that is not UTF-8 cannot be a JSON string: shown with U+FFFD, its exact bytes in
    // "path_hex" (read_trace takes those).
    nlohmann::json j{{"event", "file"}, {"pid", pid}, {"path", path}, {"how", how}};
    if (!valid_utf8(path)) j["path_hex"] = to_hex(path);
    std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    (void)!::write(fd_, line.data(), line.size());
  }

 private:
  int fd_;
  bool recording_;
  std::string trace_file_;
  std::set<std::string> seen_;
};

// The tracer's loop: every syscall stop of every task until the last one is gone.
int trace_loop(pid_t child, TraceWriter& w) {
  std::map<pid_t, Pending> pending;
  // An exec's path, read at its entry (the memory is gone after), recorded only when it succeeds
  // (PTRACE_EVENT_EXEC): execvp's tries along PATH are not programs that ran.
  std::map<pid_t, std::string> execs;
  int exit_code = 0, st = 0;
  while (true) {
    pid_t pid = ::waitpid(-1, &st, __WALL);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: every traced process is gone
    }
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
      if (pid == child) exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      pending.erase(pid);
      continue;
    }
    if (!WIFSTOPPED(st)) continue;
    int sig = WSTOPSIG(st), deliver = 0;
    if (sig == (SIGTRAP | 0x80)) {  // a syscall stop: entry or exit
      __ptrace_syscall_info info{};
      if (::ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info) > 0) {
        if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
          Pending p;
          p.nr = static_cast<long>(info.entry.nr);
          for (int i = 0; i < 6; ++i) p.args[i] = info.entry.args[i];
          if (path_arg(p.nr) >= 0) pending[pid] = p;
          else pending.erase(pid);
          if (std::strcmp(access_kind(p.nr), "exec") == 0) execs[pid] = absolute(pid, p);
        } else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
          auto it = pending.find(pid);
          if (info.exit.is_error) execs.erase(pid);  // a failed exec (ENOENT along PATH)
          if (it != pending.end() && !info.exit.is_error && std::strcmp(access_kind(it->second.nr), "exec") != 0)
            w.record(pid, absolute(pid, it->second), access_kind(it->second));
          pending.erase(pid);
        }
      }
    } else if (sig == SIGTRAP && (st >> 16) == PTRACE_EVENT_EXEC) {
      unsigned long former = 0;  // the execing thread's id (another thread's exec makes it the leader)
      ::ptrace(PTRACE_GETEVENTMSG, pid, nullptr, &former);
      auto it = execs.find(static_cast<pid_t>(former));
      if (it == execs.end()) it = execs.find(pid);
      if (it != execs.end()) w.record(pid, it->second, "exec"), execs.erase(it);
    } else if ((st >> 16) == PTRACE_EVENT_STOP) {
      // Seized tasks: a stopping signal's group-stop (Ctrl-Z, SIGSTOP) stays stopped, as it would
      // untraced -- PTRACE_LISTEN keeps it so while the parent's waitpid sees it, until SIGCONT;
      // any other (a new task's first stop, the end of a group-stop) goes on.
      if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
        ::ptrace(PTRACE_LISTEN, pid, nullptr, nullptr);
        continue;
      }
    } else if (sig == SIGTRAP && (st >> 16) != 0) {
      // fork/vfork/clone events: the new task is traced by the options
    } else {
      deliver = sig;  // a signal for the program, SIGSTOP included: delivered as it would be
    }
    ::ptrace(PTRACE_SYSCALL, pid, nullptr, deliver);
  }
  return exit_code;
}

}  // namespace

Result<int> trace_files_of(const std::function<int()>& child_body, const std::string& trace_file, bool after_first_exec,
                           SignalForwarding* forwarding) {
  UniqueFd out(::open(trace_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (!out) return Error::from_errno(trace_file, errno);
  pid_t child = ::fork();
  if (child < 0) return Error::from_errno("fork", errno);
  if (child == 0) {
    if (forwarding) forwarding->restore_in_child();
    ::raise(SIGSTOP);  // stopped until the tracer has seized it (SIGCONT)
    int rc = 125;
    try {  // an exception must not unwind into this copy of the caller (its destructors are the parent's)
      rc = child_body();
    } catch (...) {
    }
    _exit(rc);
  }
  int st = 0;
  if (::waitpid(child, &st, WUNTRACED) < 0 || !WIFSTOPPED(st)) return Error::from_errno("ptrace: waiting for the child", errno);
  // Seized, not PTRACE_TRACEME'd: only a seized task's group-stops can be told from signals and
  // kept (PTRACE_LISTEN), so Ctrl-Z and SIGSTOP stop a traced program as an untraced one.
  long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
  if (::ptrace(PTRACE_SEIZE, child, nullptr, opts) != 0) {
    int e = errno;
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    return Error::from_errno("ptrace(PTRACE_SEIZE)", e);
  }
  ::kill(child, SIGCONT);  // the loop sees its group-stop end and resumes it
  if (forwarding) forwarding->target(child);
  TraceWriter w(out.get(), after_first_exec, path::normalize(absolute_path(trace_file).value_or(trace_file)));
  return trace_loop(child, w);
}

Result<int> trace_files(const std::vector<std::string>& argv, const std::vector<std::string>& env, const std::string& trace_file,
                        SignalForwarding* forwarding) {
  return trace_files_of([&]() -> int { exec_child(argv, env); }, trace_file, false, forwarding);
}

}  // namespace cuslim
