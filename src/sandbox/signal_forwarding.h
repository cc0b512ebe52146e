// Passing signals on to the sandbox. While a SignalForwarding lives, SIGTERM, SIGINT, SIGHUP,
// SIGQUIT, SIGUSR1 and SIGUSR2 no longer kill this process: each one is sent on to the current
// target (the sandbox's first process), so the program decides how to end, this process waits
// for it, reports its status and runs its destructors (the run directory is removed). A signal
// that was ignored on entry stays ignored.
//
// cuslim passes on every one, a terminal's too (the sandbox runs in a process group of its own,
// terminal_handoff.h). Processes of the sandbox's group pass on none the terminal sent (si_code
// SI_KERNEL: Ctrl-C, Ctrl-\, hangup): when that group owns the terminal, the terminal signalled
// the program itself.
#pragma once

#include <signal.h>
#include <sys/types.h>

namespace cuslim {

class SignalForwarding {
 public:
  // Installs the handlers with the signals blocked; call target() after the fork to unblock them.
  SignalForwarding();
  ~SignalForwarding();  // restores the previous handlers and signal mask
  SignalForwarding(const SignalForwarding&) = delete;
  SignalForwarding& operator=(const SignalForwarding&) = delete;

  // From now on signals go to `pid`; one that arrived while blocked is sent now.
  void target(pid_t pid);

  // In a forked child that should get the caller's original dispositions and mask (the program).
  void restore_in_child() const;

  // In a forked child of the sandbox's process group: a terminal's signal is not passed on.
  void leave_terminal_signals();

 private:
  struct sigaction old_[6];
  sigset_t old_mask_;
};

// The signals passed on, for tests and the init.
inline constexpr int kForwardedSignals[6] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

}  // namespace cuslim
