#include "report/report_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/ascii.h"
#include "core/atomic_file.h"
#include "core/path.h"
#include "report/html_report.h"

namespace cuslim {

namespace {
// The report kind a name asks for, by its extension in any case (r.JSON, page.HTML).
bool json_name(const std::string& file) { return ascii_lower(file).ends_with(".json"); }
}  // namespace

bool is_report_file(const std::string& file) {
  std::string low = ascii_lower(file);
  return low.ends_with(".json") || low.ends_with(".html") || low.ends_with(".htm");
}

Status check_report_target(const std::string& flag, const std::string& file, const std::string& creates) {
  if (!is_report_file(file)) return Error(Exit::usage, flag + " " + file + ": give a FILE.json or FILE.html");
  return check_side_output_dir(flag, file, creates);
}

Status check_side_output_dir(const std::string& flag, const std::string& file, const std::string& creates) {
  if (struct stat fst; ::stat(file.c_str(), &fst) == 0 && S_ISDIR(fst.st_mode))
    return Error(Exit::usage, flag + " " + file + ": is a directory: give a file name");
  std::string dir = path::dirname(file.front() == '/' ? file : "./" + file);
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    int err = errno;
    namespace fs = std::filesystem;
    if (!creates.empty() && fs::absolute(dir).lexically_normal() == fs::absolute(creates).lexically_normal()) return ok_status();
    return Error(err == ENOENT ? Exit::usage : Exit::bad_input, flag + " " + file + ": its directory " + dir + ": " + std::strerror(err));
  }
  if (!S_ISDIR(st.st_mode)) return Error(Exit::usage, flag + " " + file + ": " + dir + " is not a directory");
  // The file system's answer (read-only, no permission), not a usage error: exit 3, as for -o.
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return Error(Exit::bad_input, flag + " " + file + ": its directory " + dir + ": " + std::strerror(errno) + " (not writable)");
  return ok_status();
}

Status write_report_file(const std::string& file, const nlohmann::json& report) {
  if (!is_report_file(file)) return Error(Exit::usage, "--report " + file + ": give a FILE.json or FILE.html");
  std::string text = json_name(file) ? report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n" : render_html(report);
  return write_file_atomic(file, text, Durability::rename_only);
}

}  // namespace cuslim
