#include "sandbox/sandbox_init.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <initializer_list>

namespace cuslim {

namespace {

sigset_t waited_signals() {
  sigset_t set;
  sigfillset(&set);
  // Raised by a fault in the init itself: blocking them would hide the fault.
  for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS}) sigdelset(&set, s);
  return set;
}

int status_code(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); }

}  // namespace

sigset_t init_block_signals() {
  sigset_t set = waited_signals(), old;
  ::sigprocmask(SIG_BLOCK, &set, &old);
  ::signal(SIGCHLD, SIG_DFL);  // an inherited SIG_IGN would reap children behind our back
  return old;
}

void init_supervise(pid_t program) {
  sigset_t set = waited_signals();
  for (;;) {
    siginfo_t info;
    int sig = ::sigwaitinfo(&set, &info);
    if (sig < 0) continue;  // EINTR
    if (sig != SIGCHLD) {
      if (info.si_code != SI_KERNEL) ::kill(program, sig);
      continue;
    }
    int st = 0;
    for (pid_t p; (p = ::waitpid(-1, &st, WNOHANG)) > 0;)
      if (p == program) _exit(status_code(st));
  }
}

}  // namespace cuslim
