// Fatbin: the CUDA fatbinary containers embedded in an ELF file (a 16-byte container header -- magic 0xBA55ED50, version, payload size -- then entries):
// every entry's kind (PTX or SASS cubin), arch with its 'a'/'f' variant, compression and sizes.
// Reads .nv_fatbin and __nv_relfatbin by walking container and entry headers, and the containers
// that .cask_resource holds among other data (found by their magic, each accepted only when its
// entries fill it exactly). Large .ldata stores (raw cubins of cuBLASLt/cuFFT, no index) are only
// counted and reported as such.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "elf/elf_file.h"

namespace cuslim {

struct FatbinEntry {
  enum Kind { ptx = 1, sass = 2, lto = 8 };  // lto: LTO-IR (nvcc code=lto_NN), linked at run time, not run
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

// Where an entry lies in the file: its header, then `padded` payload bytes.
struct FatbinEntryAt {
  FatbinEntry entry;
  uint64_t offset = 0;  // of the entry header, in the file
  uint32_t header_size = 0;
  uint64_t padded = 0;
  uint64_t span() const { return header_size + padded; }
};

// One container: a 16-byte header (fat_size counts the bytes after it), then entries end to end.
struct FatbinContainer {
  std::string section;
  uint64_t offset = 0;  // of the container header, in the file
  uint16_t header_size = 0;
  uint64_t fat_size = 0;
  std::vector<FatbinEntryAt> entries;
  bool exact = false;  // the entries fill fat_size exactly (only such a container is rewritten)
  uint64_t end() const { return offset + header_size + fat_size; }
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
  // `elsewhere`: also count the container magics of large .ldata stores (reads them whole).
  static Result<Fatbin> read(const std::string& host_path, const ElfFile& elf, bool elsewhere = true);
};

// Every container of .nv_fatbin, __nv_relfatbin and .cask_resource with the file offsets of its
// entries (what an in-place rewrite needs). Corrupt containers are skipped with a warning.
struct FatbinLayout {
  std::vector<FatbinContainer> containers;
  std::vector<FatbinElsewhere> elsewhere;  // stores that are not indexed (.ldata)
  std::vector<std::string> warnings;
  static Result<FatbinLayout> read(const std::string& host_path, const ElfFile& elf, bool elsewhere = true);
};

}  // namespace cuslim
