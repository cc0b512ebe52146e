// Temp outputs are removed when cuslim is interrupted: SIGINT, SIGTERM and SIGHUP remove every
// registered path (recursively, with plain system calls only) and then end the process with the
// same signal. SIGKILL cannot be caught: what it leaves is removed by a later run
// (remove_stale_temps), which recognises cuslim's temp names and the pid of their writer.
#pragma once

#include <signal.h>

#include <string>

namespace cuslim {

// Installs the handlers once (main does it before any work).
void install_signal_cleanup();

// Registers `path` for removal on those signals while the registration lives.
class SignalCleanup {
 public:
  explicit SignalCleanup(const std::string& path);
  ~SignalCleanup();
  SignalCleanup(SignalCleanup&& o) noexcept : slot_(o.slot_) { o.slot_ = -1; }
  SignalCleanup(const SignalCleanup&) = delete;
  SignalCleanup& operator=(const SignalCleanup&) = delete;
  SignalCleanup& operator=(SignalCleanup&&) = delete;

 private:
  int slot_ = -1;
};

// Holds SIGINT, SIGTERM and SIGHUP back while it lives (a step that must not be cut in two: a
// temp created and registered, staged blobs moved in); they are delivered when it ends.
class CleanupSignalsHeld {
 public:
  CleanupSignalsHeld();
  ~CleanupSignalsHeld();
  CleanupSignalsHeld(const CleanupSignalsHeld&) = delete;
  CleanupSignalsHeld& operator=(const CleanupSignalsHeld&) = delete;

 private:
  sigset_t previous_;
};

// The temp name marker cuslim puts into every temp file or directory it writes beside an output:
// "<anything>.cuslim-tmp-<pid>[-<suffix>]" (and ".cuslim-old-<pid>-..." while replacing a directory).
// Removes, in `dir`, those of processes that are no longer alive; returns how many it removed.
int remove_stale_temps(const std::string& dir);

}  // namespace cuslim
