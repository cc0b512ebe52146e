// LdCache::parse on arbitrary bytes (old, new and old+new formats, the hwcaps extension), then
// the glibc lookup over whatever it accepted.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "loader/ld_cache.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto cache = cuslim::LdCache::parse(std::string_view(reinterpret_cast<const char*>(data), size), "ld.so.cache");
  if (!cache) return 0;
  const std::vector<int32_t> flags = {0x0303, 0x0003, 0x0001};  // x86-64 libc6, plain ELF, ...
  const std::vector<std::string> hwcaps = {"x86-64-v4", "x86-64-v3", "x86-64-v2"};
  for (auto& e : cache->entries()) (void)cache->lookup(e.key, flags, hwcaps);
  (void)cache->lookup("libc.so.6", flags, hwcaps);
  return 0;
}
