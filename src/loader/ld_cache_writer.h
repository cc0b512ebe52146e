// Writes an ld.so.cache (format 1.1, no hwcaps extension) for a bundle, so the program finds its
// libraries with no environment. Entries are sorted as ldconfig sorts them: descending by
// _dl_cache_libcmp, which compares digit runs as numbers (the loader binary-searches that order).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cuslim {

struct CacheLib {
  std::string soname;  // the key
  std::string path;    // in-image path
  int32_t flags = 0x0303;  // FLAG_ELF_LIBC6 | FLAG_X8664_LIB64
  uint64_t hwcap = 0;  // legacy hwcap bits (an input cache's entry keeps its own: glibc <= 2.36 checks them)
};

std::string write_ld_cache(std::vector<CacheLib> libs);

// glibc's _dl_cache_libcmp.
int dl_cache_libcmp(const char* p1, const char* p2);

}  // namespace cuslim
