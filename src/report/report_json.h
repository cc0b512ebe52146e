// Each command's report as one JSON value: what `--report FILE.json` writes, what `--json`
// prints, and the data the HTML page draws (report/html_report.h). The schema is in the README
// ("Reports"); fields are only ever added.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "bundle/slim_image.h"
#include "report/image_contents.h"
#include "verify/verifier.h"

namespace cuslim {

// bundle and build (`command`): bundle_report_json plus command, out, layers, stored_bytes and,
// when computed, groups.
nlohmann::json bundle_report(const BundleResult& r, const std::string& command, const std::string& out);

// slim: the bundle's report plus input, before (per class), dropped_driver, dropped_files and
// dropped_bytes (the input's regular files not in the output).
nlohmann::json slim_report(const SlimResult& s, const std::string& input, const std::string& out);

// verify: {ok, checks} as verify --json, plus the image's contents.
nlohmann::json verify_report(const VerifyReport& v, const ImageContents& c, const std::string& image);

// report IMAGE: the image's contents.
nlohmann::json image_report(const ImageContents& c, const std::string& image);

}  // namespace cuslim
