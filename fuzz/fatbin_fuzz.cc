// The fatbin reader on arbitrary ELF files: .nv_fatbin / __nv_relfatbin containers are walked,
// .cask_resource and large .ldata scanned for container magic.
#include <cstddef>
#include <cstdint>

#include "elf/elf_file.h"
#include "elf/fatbin.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string file = cuslim::fuzz::scratch_dir() + "/input.so";
  cuslim::fuzz::write_file(file, {reinterpret_cast<const char*>(data), size});
  auto elf = cuslim::ElfFile::read(file, "input.so", cuslim::ElfFile::Parts::all);
  if (!elf) return 0;
  auto fat = cuslim::Fatbin::read(file, *elf, true);
  if (fat)
    for (auto& e : fat->entries) (void)e.arch_name();
  return 0;
}
