// Files cuslim ships beside its own binary (the audit library, the smoke programs), found the
// same way in the build tree and in an install.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cuslim {

// The first of `relative` (paths relative to the directory of /proc/self/exe) that exists with
// `access_mode` (R_OK, X_OK).
std::optional<std::string> find_beside_self(const std::vector<std::string>& relative, int access_mode);

}  // namespace cuslim
