// std::filesystem through its error_code overloads: every call returns an Error that names the
// path, never throws. Library code uses these instead of the throwing overloads.
#pragma once

#include <string>

#include "core/error.h"

namespace cuslim {

Status make_dirs(const std::string& dir);                          // create_directories
Result<std::string> canonical_path(const std::string& p);         // canonical
Result<std::string> absolute_path(const std::string& p);          // absolute (no filesystem access)
Status copy_regular_file(const std::string& from, const std::string& to);  // overwrites `to`
// A hard link where the filesystem allows one, else a copy.
Status link_or_copy(const std::string& from, const std::string& to);
Status set_mode(const std::string& p, unsigned mode);              // permissions (replace)

}  // namespace cuslim
