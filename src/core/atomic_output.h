// Atomic output: everything is written under a temp name beside OUT and renamed over it only on
// commit(). Destroyed without commit, the temp is removed: an interrupted or failed run leaves
// no OUT, or the old OUT untouched. commit() replaces only what was at OUT when the output
// started (what the output guard judged): a file or directory that appeared there meanwhile, or
// an empty directory that got files, is left as it is and commit() fails (`appeared()` says so). SIGINT/SIGTERM/SIGHUP remove the temp too; temps that a
// killed (SIGKILL) run left beside OUT are removed when the next AtomicOutput for OUT starts.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "core/signal_cleanup.h"

namespace cuslim {

class AtomicOutput {
 public:
  explicit AtomicOutput(std::string out);
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  const std::string& temp() const { return temp_; }  // write here (file or directory)
  const std::string& out() const { return out_; }
  Status commit();  // rename temp over out (a directory OUT is replaced whole)
  // After a failed commit(): OUT was not what it was when the output started (another run wrote it).
  bool appeared() const { return appeared_; }
  // `e` as the user should read it: the temp name (and scratch paths) said as OUT, the path asked for.
  Error as_out(const Error& e) const;
  // A scratch path (a staging dir beside the temp) removed with the temp, committed or not.
  void own_also(std::string scratch) {
    on_signal_.emplace_back(scratch);
    scratch_.push_back(std::move(scratch));
  }

 private:
  std::string out_, temp_;
  std::vector<std::string> scratch_;
  std::vector<SignalCleanup> on_signal_;
  bool committed_ = false, appeared_ = false;
  struct Before {
    bool exists = false, empty_dir = false;
    dev_t dev = 0;
    ino_t ino = 0;
  } before_;
};

// Removes a file or a directory tree; errors are ignored (cleanup).
void remove_tree(const std::string& path);

}  // namespace cuslim
