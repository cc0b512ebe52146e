// verify_image: unpack an image, run the static checks against the driver the user named (or
// the host's), and with `gpu` the smokes in the sandbox.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "report/image_contents.h"
#include "verify/verifier.h"

namespace cuslim {

struct VerifyRequest {
  std::string image, tag;
  std::string driver_version;  // "" = the host driver's, when there is one
  std::vector<unsigned> ccs;   // compute capabilities for fatbin coverage (empty: from the GPU smoke)
  bool gpu = false;
  unsigned smoke_timeout_s = 600;  // each GPU smoke (0: no limit)
  std::function<void(uint64_t done, uint64_t total)> progress;  // unpacking the image
  RegistryOptions registry;  // docker:// images: how to reach the registry
  std::function<void(uint64_t done, uint64_t total)> pull_progress;
};

// With `contents`, also what the image holds (for verify --report).
Result<VerifyReport> verify_image(const VerifyRequest& req, ImageContents* contents = nullptr);

}  // namespace cuslim
