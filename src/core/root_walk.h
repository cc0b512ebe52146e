// Walking and globbing inside a root (the host, an unpacked image): in-root paths out.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/root.h"

namespace cuslim {

// Every file and symlink under an in-root directory (or the path itself when it is not one);
// what `skip(relative path)` says yes to is left out (a directory: not entered). Symlinked directories are listed,
// not entered.
void files_under(const Root& root, const std::string& inside, std::vector<std::string>& out,
                 const std::function<bool(const std::string&)>& skip = {});

// The in-root paths an absolute glob names: '*', '?' and [...] stay within one path component;
// a trailing "/**" stands for every file under the directory. Sorted; nothing when nothing matches.
std::vector<std::string> expand_glob(const Root& root, const std::string& glob);

}  // namespace cuslim
