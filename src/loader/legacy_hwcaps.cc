#include "loader/legacy_hwcaps.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <elf.h>
#include <sys/auxv.h>

#include <fstream>
#include <iterator>
#include <regex>

#include "core/path.h"
#include "elf/elf_file.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include "core/unique_fd.h"
#endif

namespace cuslim {

namespace {

// x86: HWCAP_X86_64 and HWCAP_X86_AVX512_1 (sysdeps/x86/dl-hwcap.h), the platform bits from
// _DL_FIRST_PLATFORM (48) over {"i586", "i686", "haswell", "xeon_phi"}, and _DL_HWCAP_TLS_MASK.
constexpr uint64_t kX86_64 = 1ull << 1, kAvx512_1 = 1ull << 2;
constexpr uint64_t kHaswell = 1ull << 50, kXeonPhi = 1ull << 51, kX86Platforms = 0xfull << 48;
constexpr uint64_t kTls = 1ull << 63;

struct X86Caps {
  std::vector<std::string> hwcaps;  // names, in bit order
  std::string platform;
  uint64_t bits = 0, platform_bit = 0;
};

// init_cpu_features (sysdeps/x86/cpu-features.c, glibc 2.26-2.36): dl_hwcap is HWCAP_X86_64,
// plus AVX512_1 and the haswell / xeon_phi platforms on Intel CPUs only; elsewhere AT_PLATFORM.
X86Caps read_x86_caps() {
  X86Caps c;
  c.hwcaps.push_back("x86_64");
  c.bits = kX86_64;
  const char* at = reinterpret_cast<const char*>(getauxval(AT_PLATFORM));
  c.platform = at ? at : "";
#if defined(__x86_64__)
  unsigned a = 0, b = 0, cx = 0, d = 0;
  __get_cpuid(0, &a, &b, &cx, &d);
  bool intel = b == 0x756e6547 && d == 0x49656e69 && cx == 0x6c65746e;  // "GenuineIntel"
  if (!intel) return c;
  __builtin_cpu_init();
#define has(f) (__builtin_cpu_supports(f) != 0)
  unsigned a7 = 0, b7 = 0, c7 = 0, d7 = 0;
  __get_cpuid_count(7, 0, &a7, &b7, &c7, &d7);
  bool avx512er = b7 & (1u << 27), avx512pf = b7 & (1u << 26);
  unsigned a8 = 0, b8 = 0, c8 = 0, d8 = 0;
  __get_cpuid(0x80000001, &a8, &b8, &c8, &d8);
  bool lzcnt = c8 & (1u << 5);
  unsigned a1 = 0, b1 = 0, c1 = 0, d1 = 0;
  __get_cpuid(1, &a1, &b1, &c1, &d1);
  bool movbe = c1 & (1u << 22);
  std::string platform;
  if (has("avx512cd")) {
    if (avx512er) {
      if (avx512pf) platform = "xeon_phi";
    } else if (has("avx512bw") && has("avx512dq") && has("avx512vl")) {
      c.hwcaps.push_back("avx512_1");
      c.bits |= kAvx512_1;
    }
  }
  if (platform.empty() && has("avx2") && has("fma") && has("bmi") && has("bmi2") && lzcnt && movbe && has("popcnt")) platform = "haswell";
  if (!platform.empty()) c.platform = platform;
#undef has
#endif
  if (c.platform == "haswell") c.platform_bit = kHaswell;
  if (c.platform == "xeon_phi") c.platform_bit = kXeonPhi;
  return c;
}

// cpuid traps to the hypervisor on a VM: asked once per process.
const X86Caps& x86_caps() {
  static const X86Caps caps = read_x86_caps();
  return caps;
}

bool host_machine(const LoaderAbi& abi) {
#if defined(__x86_64__)
  return abi.machine == EM_X86_64;
#elif defined(__aarch64__)
  return abi.machine == EM_AARCH64;
#else
  return false;
#endif
}

}  // namespace

bool LegacyCacheBits::accepts(uint64_t hwcap) const {
  if ((hwcap & platform_mask) && (hwcap & platform_mask) != platform) return false;
  return (hwcap & ~(allowed | platform_mask | tls)) == 0;
}

std::optional<std::string> root_glibc_version(const Root& root) {
  static const std::regex banner(R"(GNU C Library [^\n]*release version (\d+\.\d+))");
  for (auto& abi : loader_abis())
    for (auto& dir : abi.default_dirs) {
      auto real = root.realpath(path::join(dir, "libc.so.6"));
      if (!real) continue;
      // The banner sits in .rodata: only that section is searched (a tenth of libc), in a
      // read-only map of the file, not a copy of it; the whole file when it has no section table.
      UniqueFd fd(::open(root.host_path(*real).c_str(), O_RDONLY | O_CLOEXEC));
      struct stat st;
      if (!fd || ::fstat(fd.get(), &st) != 0 || st.st_size <= 0) continue;
      size_t size = static_cast<size_t>(st.st_size);
      void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
      if (map == MAP_FAILED) continue;
      std::string_view bytes(static_cast<const char*>(map), size);
      if (auto elf = ElfFile::read(root.host_path(*real), *real, ElfFile::Parts::all); elf.ok())
        if (auto* ro = elf->section(".rodata"); ro && ro->offset < size && ro->size <= size - ro->offset)
          bytes = bytes.substr(ro->offset, ro->size);
      std::optional<std::string> found;
      for (size_t at = bytes.find("GNU C Library"); at != std::string_view::npos && !found; at = bytes.find("GNU C Library", at + 1)) {
        std::smatch m;
        std::string s(bytes.substr(at, 200));
        if (std::regex_search(s, m, banner)) found = m[1].str();
      }
      ::munmap(map, size);
      if (found) return found;
    }
  return std::nullopt;
}

bool legacy_hwcaps_searched(const std::string& glibc_version) {
  int major = 0, minor = 0;
  if (std::sscanf(glibc_version.c_str(), "%d.%d", &major, &minor) != 2) return false;
  return major < 2 || (major == 2 && minor < 37);
}

std::vector<std::string> host_legacy_hwcaps(const LoaderAbi& abi) {
  // _dl_important_hwcaps: components hwcap names (bit order), the platform, "tls"; every subset,
  // counting down with "tls" as the top bit, each joined from the top component down.
  std::vector<std::string> comps;
  if (host_machine(abi)) {
    if (abi.machine == EM_X86_64) {
      auto c = x86_caps();
      comps = c.hwcaps;
      if (!c.platform.empty()) comps.push_back(c.platform);
    } else if (const char* at = reinterpret_cast<const char*>(getauxval(AT_PLATFORM))) {
      comps.push_back(at);  // other machines: the platform only (their hwcap names are not modelled)
    }
  }
  comps.push_back("tls");
  std::vector<std::string> out;
  for (uint64_t mask = (1ull << comps.size()) - 1; mask > 0; --mask) {
    std::string dir;
    for (size_t i = comps.size(); i-- > 0;)
      if (mask & (1ull << i)) dir += (dir.empty() ? "" : "/") + comps[i];
    out.push_back(dir);
  }
  return out;
}

LegacyCacheBits host_legacy_cache_bits(const LoaderAbi& abi) {
  LegacyCacheBits b;
  b.tls = kTls;
  if (abi.machine == EM_X86_64 && host_machine(abi)) {
    auto c = x86_caps();
    b.allowed = c.bits;
    b.platform_mask = kX86Platforms;
    b.platform = c.platform_bit;
  }
  return b;
}

}  // namespace cuslim
