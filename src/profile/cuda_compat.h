// CUDA compatibility rules as data (NVIDIA's CUDA compatibility guide and toolkit release notes): which CUDA version a runtime library
// belongs to, whether a bundled runtime works with a driver, and which objects a GPU of a given
// compute capability can run.
#pragma once

#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "elf/fatbin.h"

namespace cuslim {

struct Version {
  int major = 0, minor = 0, patch = 0;
  static std::optional<Version> parse(const std::string& s);  // "580.65.06", "13.0"; lenient: "12.9.79.post1" -> 12.9.79
  // A driver version as a user writes it: two or three dot-separated numbers, nothing else
  // ("580.65.06", "575.51"); "575.51.x", "575.51.03.7" and "" are not.
  static std::optional<Version> parse_driver(const std::string& s);
  std::string str(int parts = 2) const;  // a version parsed from fewer parts is shown with those ("390.157", not "390.157.00")
  auto operator<=>(const Version& o) const { return std::tie(major, minor, patch) <=> std::tie(o.major, o.minor, o.patch); }
  bool operator==(const Version& o) const { return std::tie(major, minor, patch) == std::tie(o.major, o.minor, o.patch); }
  int given_parts = 3;  // how many parts the text it was parsed from had (not part of its value)
};

// The CUDA version a PTX ISA version shipped with (PTX ISA 9.0 -> CUDA 13.0).
std::optional<Version> cuda_of_ptx_isa(unsigned isa_major, unsigned isa_minor);

// The CUDA version of a libcudart, the one place it is computed: X.Y from the file name
// (libcudart.so.13.0.96), else X.0 from the soname's or the file name's major.
struct CudartVersion {
  Version version;
  int parts = 2;       // 1 when only the major is known
  std::string source;  // how it was read
};
std::optional<CudartVersion> cudart_cuda_version(const std::string& file_name, const std::optional<std::string>& soname = std::nullopt);

// The lowest driver a toolkit X.Y needs (release notes, Table 3); nullopt for unknown versions.
std::optional<Version> min_driver_for(const Version& cuda);

// The driver CUDA X.Y wants, known or bounded: the table's answer (exact), else for a minor the
// table does not hold the newest known minimum below it (13.5 wants at least 13.2's), else the
// major's first GA driver. nullopt for a major cuslim knows nothing of.
struct DriverNeed {
  Version min;
  bool exact = true;
  std::string text() const;  // "580.65.06", or "at least 595.45.04 (13.2's; 13.5 is not in cuslim's table)"
  std::string why;           // for an inexact one: which row bounds it
};
std::optional<DriverNeed> driver_need(const Version& cuda);

// One CUDA major's row of the compatibility table (release notes Tables 2 and 3, the CUDA
// compatibility guide): the driver its first GA release needs, the lowest driver that runs every
// X.y of the family through minor-version compatibility, and the older driver branches that run
// it only through forward compatibility (cuda-compat-X-Y, data-center GPUs).
struct CudaMajorCompat {
  int major = 0;
  Version first_ga_driver;  // X.0 GA's minimum
  Version mvc_floor;        // minor-version compatibility from this driver on
  std::vector<int> forward_compat_branches;
};
const std::vector<CudaMajorCompat>& cuda_major_compat();
const CudaMajorCompat* cuda_major_compat(int major);

enum class CompatVerdict { ok, ok_minor_version_compat, needs_forward_compat, incompatible };
std::string_view verdict_name(CompatVerdict v);  // "ok", "ok-minor-version-compat", ...

struct CompatResult {
  CompatVerdict verdict;
  std::string detail;  // why, with the numbers, and the PTX-JIT caveat under MVC
};
// A bundled runtime of CUDA `cuda` on a host driver `driver`.
CompatResult check_compat(const Version& cuda, const Version& driver);

// The image's NVIDIA_REQUIRE_CUDA for a bundled runtime of CUDA `cuda`: "cuda>=X.Y", and where
// minor-version compatibility reaches lower than X.Y's own minimum driver, " driver>=FLOOR" (a
// space is OR in the NVIDIA container stack's requirement language), so the stack admits the
// drivers check_compat calls ok-minor-version-compat: "cuda>=12.8 driver>=525.60.13". With a
// cuda-compat set in the image, each older branch it serves is one more alternative:
// "cuda>=13.0 driver>=535,driver<536 driver>=550,driver<551".
std::string nvidia_require_cuda(const Version& cuda, const std::vector<int>& compat_branches = {});

// Whether CUDA `cuda` runs on `driver` only with a cuda-compat set (or not at all): neither the
// driver's own support nor minor-version compatibility covers it. The one rule bundle's
// --forward-compat auto, verify's checks and inspect's verdicts share.
bool needs_newer_driver(const Version& cuda, const Version& driver);

// Whether a GPU of compute capability cc (e.g. 90) can run code from these fatbin entries:
// a SASS cubin of the same major and an equal or lower minor ('a' only on the exact arch), or
// PTX of an arch <= cc without 'a'/'f' (JIT). `why` says which entry, or what is missing.
bool arch_covered(const std::vector<FatbinEntry>& entries, unsigned cc, std::string* why);

}  // namespace cuslim
