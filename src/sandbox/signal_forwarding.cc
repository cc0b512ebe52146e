#include "sandbox/signal_forwarding.h"

#include <atomic>
#include <cerrno>

namespace cuslim {

namespace {

// Process-wide: a handler can only reach globals. Lock-free atomics are async-signal-safe.
std::atomic<pid_t> g_target{0};
std::atomic<bool> g_leave_terminal{false};

void forward(int sig, siginfo_t* info, void*) {
  if (g_leave_terminal.load() && info && info->si_code == SI_KERNEL) return;  // the terminal signalled the program too
  int saved = errno;
  if (pid_t t = g_target.load()) ::kill(t, sig);
  errno = saved;
}

sigset_t forwarded_set() {
  sigset_t set;
  sigemptyset(&set);
  for (int s : kForwardedSignals) sigaddset(&set, s);
  return set;
}

}  // namespace

SignalForwarding::SignalForwarding() {
  sigset_t set = forwarded_set();
  ::sigprocmask(SIG_BLOCK, &set, &old_mask_);
  g_target = 0;
  struct sigaction sa = {};
  sa.sa_sigaction = forward;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigfillset(&sa.sa_mask);
  for (int i = 0; i < 6; ++i) {
    ::sigaction(kForwardedSignals[i], &sa, &old_[i]);
    // Ignored on entry (nohup, a shell's background job): it stays ignored, here and in the program.
    if (old_[i].sa_handler == SIG_IGN) ::sigaction(kForwardedSignals[i], &old_[i], nullptr);
  }
}

SignalForwarding::~SignalForwarding() {
  sigset_t set = forwarded_set();
  ::sigprocmask(SIG_BLOCK, &set, nullptr);
  g_target = 0;
  // A signal still pending here came after the sandbox ended: it gets its old meaning.
  for (int i = 0; i < 6; ++i) ::sigaction(kForwardedSignals[i], &old_[i], nullptr);
  ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
}

void SignalForwarding::target(pid_t pid) {
  g_target = pid;
  sigset_t set = forwarded_set();
  ::sigprocmask(SIG_UNBLOCK, &set, nullptr);  // pending ones are delivered (and forwarded) now
}

void SignalForwarding::leave_terminal_signals() { g_leave_terminal = true; }

void SignalForwarding::restore_in_child() const {
  for (int i = 0; i < 6; ++i) ::sigaction(kForwardedSignals[i], &old_[i], nullptr);
  ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
}

}  // namespace cuslim
