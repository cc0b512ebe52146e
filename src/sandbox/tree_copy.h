// Copying a directory tree between two open directories, for seeding the sandbox's fresh /tmp
// with what the image carries there. Runs in the sandbox's pid 1 before pivot_root, so it works
// on descriptors (the image's /tmp is hidden under the new tmpfs by then) and reports the first
// failing syscall instead of throwing.
#pragma once

#include <optional>
#include <string>

namespace cuslim {

struct CopyFailure {
  std::string what;  // the syscall
  std::string path;  // shown path of the entry
  int err = 0;
};

// Copies the entries of `from_dir` into `to_dir` (which keeps its own mode): directories,
// regular files, symlinks (as links, never followed) and fifos, with their modes, times and,
// where the ids are mapped, owners. Sockets and device nodes are skipped; hard links become
// separate copies. `shown` prefixes the paths in a failure.
std::optional<CopyFailure> copy_tree(int from_dir, int to_dir, const std::string& shown);

}  // namespace cuslim
