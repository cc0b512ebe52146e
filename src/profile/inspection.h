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
