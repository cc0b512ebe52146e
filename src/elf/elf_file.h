// ElfFile: everything cuslim needs from one ELF object, parsed once into a plain value.
// Only elf_file.cc touches libelf. The dynamic array is read through PT_DYNAMIC (as the loader
// does), so stripped objects without section headers work.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace cuslim {

struct VersionNeed {
  std::string file;                   // e.g. "libc.so.6"
  std::vector<std::string> versions;  // e.g. "GLIBC_2.34"
};

struct ElfNote {
  std::string section;  // the SHT_NOTE section it came from, when section headers exist
  std::string owner;    // e.g. "GNU"
  uint32_t type = 0;
  std::vector<uint8_t> desc;
};

struct ElfSection {
  std::string name;
  uint64_t offset = 0, size = 0, addr = 0;
  uint32_t type = 0;
};

// A PT_LOAD segment: maps virtual addresses to file offsets.
struct ElfLoad {
  uint64_t vaddr = 0, offset = 0, filesz = 0;
};

// A defined function in the dynamic symbol table (what dlsym would find).
struct ElfFunction {
  std::string name;  // without the @VERSION suffix
  uint64_t addr = 0, size = 0;
};

struct ElfFile {
  std::string path;     // as given (for messages)
  uint64_t size = 0;    // file size in bytes
  int elf_class = 0;    // ELFCLASS32 / ELFCLASS64
  int data = 0;         // ELFDATA2LSB / ELFDATA2MSB
  int osabi = 0;        // EI_OSABI
  int abiversion = 0;   // EI_ABIVERSION
  int machine = 0;      // e_machine
  int ident_version = 0;          // EI_VERSION
  uint32_t version = 0;           // e_version
  bool ident_padding_zero = true;  // e_ident[EI_PAD..]: the loader refuses a non-zero byte
  int type = 0;         // e_type
  bool dynamic = false; // has PT_DYNAMIC
  std::optional<std::string> interp;   // PT_INTERP
  std::optional<std::string> soname;   // DT_SONAME
  std::vector<std::string> needed;     // DT_NEEDED, in order
  std::optional<std::string> rpath;    // DT_RPATH, raw (colon list, tokens unexpanded)
  std::optional<std::string> runpath;  // DT_RUNPATH, raw
  uint64_t flags_1 = 0;                // DT_FLAGS_1
  std::vector<VersionNeed> version_needs;
  std::string build_id;                // hex, from NT_GNU_BUILD_ID
  std::vector<ElfNote> notes;          // every PT_NOTE (or SHT_NOTE) note
  std::vector<ElfSection> sections;    // empty for objects without section headers
  std::string sections_error;          // why section headers the file says it has could not be read ("" if none)
  std::vector<ElfLoad> loads;          // PT_LOAD, in order
  std::vector<ElfFunction> functions;  // defined STT_FUNC of .dynsym (Parts::symbols only)

  bool nodeflib() const;
  const ElfSection* section(const std::string& name) const;
  const ElfFunction* function(const std::string& name) const;
  // The file offset of a virtual address and the bytes of its segment from there on.
  std::optional<uint64_t> file_offset(uint64_t vaddr, uint64_t* avail) const;

  // What to parse: the loader needs only headers and the dynamic array; inspect wants everything
  // but the symbols; version probes (profile/library_version) want the loader parts + symbols;
  // `sections` is the loader parts + the section table.
  enum class Parts { loader, all, symbols, sections };

  // Parses the file at host_path; `display` names it in errors (the in-root path).
  static Result<ElfFile> read(const std::string& host_path, const std::string& display, Parts parts = Parts::all);
};

// True when the file starts with the ELF magic (a cheap test before parsing).
bool has_elf_magic(const std::string& host_path);

// "x86-64", "AArch64", ... for messages.
std::string machine_name(int machine);
// The OCI platform architecture an ELF file runs on ("amd64", "arm64", "ppc64le", ...: GOARCH
// names), from its header alone; "" for a file that is not ELF or a machine without a name.
std::string oci_architecture_of(const std::string& host_path);

}  // namespace cuslim
