// Counts in prose: "1 file", "2 files", "0 objects" (one unit of English for every summary).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cuslim {

// "N noun" with the noun in the plural unless N is 1 (nouns that add -s: file, object, link, layer).
inline std::string count_of(uint64_t n, std::string_view noun) {
  std::string s = std::to_string(n);
  s += ' ';
  s += noun;
  if (n != 1) s += 's';
  return s;
}

}  // namespace cuslim
