// The fatbin reader and the --gpu-arch rewrite on arbitrary ELF files: .nv_fatbin /
// __nv_relfatbin containers are walked, .cask_resource scanned for containers that parse exactly,
// large .ldata counted; the pruning plan for sm_90 must keep the file's size, and streaming it
// must read only inside the file.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "elf/elf_file.h"
#include "elf/fatbin.h"
#include "fuzz_util.h"
#include "image/file_extents.h"
#include "prune/fatbin_prune.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string file = cuslim::fuzz::scratch_dir() + "/input.so";
  cuslim::fuzz::write_file(file, {reinterpret_cast<const char*>(data), size});
  auto elf = cuslim::ElfFile::read(file, "input.so", cuslim::ElfFile::Parts::all);
  if (!elf) return 0;
  auto fat = cuslim::Fatbin::read(file, *elf, true);
  if (fat)
    for (auto& e : fat->entries) (void)e.arch_name();
  auto pr = cuslim::FatbinPrune::plan(file, "input.so", {90});
  if (pr && !pr->extents.empty()) {
    if (cuslim::extents_size(pr->extents) != size) std::abort();  // the rewrite never changes the size
    uint64_t seen = 0;
    auto st = cuslim::stream_extents(file, pr->extents, [&](const char*, size_t n) -> cuslim::Status {
      seen += n;
      return cuslim::ok_status();
    });
    if (!st.ok() || seen != size) std::abort();
  }
  return 0;
}
