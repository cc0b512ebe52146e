// The forward-compat step of bundle and slim: which cuda-compat set the image carries
// (--forward-compat auto|always|never against --driver-version / --min-driver), and the loader
// entry the NVIDIA hook would write for it (/etc/ld.so.conf.d/01-cuda-compat-cuslim.conf plus the
// set's sonames in the generated ld.so.cache).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "bundle/plan.h"
#include "profile/cuda_compat.h"

namespace cuslim {

enum class ForwardCompatMode {
  auto_,   // a set ships when the named driver is older than the bundled runtime needs and a set serves it
  always,  // the set matching the runtime (else the newest) ships whatever the driver
  never,   // no compat file ships, whatever brought it
};
std::optional<ForwardCompatMode> parse_forward_compat_mode(const std::string& s);  // "auto" | "always" | "never"

struct ForwardCompatRequest {
  ForwardCompatMode mode = ForwardCompatMode::auto_;
  std::optional<Version> driver;  // the oldest driver the image must run on (--driver-version, --min-driver)
  std::string driver_text;        // "--min-driver 535.230.02", for messages
};

// The set the image carries, for the summary and the report.
struct ForwardCompatShipped {
  std::string dir, package, version, cuda;
  std::vector<int> branches;
  bool from_note = false;
  std::string reason;  // why it ships
  uint64_t files = 0, bytes = 0;
};

// Adds, keeps or leaves out compat files per the request and gives the image the loader entry of
// each set it carries. `always` without any set in the source root is an error (exit 1); `auto`
// that needs a set the source lacks is a warning naming the package.
Result<std::vector<ForwardCompatShipped>> plan_forward_compat(const Analysis& analysis, const ForwardCompatRequest& req, PlanBuilder& builder);

}  // namespace cuslim
