#include "sandbox/terminal_handoff.h"

#include <fcntl.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

namespace cuslim {

namespace {

// tcsetpgrp from a background group raises SIGTTOU: blocked around the call.
void set_foreground(int tty, pid_t group) {
  sigset_t ttou, old;
  sigemptyset(&ttou);
  sigaddset(&ttou, SIGTTOU);
  ::sigprocmask(SIG_BLOCK, &ttou, &old);
  (void)::tcsetpgrp(tty, group);
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
}

}  // namespace

TerminalHandoff::TerminalHandoff() : tty_(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) {}

TerminalHandoff::~TerminalHandoff() {
  if (tty_ < 0) return;
  if (group_ > 0 && ::tcgetpgrp(tty_) == group_) set_foreground(tty_, ::getpgrp());
  ::close(tty_);
}

bool TerminalHandoff::foreground() const { return tty_ >= 0 && ::tcgetpgrp(tty_) == ::getpgrp(); }

void TerminalHandoff::enter_own_group() const {
  pid_t parent_group = ::getpgrp();
  bool ours = tty_ >= 0 && ::tcgetpgrp(tty_) == parent_group;
  ::setpgid(0, 0);
  if (ours) set_foreground(tty_, ::getpgrp());
}

void TerminalHandoff::give_to(pid_t child) {
  group_ = child;
  ::setpgid(child, child);  // EACCES or EPERM when the child did it first: fine
  if (foreground()) set_foreground(tty_, child);
}

void TerminalHandoff::sandbox_stopped(int signal) {
  if ((signal == SIGTTIN || signal == SIGTTOU) && foreground()) {
    set_foreground(tty_, group_);
    ::kill(-group_, SIGCONT);
    return;
  }
  if (tty_ >= 0 && ::tcgetpgrp(tty_) == group_) set_foreground(tty_, ::getpgrp());
  ::kill(::getpid(), SIGSTOP);  // the shell sees its job stopped; it continues us with `fg` or `bg`
  if (foreground()) set_foreground(tty_, group_);  // `fg`: the terminal is ours to give
  ::kill(-group_, SIGCONT);
}

}  // namespace cuslim
