// Atomic output: everything is written under a temp name beside OUT and renamed over it only on
// commit(). Destroyed without commit, the temp is removed: an interrupted or failed run leaves
// no OUT, or the old OUT untouched. SIGINT/SIGTERM/SIGHUP remove the temp too; temps that a
// killed (SIGKILL) run left beside OUT are removed when the next AtomicOutput for OUT starts.
#pragma once

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
  bool committed_ = false;
};

// Removes a file or a directory tree; errors are ignored (cleanup).
void remove_tree(const std::string& path);

}  // namespace cuslim
