// What glibc compiles into ld.so for one machine and distribution layout, as data:
// the default search dirs (SYSTEM_DIRS), $LIB, $PLATFORM, the ld.so.cache flags it accepts and
// its glibc-hwcaps subdirectories in priority order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/root.h"

namespace cuslim {

struct LoaderAbi {
  std::string name;                        // e.g. "x86_64-debian"
  int machine = 0;                         // e_machine
  int elf_class = 0;                       // ELFCLASS64 / ELFCLASS32
  std::vector<std::string> default_dirs;   // SYSTEM_DIRS, in order
  std::string lib;                         // $LIB
  std::string platform;                    // $PLATFORM (AT_PLATFORM)
  std::vector<int32_t> cache_flags;        // accepted ld.so.cache entry flags
  std::vector<std::string> hwcaps_subdirs; // glibc-hwcaps names, highest priority first
  std::string package_lib_dir;             // where the distribution installs libraries (and the
                                           // NVIDIA container stack injects the driver's)
};

// Every ABI cuslim knows, as a table.
const std::vector<LoaderAbi>& loader_abis();

// The ABI of an object (machine + class) laid out the way `root` is: Debian multiarch when the
// root has /etc/debian_version or a multiarch lib dir, else the lib64 layout. nullptr when unknown.
const LoaderAbi* find_loader_abi(int machine, int elf_class, const Root& root);
// "no loader model for x86-64 ELF32 objects (cuslim models: x86-64 ELF64, ...)": the class is
// named, where the machine alone would mislead (x32 is ELF32 x86-64).
std::string no_loader_model(int machine, int elf_class);

// The ABI of the machine cuslim runs on, laid out the way `root` is (the host driver's ABI).
const LoaderAbi* native_loader_abi(const Root& root);

// The glibc-hwcaps subdirectories the running CPU supports (x86-64-v4, -v3, -v2), best first.
std::vector<std::string> host_hwcaps();

}  // namespace cuslim
