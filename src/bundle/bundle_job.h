// A bundle as the user asks for it (the bundle command, a build spec): the analysis options, the
// request, a --base that may name an image, trace files, relative paths. bundle_job() settles
// those and calls bundle().
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "bundle/bundle.h"
#include "bundle/image_spec.h"

namespace cuslim {

struct BundleJob {
  AnalysisOptions analysis{.base = "scratch"};
  BundleRequest request;             // targets/includes may be relative to the working directory
  std::vector<std::string> traces;   // cuslim trace files
  std::string format;                // "" = from OUT's extension
  std::string compression;           // gzip | zstd; "" = not given (gzip)
  std::string layers = "auto";       // auto | single (image outputs; tar and dir outputs are one tree)
  std::string gpu_arch;              // "" = no pruning; "80,90"
  std::string forward_compat = "auto";   // auto | always | never
  std::string driver_version, min_driver;  // the driver(s) the image must run on ("" = not named)
  std::function<void(uint64_t done, uint64_t total)> pull_progress;  // a docker:// --base being pulled
};

// The job of an image spec; `out` (-o) overrides the spec's out. Neither given: exit 3 naming the spec.
Result<BundleJob> job_from_spec(const ImageSpec& spec, const std::string& out);

// --base names a profile (what the base image provides) or an existing image our layer is
// appended to; then classification uses scratch and the files say what the base holds. A
// docker:// base is pulled with request.registry.
Result<BundleResult> bundle_job(BundleJob job);

}  // namespace cuslim
