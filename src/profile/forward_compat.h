// CUDA forward compatibility (the cuda-compat-X-Y package): its sets in a root, read from the
// compat dir's libcuda.so.<version> and its .note.cuda.fwd_compatibility, and the two rules
// about them -- which libcuda the NVIDIA hook makes a container use (hook_choice), and whether a
// set lets a newer CUDA runtime run on an older driver (serves). Bundle, slim, verify and run all
// ask these; where the sets live and the package's name are profile data (cuda-compat.yaml).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/root.h"
#include "loader/loader_abi.h"
#include "profile/classifier.h"
#include "profile/cuda_compat.h"

namespace cuslim {

struct CompatSet {
  std::string dir;               // in-root dir as found: /usr/local/cuda/compat or /usr/local/cuda-13.0/compat
  std::string real_dir;          // its real path inside the root
  std::string libcuda;           // in-root path of libcuda.so.<version> (in real_dir)
  Version version;               // the set's driver version, from that file name: 580.65.06
  std::string version_text;      // as written there
  std::optional<Version> cuda;   // the note's "CUDA version", else the dir name's (cuda-13.0)
  std::vector<int> branches;     // driver branches it serves: the note's "driver", else the compat table's
  bool from_note = false;        // branches (and CUDA version) read from .note.cuda.fwd_compatibility
  std::vector<std::string> files;  // every entry of real_dir (files and links), in-root paths, sorted
  std::string package;           // "cuda-compat-13-0"
  std::string note_problem;      // what is wrong with a note that is there ("" when sound or absent)

  std::string describe() const;  // "/usr/local/cuda-13.0/compat (cuda-compat-13-0, libcuda 580.65.06, branches 535, ...)"
};

// The forward-compat data of the active profiles; nullptr when no profile declares it.
const ForwardCompatData* forward_compat_data(const Classifier& c);

// Every set in a root: the profile's dir globs expanded ('*' within one component), one set per
// real dir holding a libcuda.so.<version>; the newest set first.
std::vector<CompatSet> find_compat_sets(const Root& root, const ForwardCompatData& data);

// The package that would provide a set for a runtime of CUDA `cuda`: cuda-compat-13-0.
std::string compat_package(const ForwardCompatData& data, const Version& cuda);

// What would let a runtime of CUDA `cuda` run on `driver` that cannot run it alone: "the image
// needs cuda-compat-13-0" where NVIDIA's compat table serves the driver's branch, else a sentence
// saying no cuda-compat package does (a 525 driver runs no CUDA 13 at all). `data` may be null.
std::string compat_remedy(const ForwardCompatData* data, const Version& cuda, const Version& driver);

// The NVIDIA hook's rule (nvidia-cdi-hook enable-cuda-compat): the image's set is used only when
// the host's branch is listed in the set's note and the host driver is older than the set; a set
// without a note is used when its major is higher than the host's. `why` says which and why.
struct CompatChoice {
  bool use_compat = false;
  std::string why;
};
CompatChoice hook_choice(const CompatSet& set, const Version& host_driver);

// Whether `set` lets a runtime of CUDA `cuda` run on `driver`: the set lists the driver's branch,
// is at least the runtime's minimum driver, and the hook would pick it. `why` says what is missing.
struct CompatServes {
  bool ok = false;
  std::string why;
};
CompatServes serves(const CompatSet& set, const Version& cuda, const Version& driver);

// Whether NVIDIA's hook (enable-cuda-compat) sees the set: it looks only in the fixed dirs of
// `data` (/usr/local/cuda/compat), not in /usr/local/cuda-X.Y/compat.
bool hook_sees(const CompatSet& set, const ForwardCompatData& data);

// The first set (newest first) that serves; nullptr with each set's reason in `why_not` otherwise.
const CompatSet* serving_set(const std::vector<CompatSet>& sets, const Version& cuda, const Version& driver, std::string* why_not);

// Forward compatibility is accepted only by data-center GPUs (and some RTX Server/Jetson SKUs).
inline constexpr const char* kDataCenterOnly =
    "forward compatibility works only on data-center GPUs (elsewhere cuInit fails with error 804, "
    "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE)";

// The LD_LIBRARY_PATH entries of an image's Env (K=V strings) that are, inside `root`, a dir the
// container stack injects the host driver into (`abi`'s package_lib_dir -- /lib/x86_64-linux-gnu
// is it where /lib links to usr/lib -- or one of data.injected_dirs, /usr/local/nvidia/lib64):
// searched before ld.so.cache, they make the host's libcuda.so.1 win over the cuda-compat set the
// hook puts first in the cache (the set is then never used).
std::vector<std::string> compat_hiding_dirs(const std::vector<std::string>& env, const LoaderAbi& abi, const ForwardCompatData& data,
                                            const Root& root);

}  // namespace cuslim
