// slim: what of an existing image a program needs. The image's Entrypoint + Cmd (found through
// its PATH; a #! script brings its interpreter), --target paths, their closures resolved inside
// the image, --keep globs and the profiles' keep-sets are kept; driver libraries are dropped; a
// cuda-compat set (class forward-compat) is kept whole.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "core/root.h"
#include "image/image_reader.h"
#include "profile/classifier.h"

namespace cuslim {

struct SlimSelection {
  std::vector<std::string> targets;   // programs whose closures are kept
  std::vector<std::string> includes;  // files kept as they are (keep globs, keep-sets, scripts)
  std::vector<std::string> kept;      // what a keep glob or keep-set matched (among targets or includes): the report's reason
  std::vector<std::string> dropped_driver;
  std::vector<std::string> forward_compat;  // cuda-compat files: kept (not the host driver's), and said so
  std::map<HeldBack, std::vector<std::string>> held_back;  // link-only, profiler-only files a keep-set matched: not kept by it
  std::vector<std::string> warnings;  // what a glob matched that cannot ship (a fifo, socket or device node)
};

// Chooses what to keep. `keep` (the user's) and `keep_set` (the profiles') are globs over in-image
// paths ('*' crosses '/'); toolkit-class files a keep-set matches are not kept, nor the files
// `held_back` says nothing loads unless a program links them or a profiler runs (the closure, or
// a trace, brings those back).
Result<SlimSelection> select_for_slim(const Root& root, const UnpackedImage& img, const Classifier& c,
                                      const std::vector<std::string>& targets, const std::vector<std::string>& keep,
                                      const std::vector<std::string>& keep_set = {},
                                      const std::function<std::optional<HeldBack>(const std::string&)>& held_back = {});

struct ClassCount {
  uint64_t files = 0, bytes = 0;
};
// Files and bytes per class in a rootfs (the "before" of the report); `regular`, when given,
// receives each regular file's in-root path and size.
std::map<ObjectClass, ClassCount> count_by_class(const Root& root, const Classifier& c,
                                                 std::vector<std::pair<std::string, uint64_t>>* regular = nullptr);

}  // namespace cuslim
