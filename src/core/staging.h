// A private temp directory (under $TMPDIR, else /tmp) removed with everything in it when it goes
// out of scope.
#pragma once

#include <string>

#include "core/error.h"

namespace cuslim {

class Staging {
 public:
  static Result<Staging> make();
  Staging(Staging&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;
  ~Staging();
  const std::string& path() const { return path_; }

 private:
  explicit Staging(std::string p) : path_(std::move(p)) {}
  std::string path_;
};

}  // namespace cuslim
