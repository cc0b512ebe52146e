#include "loader/ld_cache_writer.h"

#include <algorithm>
#include <cstring>

namespace cuslim {

int dl_cache_libcmp(const char* p1, const char* p2) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  while (*p1 != '\0') {
    if (digit(*p1)) {
      if (!digit(*p2)) return 1;
      long v1 = 0, v2 = 0;
      while (digit(*p1)) v1 = v1 * 10 + (*p1++ - '0');
      while (digit(*p2)) v2 = v2 * 10 + (*p2++ - '0');
      if (v1 != v2) return v1 < v2 ? -1 : 1;
    } else if (digit(*p2)) {
      return -1;
    } else if (*p1 != *p2) {
      return static_cast<unsigned char>(*p1) - static_cast<unsigned char>(*p2);
    } else {
      ++p1;
      ++p2;
    }
  }
  return static_cast<unsigned char>(*p1) - static_cast<unsigned char>(*p2);
}

namespace {
void put32(std::string& s, size_t at, uint32_t v) { std::memcpy(s.data() + at, &v, 4); }
void put64(std::string& s, size_t at, uint64_t v) { std::memcpy(s.data() + at, &v, 8); }
}  // namespace

std::string write_ld_cache(std::vector<CacheLib> libs) {
  // Equal names keep the order they were given in, as ldconfig keeps the order it met them in
  // (the loader takes the first): callers list them in the loader's order (what the walk found,
  // then the input's cache in its own order), and the first of each soname and flags stays.
  std::stable_sort(libs.begin(), libs.end(), [](const CacheLib& a, const CacheLib& b) {
    int c = dl_cache_libcmp(a.soname.c_str(), b.soname.c_str());
    if (c != 0) return c > 0;
    return a.flags != b.flags ? a.flags > b.flags : a.hwcap > b.hwcap;  // ldconfig: the most specific hwcap first
  });
  libs.erase(std::unique(libs.begin(), libs.end(),
                         [](auto& a, auto& b) { return a.soname == b.soname && a.flags == b.flags && a.hwcap == b.hwcap; }),
             libs.end());
  constexpr size_t kHeader = 48, kEntry = 24;
  size_t strings_at = kHeader + libs.size() * kEntry;
  std::string strings;
  std::string out(strings_at, '\0');
  std::memcpy(out.data(), "glibc-ld.so.cache1.1", 20);
  put32(out, 20, static_cast<uint32_t>(libs.size()));
  out[28] = 2;  // cache_file_new_flags_endian_little
  for (size_t i = 0; i < libs.size(); ++i) {
    size_t e = kHeader + i * kEntry;
    put32(out, e, static_cast<uint32_t>(libs[i].flags));
    put32(out, e + 4, static_cast<uint32_t>(strings_at + strings.size()));
    strings += libs[i].soname + '\0';
    put32(out, e + 8, static_cast<uint32_t>(strings_at + strings.size()));
    strings += libs[i].path + '\0';
    put32(out, e + 12, 0);
    put64(out, e + 16, libs[i].hwcap);
  }
  put32(out, 24, static_cast<uint32_t>(strings.size()));
  return out + strings;
}

}  // namespace cuslim
