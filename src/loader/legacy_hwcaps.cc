#include "loader/legacy_hwcaps.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <elf.h>
#include <sys/auxv.h>

#include <fstream>
#include <iterator>

#include "core/path.h"
#include "elf/elf_file.h"

#include "core/unique_fd.h"
#include "loader/x86_features.h"

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
  const X86Features& f = x86_features();
  if (!f.intel) return c;
  std::string platform;
  if (f.avx512cd) {
    if (f.avx512er) {
      if (f.avx512pf) platform = "xeon_phi";
    } else if (f.avx512bw && f.avx512dq && f.avx512vl) {
      c.hwcaps.push_back("avx512_1");
      c.bits |= kAvx512_1;
    }
  }
  if (platform.empty() && f.avx2 && f.fma && f.bmi1 && f.bmi2 && f.lzcnt && f.movbe && f.popcnt) platform = "haswell";
  if (!platform.empty()) c.platform = platform;
#endif
  if (c.platform == "haswell") c.platform_bit = kHaswell;
  if (c.platform == "xeon_phi") c.platform_bit = kXeonPhi;
  return c;
}

// Asked once per process.
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

namespace {

// "2.36" of the banner line "GNU C Library (Debian GLIBC 2.36-9+deb12u4) stable release version 2.36."
std::optional<std::string> banner_version(std::string_view line) {
  constexpr std::string_view kLead = "release version ";
  auto at = line.find(kLead);
  if (at == std::string_view::npos) return std::nullopt;
  auto v = line.substr(at + kLead.size());
  auto digits = [&](size_t from) {
    size_t n = from;
    while (n < v.size() && v[n] >= '0' && v[n] <= '9') ++n;
    return n;
  };
  size_t major_end = digits(0);
  if (major_end == 0 || major_end >= v.size() || v[major_end] != '.') return std::nullopt;
  size_t minor_end = digits(major_end + 1);
  if (minor_end == major_end + 1) return std::nullopt;
  return std::string(v.substr(0, minor_end));
}

}  // namespace

std::optional<std::string> root_glibc_version(const Root& root) {
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
      if (auto elf = ElfFile::read(root.host_path(*real), *real, ElfFile::Parts::sections); elf.ok())
        if (auto* ro = elf->section(".rodata"); ro && ro->offset < size && ro->size <= size - ro->offset)
          bytes = bytes.substr(ro->offset, ro->size);
      std::optional<std::string> found;
      for (size_t at = bytes.find("GNU C Library"); at != std::string_view::npos && !found; at = bytes.find("GNU C Library", at + 1))
        found = banner_version(bytes.substr(at, bytes.substr(at, 200).find('\n')));
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
