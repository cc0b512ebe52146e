// The one in-root path walker: resolves a path inside a directory tree the way
// openat2(RESOLVE_IN_ROOT) does -- every symlink followed inside the tree, absolute targets
// re-rooted, ".." clamped at the root -- so nothing outside the tree is ever reached. Root (the
// loader's view of a rootfs) and the layer extractor both use it.
#pragma once

#include <string>

#include "core/error.h"

namespace cuslim {

// The kernel's MAXSYMLINKS: more links than this on one path is ELOOP.
inline constexpr int kMaxSymlinks = 40;

enum class MissingComponent {
  error,  // a component that does not exist is ENOENT (a realpath)
  keep,   // kept as it is, whatever lstat said (where an entry is about to be created)
};

// The canonical in-root path of `inside` under the host directory `root_dir` ("" is "/").
// Errors name `inside` and carry errno (ELOOP after kMaxSymlinks links).
Result<std::string> resolve_in_root(const std::string& root_dir, const std::string& inside, MissingComponent missing);

}  // namespace cuslim
