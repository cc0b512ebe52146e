// Verifier: the static checks an image must pass before it ships (no toolkit file, no driver
// file, every DT_NEEDED resolvable inside the image or by the host driver, runtime vs driver,
// fatbin coverage for the GPU, a runnable entrypoint), and the report as JSON or JUnit XML.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "image/image_reader.h"
#include "profile/classifier.h"
#include "profile/cuda_compat.h"

namespace cuslim {

enum class CheckStatus { pass, fail, skip };
std::string to_string(CheckStatus s);  // "pass" | "fail" | "skip", as the JSON report spells it

struct Check {
  std::string name;
  CheckStatus status = CheckStatus::skip;
  std::string detail;
};

struct VerifyReport {
  std::vector<Check> checks;
  bool ok() const;
  nlohmann::json to_json() const;  // {"ok", "checks": [{"name", "status", "detail"}]}
  std::string junit(const std::string& suite) const;
};

struct VerifyInputs {
  std::optional<Version> driver;  // --driver-version, else the host driver's
  std::string driver_source;      // where the version came from
  std::vector<unsigned> ccs;      // compute capabilities for coverage (empty: unknown)
  std::vector<std::string> driver_needs;  // what the injected driver loads from the image
};

// The static checks on an unpacked image.
VerifyReport verify_static(const UnpackedImage& img, const Classifier& classifier, const VerifyInputs& in);

// The arch-coverage check alone (run again once a GPU smoke told the compute capability): every
// library with GPU code has code each GPU runs; an image pruned (--gpu-arch, its label) for other
// GPUs fails where the pruning removed what these GPUs run.
Check coverage_check(const UnpackedImage& img, const Classifier& classifier, const std::vector<unsigned>& ccs);

}  // namespace cuslim
