// Counts in prose: "1 file", "2 files", "0 objects" (one unit of English for every summary).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cuslim {

// "N noun" with the noun in the plural unless N is 1: `plural` when given, else noun + "s"
// (file, object, link, layer; "entry", "entries").
inline std::string count_of(uint64_t n, std::string_view noun, std::string_view plural = {}) {
  std::string s = std::to_string(n);
  s += ' ';
  if (n == 1 || plural.empty()) {
    s += noun;
    if (n != 1) s += 's';
  } else {
    s += plural;
  }
  return s;
}

}  // namespace cuslim
