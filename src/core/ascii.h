// ASCII case folding: registry header names, platform fields and transport names are ASCII by
// their specs, and the C library's tolower follows the locale.
#pragma once

#include <string>

namespace cuslim {

inline std::string ascii_lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

}  // namespace cuslim
