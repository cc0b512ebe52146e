// inspect: what one file is in CUDA terms -- its class, the CUDA version a runtime library
// belongs to, the driver version and forward-compat note of a driver library, and its fatbin
// entries summarised per arch.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/root.h"
#include "elf/fatbin.h"
#include "profile/classifier.h"
#include "profile/cuda_compat.h"
#include "profile/library_version.h"

namespace cuslim {

struct Inspection {
  std::string path, realpath;
  ElfFile elf;
  Classification cls;
  std::optional<Version> cuda_version;
  int cuda_version_parts = 2;       // 1 when only the major is known ("12")
  std::string cuda_version_source;  // how it was read
  LibraryVersion library;           // the family's own version, its source, the wheel and the cross-check
  std::optional<std::string> driver_version;  // from the file name, e.g. "580.65.06"
  std::optional<nlohmann::json> fwd_compat;  // libcuda's .note.cuda.fwd_compatibility payload
  Fatbin fatbin;
};

Result<Inspection> inspect(const Root& root, const std::string& path, const Classifier& classifier);

// The CUDA version of a CUDA library, the one reading inspect, verify and bundle share: what its
// code, siblings or wheel say (read_library_version) when that has the minor; else the CUDA major
// its soname says (the profiles' cuda_major_by_soname) or its wheel's, made exact by the newest
// PTX of that major in its fatbin; else (a CUDA-class library) its fatbin's newest PTX.
struct CudaReading {
  std::optional<Version> cuda;
  int parts = 2;  // 1 when only the major is known
  std::string source;
};
CudaReading cuda_reading(const LibraryVersion& lib, const ElfFile& elf, const Fatbin& fatbin, const std::string& realpath, const Classifier& c,
                         bool cuda_class);
Result<CudaReading> read_cuda_version(const Root& root, const std::string& realpath, const Classifier& c);

// The newest CUDA release a set of CUDA libraries was built for, as each one's reading above gives
// it to the minor: what a program that links libcudart statically still asks of the driver.
std::optional<BuiltFor> newest_cuda_built_for(const Root& root, const std::vector<std::string>& realpaths, const Classifier& c);

// {"path", "realpath", "class", "rule", "soname", "cuda_version", "cuda_version_source",
//  "driver_version", "fwd_compat", "library_version", "library_version_source", "wheel", "version_cross_check", "fatbin": {"containers", "entries", "archs": [...], "elsewhere": [...]}}
nlohmann::json to_json(const Inspection& i);

// to_json() plus, when asked, "compat" ({driver, verdict, detail}: the runtime against a driver)
// and "arch_coverage" ({cc, covered, detail}: whether a GPU of compute capability cc runs it).
struct InspectQuestions {
  std::optional<Version> driver;  // --driver-version
  std::string driver_text;        // as the user wrote it
  std::vector<unsigned> ccs;      // --gpu-arch (empty: not asked); arch_coverage is for the first
};
nlohmann::json inspection_report(const Inspection& i, const InspectQuestions& q);

// The fwd-compat note payload of a parsed ELF, if it has one.
std::optional<nlohmann::json> fwd_compat_note(const ElfFile& elf);

}  // namespace cuslim
