#include "sandbox/terminal_handoff.h"

#include <signal.h>
#include <termios.h>
#include <unistd.h>

namespace cuslim {

namespace {

// tcsetpgrp from a background group raises SIGTTOU: blocked around the call.
void set_foreground(pid_t group) {
  sigset_t ttou, old;
  sigemptyset(&ttou);
  sigaddset(&ttou, SIGTTOU);
  ::sigprocmask(SIG_BLOCK, &ttou, &old);
  (void)::tcsetpgrp(STDIN_FILENO, group);
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
}

}  // namespace

TerminalHandoff::TerminalHandoff() : owned_(::isatty(STDIN_FILENO) == 1 && ::tcgetpgrp(STDIN_FILENO) == ::getpgrp()) {}

TerminalHandoff::~TerminalHandoff() {
  if (owned_ && group_ > 0 && ::tcgetpgrp(STDIN_FILENO) == group_) set_foreground(::getpgrp());
}

void TerminalHandoff::enter_own_group() const {
  ::setpgid(0, 0);
  if (owned_) set_foreground(::getpgrp());
}

void TerminalHandoff::give_to(pid_t child) {
  group_ = child;
  ::setpgid(child, child);  // EACCES once the child has exec'd or EPERM if it did it first: fine
  if (owned_) set_foreground(child);
}

void TerminalHandoff::sandbox_stopped() {
  if (owned_ && ::tcgetpgrp(STDIN_FILENO) == group_) set_foreground(::getpgrp());
  ::kill(::getpid(), SIGSTOP);  // the shell sees its job stopped; it continues us with `fg` or `bg`
  if (owned_ && ::tcgetpgrp(STDIN_FILENO) == ::getpgrp()) set_foreground(group_);  // `fg`: ours again
  ::kill(-group_, SIGCONT);
}

}  // namespace cuslim
