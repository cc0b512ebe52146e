#include "loader/loader_abi.h"

#include <elf.h>

#include <algorithm>

#include "elf/elf_file.h"
#include "loader/x86_features.h"

namespace cuslim {

namespace {
// ld.so.cache entry flags, as glibc's ldconfig writes them: libc6 ELF, x86-64 / AArch64 lib64 ABI
constexpr int32_t FLAG_ELF_LIBC6 = 0x0003;
constexpr int32_t FLAG_X8664_LIB64 = 0x0300;
constexpr int32_t FLAG_AARCH64_LIB64 = 0x0a00;
}  // namespace

const std::vector<LoaderAbi>& loader_abis() {
  static const std::vector<LoaderAbi> abis = {
      {.name = "x86_64-debian", .machine = EM_X86_64, .elf_class = ELFCLASS64,
       .default_dirs = {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib"},
       .lib = "lib/x86_64-linux-gnu", .platform = "x86_64", .cache_flags = {FLAG_ELF_LIBC6 | FLAG_X8664_LIB64},
       .hwcaps_subdirs = {"x86-64-v4", "x86-64-v3", "x86-64-v2"}, .package_lib_dir = "/usr/lib/x86_64-linux-gnu"},
      {.name = "x86_64-lib64", .machine = EM_X86_64, .elf_class = ELFCLASS64, .default_dirs = {"/lib64", "/usr/lib64"},
       .lib = "lib64", .platform = "x86_64", .cache_flags = {FLAG_ELF_LIBC6 | FLAG_X8664_LIB64},
       .hwcaps_subdirs = {"x86-64-v4", "x86-64-v3", "x86-64-v2"}, .package_lib_dir = "/usr/lib64"},
      {.name = "aarch64-debian", .machine = EM_AARCH64, .elf_class = ELFCLASS64,
       .default_dirs = {"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib", "/usr/lib"},
       .lib = "lib/aarch64-linux-gnu", .platform = "aarch64", .cache_flags = {FLAG_ELF_LIBC6 | FLAG_AARCH64_LIB64},
       .hwcaps_subdirs = {}, .package_lib_dir = "/usr/lib/aarch64-linux-gnu"},
      {.name = "aarch64-lib64", .machine = EM_AARCH64, .elf_class = ELFCLASS64, .default_dirs = {"/lib64", "/usr/lib64"},
       .lib = "lib64", .platform = "aarch64", .cache_flags = {FLAG_ELF_LIBC6 | FLAG_AARCH64_LIB64}, .hwcaps_subdirs = {},
       .package_lib_dir = "/usr/lib64"},
      {.name = "i386-debian", .machine = EM_386, .elf_class = ELFCLASS32,
       .default_dirs = {"/lib/i386-linux-gnu", "/usr/lib/i386-linux-gnu", "/lib", "/usr/lib"},
       .lib = "lib/i386-linux-gnu", .platform = "i686", .cache_flags = {FLAG_ELF_LIBC6, 1}, .hwcaps_subdirs = {},
       .package_lib_dir = "/usr/lib/i386-linux-gnu"},
      {.name = "i386-lib", .machine = EM_386, .elf_class = ELFCLASS32, .default_dirs = {"/lib", "/usr/lib"}, .lib = "lib",
       .platform = "i686", .cache_flags = {FLAG_ELF_LIBC6, 1}, .hwcaps_subdirs = {}, .package_lib_dir = "/usr/lib"},
  };
  return abis;
}

const LoaderAbi* native_loader_abi(const Root& root) {
#if defined(__aarch64__)
  return find_loader_abi(EM_AARCH64, ELFCLASS64, root);
#elif defined(__i386__)
  return find_loader_abi(EM_386, ELFCLASS32, root);
#else
  return find_loader_abi(EM_X86_64, ELFCLASS64, root);
#endif
}

const LoaderAbi* find_loader_abi(int machine, int elf_class, const Root& root) {
  const LoaderAbi* fallback = nullptr;
  for (auto& abi : loader_abis()) {
    if (abi.machine != machine || abi.elf_class != elf_class) continue;
    bool multiarch = abi.name.ends_with("-debian");
    bool root_is_multiarch = root.stat("/etc/debian_version").has_value() ||
                             root.list_dir(abi.default_dirs.front()) != nullptr;
    if (multiarch && root_is_multiarch) return &abi;
    if (!multiarch) fallback = &abi;
  }
  return fallback;
}

// The glibc-hwcaps levels this CPU supports, best first (sysdeps/x86/get-isa-level.h).
std::vector<std::string> host_hwcaps() {
  std::vector<std::string> out;
#if defined(__x86_64__)
  const X86Features& f = x86_features();
  bool v2 = f.cx16 && f.lahf && f.popcnt && f.sse3 && f.sse4_1 && f.sse4_2 && f.ssse3;
  bool v3 = v2 && f.avx && f.avx2 && f.bmi1 && f.bmi2 && f.f16c && f.fma && f.lzcnt && f.movbe;
  bool v4 = v3 && f.avx512f && f.avx512bw && f.avx512cd && f.avx512dq && f.avx512vl;
  if (v4) out.push_back("x86-64-v4");
  if (v3) out.push_back("x86-64-v3");
  if (v2) out.push_back("x86-64-v2");
#endif
  return out;
}

std::string no_loader_model(int machine, int elf_class) {
  auto kind = [](int m, int cls) { return machine_name(m) + (cls == ELFCLASS32 ? " ELF32" : " ELF64"); };
  std::vector<std::string> known;
  for (auto& a : loader_abis())
    if (std::find(known.begin(), known.end(), kind(a.machine, a.elf_class)) == known.end()) known.push_back(kind(a.machine, a.elf_class));
  std::string list;
  for (auto& k : known) list += (list.empty() ? "" : ", ") + k;
  return "no loader model for " + kind(machine, elf_class) + " objects (cuslim models: " + list + ")";
}

}  // namespace cuslim
