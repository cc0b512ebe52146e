#include "loader/loader_abi.h"

#include <elf.h>

namespace cuslim {

namespace {
// sysdeps/generic/ldconfig.h
constexpr int32_t FLAG_ELF_LIBC6 = 0x0003;
constexpr int32_t FLAG_X8664_LIB64 = 0x0300;
constexpr int32_t FLAG_AARCH64_LIB64 = 0x0a00;
}  // namespace

const std::vector<LoaderAbi>& loader_abis() {
  static const std::vector<LoaderAbi> abis = {
      {"x86_64-debian", EM_X86_64, ELFCLASS64,
       {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib"},
       "lib/x86_64-linux-gnu", "x86_64", {FLAG_ELF_LIBC6 | FLAG_X8664_LIB64},
       {"x86-64-v4", "x86-64-v3", "x86-64-v2"}},
      {"x86_64-lib64", EM_X86_64, ELFCLASS64, {"/lib64", "/usr/lib64"}, "lib64", "x86_64",
       {FLAG_ELF_LIBC6 | FLAG_X8664_LIB64}, {"x86-64-v4", "x86-64-v3", "x86-64-v2"}},
      {"aarch64-debian", EM_AARCH64, ELFCLASS64,
       {"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib", "/usr/lib"},
       "lib/aarch64-linux-gnu", "aarch64", {FLAG_ELF_LIBC6 | FLAG_AARCH64_LIB64}, {}},
      {"aarch64-lib64", EM_AARCH64, ELFCLASS64, {"/lib64", "/usr/lib64"}, "lib64", "aarch64",
       {FLAG_ELF_LIBC6 | FLAG_AARCH64_LIB64}, {}},
      {"i386-debian", EM_386, ELFCLASS32,
       {"/lib/i386-linux-gnu", "/usr/lib/i386-linux-gnu", "/lib", "/usr/lib"},
       "lib/i386-linux-gnu", "i686", {FLAG_ELF_LIBC6, 1}, {}},
      {"i386-lib", EM_386, ELFCLASS32, {"/lib", "/usr/lib"}, "lib", "i686", {FLAG_ELF_LIBC6, 1}, {}},
  };
  return abis;
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

std::vector<std::string> host_hwcaps() {
  std::vector<std::string> out;
#if defined(__x86_64__)
  __builtin_cpu_init();
#if defined(__clang__) && __clang_major__ < 16
  // Older clang (Debian 12's, used by the fuzz build) knows no level names: the levels' features
  // that it can query, as glibc's dl-hwcaps checks them.
  bool v2 = __builtin_cpu_supports("sse3") && __builtin_cpu_supports("ssse3") && __builtin_cpu_supports("sse4.1") &&
            __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("popcnt");
  bool v3 = v2 && __builtin_cpu_supports("avx") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
            __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("fma");
  bool v4 = v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512cd") &&
            __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#else
  bool v4 = __builtin_cpu_supports("x86-64-v4"), v3 = __builtin_cpu_supports("x86-64-v3"), v2 = __builtin_cpu_supports("x86-64-v2");
#endif
  if (v4) out.push_back("x86-64-v4");
  if (v3) out.push_back("x86-64-v3");
  if (v2) out.push_back("x86-64-v2");
#endif
  return out;
}

}  // namespace cuslim
