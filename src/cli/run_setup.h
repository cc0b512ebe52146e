// Shared by run and verify: unpack an image into a staging dir and build the sandbox spec, with
// the host driver injected per --gpu.
#pragma once

#include <string>
#include <vector>

#include "image/image_reader.h"
#include "sandbox/driver_injection.h"
#include "sandbox/sandbox.h"

namespace cuslim::cli {

// A temp dir removed when it goes out of scope.
class Staging {
 public:
  static Result<Staging> make();
  Staging(Staging&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  ~Staging();
  const std::string& path() const { return path_; }

 private:
  explicit Staging(std::string p) : path_(std::move(p)) {}
  std::string path_;
};

struct PreparedRun {
  UnpackedImage image;
  SandboxSpec spec;
  std::optional<HostDriver> driver;
  std::optional<DriverInjection> injection;
  std::vector<std::string> notes;
};

Result<PreparedRun> prepare_run(const std::string& image, const std::string& tag, const std::string& gpu, const std::string& staging);

// The same for an image already unpacked; its rootfs is used through an overlay (left as it is).
Result<PreparedRun> prepare_unpacked(UnpackedImage image, const std::string& gpu, const std::string& staging);

}  // namespace cuslim::cli
