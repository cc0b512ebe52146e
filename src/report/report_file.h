// Writes a report where --report points: FILE.json (the JSON) or FILE.html (the page), atomically.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"

namespace cuslim {

// Exit 2 for any other extension.
Status write_report_file(const std::string& file, const nlohmann::json& report);

// Whether `file` names a report cuslim can write (.json or .html).
bool is_report_file(const std::string& file);

// Before any work: `file` (given as `flag`, "--report" or "-o") is a .json or .html file in an
// existing, writable directory -- or in `creates`, the directory the command is about to write
// (a report beside the image it describes). Exit 2 naming the file and the reason otherwise.
Status check_report_target(const std::string& flag, const std::string& file, const std::string& creates = "");
// The directory part of that check, for any file a command writes beside its output (--junit).
Status check_side_output_dir(const std::string& flag, const std::string& file, const std::string& creates = "");

}  // namespace cuslim
