#include "report/report_file.h"

#include "core/atomic_file.h"
#include "report/html_report.h"

namespace cuslim {

bool is_report_file(const std::string& file) { return file.ends_with(".json") || file.ends_with(".html") || file.ends_with(".htm"); }

Status write_report_file(const std::string& file, const nlohmann::json& report) {
  if (!is_report_file(file)) return Error(Exit::usage, "--report " + file + ": give a FILE.json or FILE.html");
  std::string text = file.ends_with(".json") ? report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n" : render_html(report);
  return write_file_atomic(file, text, Durability::rename_only);
}

}  // namespace cuslim
