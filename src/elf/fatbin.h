// Fatbin: the CUDA fatbinary containers embedded in an ELF file (a 16-byte container header -- magic 0xBA55ED50, version, payload size -- then entries):
// every entry's kind (PTX or SASS cubin), arch with its 'a'/'f' variant, compression and sizes.
// Reads .nv_fatbin and __nv_relfatbin by walking container and entry headers; other sections
// that hold GPU code (.cask_resource, large .ldata) are scanned for container magic and
// reported as such.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "elf/elf_file.h"

namespace cuslim {

struct FatbinEntry {
  enum Kind { ptx = 1, sass = 2 };
  int kind = 0;
  unsigned arch = 0;         // 80, 90, 100, ...
  std::string variant;       // "", "a" (arch-specific) or "f" (family)
  unsigned isa_major = 0, isa_minor = 0;  // PTX ISA version (PTX entries)
  bool compressed = false;
  uint64_t stored_size = 0;       // bytes in the file
  uint64_t uncompressed_size = 0;
  uint64_t flags = 0;
  std::string section;

  std::string arch_name() const;  // "sm_90a", "compute_120"
};

struct FatbinElsewhere {
  std::string section;
  uint64_t section_size = 0;
  uint64_t containers = 0;  // fatbin container magics found
};

struct Fatbin {
  uint64_t containers = 0;
  std::vector<FatbinEntry> entries;
  std::vector<FatbinElsewhere> elsewhere;
  std::vector<std::string> warnings;  // corrupt containers, named by section and offset

  // Reads the fatbins of `elf` (parsed with Parts::all) from the file at host_path.
  // `elsewhere`: also scan .cask_resource and large .ldata for containers (reads them whole).
  static Result<Fatbin> read(const std::string& host_path, const ElfFile& elf, bool elsewhere = true);
};

}  // namespace cuslim
