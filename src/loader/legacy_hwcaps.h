// The legacy hwcap subdirectories glibc searched before 2.37 (tls/, x86_64/, haswell/,
// avx512_1/ under every search dir, and ld.so.cache entries carrying legacy hwcap bits), as
// data: which glibc searches them, the subdirectory list of this CPU, and the cache bits it
// accepts. glibc 2.37 removed the mechanism (elf/dl-cache.c); Debian 12 ships 2.36.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/root.h"
#include "loader/loader_abi.h"

namespace cuslim {

// The root's glibc version ("2.36"), read from the banner in its libc.so.6 (in a default dir
// of any known ABI); nullopt when the root has no glibc.
std::optional<std::string> root_glibc_version(const Root& root);

// Whether that glibc searches the legacy subdirectories (every version before 2.37).
bool legacy_hwcaps_searched(const std::string& glibc_version);

// The legacy subdirectories in glibc's order for this CPU (elf/dl-hwcaps.c before 2.37): every
// subset of {hwcap names, platform, "tls"}, largest first, joined tls/platform/hwcap; empty for an
// ABI of another machine than the one cuslim runs on, bar "tls".
std::vector<std::string> host_legacy_hwcaps(const LoaderAbi& abi);

// The legacy hwcap bits of ld.so.cache entries this CPU accepts (dl-cache.c's HWCAP_CHECK).
struct LegacyCacheBits {
  uint64_t allowed = 0;       // hwcap bits of this CPU that the loader uses (dl_hwcap & mask)
  uint64_t platform_mask = 0; // the bits naming a platform
  uint64_t platform = 0;      // this CPU's platform bit, 0 when its platform has none
  uint64_t tls = 0;           // the "tls" bit
  bool accepts(uint64_t hwcap) const;
};
LegacyCacheBits host_legacy_cache_bits(const LoaderAbi& abi);

}  // namespace cuslim
