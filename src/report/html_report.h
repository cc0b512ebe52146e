// A report as one self-contained HTML page: inline CSS and JavaScript, no network, works from
// file://. The tables (summary, classes, groups with reasons, checks, GPU pruning per arch,
// layers, warnings) are plain HTML; the treemaps (class -> group -> file) are drawn by the
// page's script from the report's JSON, which the page carries (id "report-data").
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace cuslim {

std::string render_html(const nlohmann::json& report);

// The page's style sheet and script (report/html_assets.cc).
extern const char* const kReportCss;
extern const char* const kReportJs;

}  // namespace cuslim
