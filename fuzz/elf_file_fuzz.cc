// ElfFile::read on arbitrary bytes: every part (headers, PT_DYNAMIC, version needs, notes,
// section headers), then the loader-only subset the resolver uses.
#include <cstddef>
#include <cstdint>

#include "elf/elf_file.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string file = cuslim::fuzz::scratch_dir() + "/input.elf";
  cuslim::fuzz::write_file(file, {reinterpret_cast<const char*>(data), size});
  (void)cuslim::has_elf_magic(file);
  auto all = cuslim::ElfFile::read(file, "input.elf", cuslim::ElfFile::Parts::all);
  if (all) {
    (void)all->nodeflib();
    (void)all->section(".dynamic");
    (void)cuslim::machine_name(all->machine);
  }
  (void)cuslim::ElfFile::read(file, "input.elf", cuslim::ElfFile::Parts::loader);
  return 0;
}
