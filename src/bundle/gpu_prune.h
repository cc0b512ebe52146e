// The pruning step of bundle and slim (--gpu-arch): every ELF file the plan ships is rewritten,
// in the image only, to the GPU code the listed architectures run (prune/fatbin_prune.h). What
// each file lost is reported; NVIDIA's libraries are named (their licence limits modification).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "bundle/plan.h"
#include "core/root.h"
#include "image/layer.h"
#include "prune/fatbin_prune.h"

namespace cuslim {

struct PruneRequest {
  std::vector<unsigned> archs;  // empty: no pruning
  bool nvidia = true;           // also prune NVIDIA's libraries (class cuda)
  // Measure each pruned file's stored size before and after, compressed as the layer is (costs
  // two compressions of each pruned file: for reports).
  bool measure = false;
  Compression compression = Compression::gzip;
};

struct PrunedFile {
  std::string path;  // in the image
  bool nvidia = false;
  bool pruned = false;  // false: GPU code, but nothing to remove (or left whole: see why)
  std::string why;      // when not pruned
  uint64_t size = 0;
  PruneStats stats;
  uint64_t stored_before = 0, stored_after = 0;  // with `measure`
};

struct PruneReport {
  std::vector<unsigned> archs;
  std::vector<PrunedFile> files;  // every shipped ELF file with GPU code
  uint64_t bytes_zeroed = 0, nvidia_pruned = 0;
  std::set<unsigned> lost_for;  // of the pruned files: GPUs some container lost all its code for
  bool measured = false;
  std::vector<std::string> warnings;
};

// Plans the rewrite of every ELF file of `plan` with GPU code and sets its item's extents.
Result<PruneReport> prune_gpu_code(const Root& root, Plan& plan, const PruneRequest& req);

}  // namespace cuslim
