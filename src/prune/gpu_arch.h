// GPU architectures: what `--gpu-arch 80,90` means and which fatbin entries a GPU of a compute
// capability can run. SASS runs on the same major with an equal or higher minor ('a' code only
// on its own arch; 'f' family code across its major); PTX is JIT-compiled by the driver for any
// newer arch ('a' PTX only for its own arch, 'f' PTX within its major).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "elf/fatbin.h"

namespace cuslim {

// The image config label that records the compute capabilities an image was pruned for ("80,90").
inline constexpr const char* kGpuArchLabel = "io.cuslim.gpu-arch";

// The label that records the compute capabilities (of those --gpu-arch knows) whose code the prune
// kept whole: every container that had code such a GPU runs still has some ("80,86,87,88,89,90").
// What an image pruned for 80,90 serves is decided by it, not guessed from the pruned files,
// where a container that never had code for a GPU looks like one that lost it.
inline constexpr const char* kGpuArchCoversLabel = "io.cuslim.gpu-arch-covers";

// "90", "80,90", "sm_90", "9.0", "sm_100,120" -> {90}, {80, 90}, ... (sorted, unique); every
// item checked, an unknown one named in a usage error.
Result<std::vector<unsigned>> parse_gpu_archs(const std::string& list);
std::string gpu_archs_text(const std::vector<unsigned>& ccs);  // {80, 90} -> "80,90"

// Arch names ordered by number ("sm_80" < "sm_90" < "sm_100"), SASS before PTX of one number:
// for tables, where text order would put sm_100 before sm_80.
bool arch_name_less(const std::string& a, const std::string& b);

// A GPU of compute capability `cc` (90 = 9.0) can run this entry.
bool runs_on(const FatbinEntry& e, unsigned cc);
bool runs_on_any(const FatbinEntry& e, const std::vector<unsigned>& ccs);

// Whether what a GPU of `cc` can run is all kept when pruning for `kept`: true when every entry
// that runs on cc also runs on one of `kept` (pruning for 90 keeps all a 90 can run; pruning for
// 80 does not keep what an 86 or a 90 runs).
bool kept_for(unsigned cc, const std::vector<unsigned>& kept);

// The compute capabilities --gpu-arch knows, in order.
const std::vector<unsigned>& known_gpu_archs();

// Whether an image with these config labels runs on a GPU of `cc` as its unpruned self did:
// nullopt when it was not pruned; the covers label when it has one, else kept_for() of the
// gpu-arch label (images pruned before the covers label).
std::optional<bool> pruned_image_serves(const std::map<std::string, std::string>& labels, unsigned cc);

}  // namespace cuslim
