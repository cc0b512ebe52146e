// Counts in prose: "1 file", "2 files", "0 objects" (one unit of English for every summary).
#pragma once

#include <cstddef>
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

// Appends `item` to a ", "-joined list that stops at `max` items (an error naming every tag of an
// index of 50,000 images is not read); the caller ends it with list_rest().
inline void append_capped(std::string& list, size_t& count, const std::string& item, size_t max = 20) {
  if (count++ < max) list += (list.empty() ? "" : ", ") + item;
}
inline std::string list_rest(size_t count, size_t max = 20) { return count > max ? ", ... and " + std::to_string(count - max) + " more" : ""; }

}  // namespace cuslim
