// verify --gpu: cuslim's own smoke-driver first (the driver path alone, and the GPU's compute
// capability), then every smoke-* program the image carries, each run in the sandbox with only
// the host driver injected. An image that carries libnccl and no smoke-nccl gets cuslim's; an
// image that carries a Python framework gets its framework smoke (framework_smokes.h).
#pragma once

#include <optional>
#include <string>

#include "image/image_reader.h"
#include "profile/classifier.h"
#include "verify/verifier.h"

namespace cuslim {

struct GpuCheckRequest {
  std::string staging;  // a scratch directory cuslim owns (the smokes' overlay goes there)
  bool cc_given = false;  // --gpu-arch given by the user (else: the smoke's GPU is judged)
  unsigned smoke_timeout_s = 600;  // each smoke is killed and fails past this (0: no limit)
};

// Appends the GPU checks to `report`, run in `img` as the static checks read it (through an
// overlay: never unpacked or pulled a second time, never written); when the smoke told the
// compute capability and the user gave none, the arch-coverage check is redone for it. Returns
// that compute capability (0: unknown).
unsigned run_gpu_checks(const GpuCheckRequest& req, const UnpackedImage& img, const Classifier& c, VerifyReport& report);

// "9.0" -> 90, from a smoke's JSON line {"compute_capability": "9.0", ...}; nullopt otherwise.
std::optional<unsigned> compute_capability_of(const std::string& smoke_json_line);

}  // namespace cuslim
