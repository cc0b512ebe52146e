// JIT readiness: for each JIT framework present (a distribution its profile names), whether what
// it runs at run time is there -- and, for bundle, which files of a source root satisfy it.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/root.h"
#include "profile/profile.h"

namespace cuslim {

// Where {site} and {prefix} point: the site dirs and Python prefixes of a set of in-root paths.
struct JitPlaces {
  std::vector<std::string> sites, prefixes;
  static JitPlaces of(const Root& root, const std::vector<std::string>& paths);
};

// The normalized names of the distributions among `paths` (what an image or a plan holds): their
// metadata and at least one of their own files (RECORD, top_level.txt) -- metadata alone, which
// importlib.metadata reads for every distribution, is not the distribution.
std::set<std::string> distributions_present(const Root& root, const std::vector<std::string>& paths);

// The in-root paths a need glob names ({site} and {prefix} expanded over every place).
std::vector<std::string> expand_need_glob(const Root& root, const std::string& glob, const JitPlaces& places);

// The files a met need brings: its keep globs ({site} and {prefix} expanded as above). In a keep
// glob, {version} is the version the found program's file name ends in (/usr/bin/gcc ->
// x86_64-linux-gnu-gcc-13: "13"), so one compiler ships, not every one installed; where no
// directory of that version is there (no such suffix, or dirs named otherwise), it is '*'.
std::vector<std::string> need_keep_paths(const Root& root, const JitNeed& need, const std::string& found, const JitPlaces& places);

// The first alternative that meets the need in the root: a path of `any`, or a program of
// `programs` found through `path_dirs`. nullopt: nothing does.
std::optional<std::string> find_need(const Root& root, const JitNeed& need, const JitPlaces& places, const std::vector<std::string>& path_dirs);

struct JitReadiness {
  const JitFramework* framework = nullptr;
  std::vector<std::string> found;    // "ptxas: /usr/.../ptxas"
  std::vector<std::string> missing;  // what of each unmet need ("a C compiler")
};

// Every framework of `frameworks` present in `present`, with its needs checked in the root.
std::vector<JitReadiness> jit_readiness(const Root& root, const std::vector<const JitFramework*>& frameworks, const std::set<std::string>& present,
                                        const JitPlaces& places, const std::vector<std::string>& path_dirs);

// "torch.compile will fail at its first compiled region: triton needs a C compiler (none in the image)".
std::string jit_failure(const JitReadiness& r, const std::string& where);

}  // namespace cuslim
