// slim: an input layer the slimmed image keeps whole goes into the output as its stored blob --
// same digest, same diff_id -- and only the rest of the plan is packed anew above it. Whole
// means: every file, symlink and hardlink of the layer is in the plan, none rewritten by cuslim
// (--gpu-arch pruning) or by a later input layer (an entry at the same path, a file or whiteout
// over a directory above it), and nothing in it was altered on unpacking (device nodes skipped,
// setuid bits stripped). Directories of the layer that the plan does not hold come along (they
// are empty there). Layers are reused from the bottom up, stopping at the first that is not
// whole, since a layer means what it means on top of those below it. A generated file the plan
// puts over a reused one (ld.so.cache, ld.so.conf.d/cuslim.conf) is written above it.
//
// Rejected: repacking the layer with cuslim's normalised metadata (uid 0, fixed modes and mtime)
// -- a new digest, so registries and nodes would store the same bytes twice.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "bundle/plan.h"
#include "image/image_reader.h"

namespace cuslim {

struct ReusedLayers {
  std::vector<const StoredLayer*> layers;  // bottom first: the input's first layers
  std::set<std::string> covered;           // plan paths ("/usr/lib/x") those layers supply as planned
};

ReusedLayers reusable_layers(const UnpackedImage& input, const Plan& plan);

// The plan less what `covered` supplies: those files and links, and those directories that
// nothing left in the plan lies under.
Plan plan_without(const Plan& plan, const std::set<std::string>& covered);

}  // namespace cuslim
