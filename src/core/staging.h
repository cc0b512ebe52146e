// A private temp directory (under $TMPDIR, else /tmp) removed with everything in it when it goes
// out of scope. Its name carries the owner's pid (cuslim-run-PID-XXXXXX) and the owner holds a
// flock on it, so that make() can remove the directories of runs that were killed (SIGKILL gives
// no chance to clean up) without touching one that is still in use.
#pragma once

#include <string>

#include "core/error.h"
#include "core/signal_cleanup.h"
#include "core/unique_fd.h"

namespace cuslim {

class Staging {
 public:
  static Result<Staging> make();
  Staging(Staging&& o) noexcept : path_(std::move(o.path_)), lock_(std::move(o.lock_)), on_signal_(std::move(o.on_signal_)) { o.path_.clear(); }
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;
  ~Staging();
  const std::string& path() const { return path_; }

 private:
  Staging(std::string p, UniqueFd lock) : path_(std::move(p)), lock_(std::move(lock)), on_signal_(path_) {}
  std::string path_;
  UniqueFd lock_;  // flock(LOCK_EX) on the directory for as long as it is in use
  SignalCleanup on_signal_;  // removed on SIGINT/SIGTERM/SIGHUP outside a sandboxed run too
};

// The pid in a staging directory's name "cuslim-run-PID-XXXXXX" (exactly that pattern: PID all
// digits without a leading zero, six letters or digits from mkdtemp); 0 for any other name.
int staging_owner_pid(const std::string& name);

// Removes the staging directories under `dir` left by runs that died: the name matches exactly,
// it is a directory (not a symlink) owned by this user, its owner pid is gone
// (kill(pid, 0) fails with ESRCH) and nobody holds its lock. Returns how many it removed.
int remove_stale_staging(const std::string& dir);

}  // namespace cuslim
