#include "verify/verify_image.h"

#include "analysis/analysis.h"
#include "core/staging.h"
#include "sandbox/host_driver.h"
#include "verify/gpu_checks.h"

namespace cuslim {

namespace {

// The driver the runtime is judged against: the one named, else the host's (if any).
Status find_driver(const VerifyRequest& req, const Analysis& host, VerifyInputs& in) {
  if (!req.driver_version.empty()) {
    in.driver = Version::parse_driver(req.driver_version);
    if (!in.driver) return Error(Exit::usage, "--driver-version '" + req.driver_version + "': not a version like 580.65.06");
    in.driver_source = "driver " + req.driver_version;
    return ok_status();
  }
  if (auto d = find_host_driver(host, {}); d.ok() && *d) {
    in.driver = (*d)->version;
    in.driver_source = "host driver " + (*d)->version_text;
  }
  return ok_status();
}

}  // namespace

Result<VerifyReport> verify_image(const VerifyRequest& req, ImageContents* contents) {
  CUSLIM_TRY(auto staging, Staging::make());
  CUSLIM_TRY(auto img, unpack_image(req.image, staging.path() + "/static", UnpackOptions{.tag = req.tag, .progress = req.progress, .registry = req.registry, .pull_progress = req.pull_progress}));
  // The host's analysis: its driver, and the classes of what the image holds (base scratch, as
  // bundle, slim and report class an image's files: its C library is the image's).
  CUSLIM_TRY(auto host, Analysis::make(AnalysisOptions{.root = "/", .base = "scratch"}));
  VerifyInputs in{.ccs = req.ccs, .driver_needs = host.driver_needs()};
  CUSLIM_CHECK(find_driver(req, host, in));
  auto report = verify_static(img, host.classifier(), in);
  if (contents) *contents = image_contents(img, host.classifier());
  if (req.gpu) run_gpu_checks({.staging = staging.path(), .cc_given = !req.ccs.empty(), .smoke_timeout_s = req.smoke_timeout_s}, img, host.classifier(), report);
  return report;
}

}  // namespace cuslim
