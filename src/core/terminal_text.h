// Text for a terminal: names that came from images, traces and ELF files shown, never obeyed.
#pragma once

#include <string>
#include <string_view>

namespace cuslim {

// A message as a terminal may show it: file names are bytes from images and traces, and a control
// byte in one (an escape sequence that recolours, moves the cursor or retitles the window) is shown
// as \xNN, never sent. Line breaks and tabs stay.
inline std::string terminal_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if ((c >= 0x20 && c != 0x7f) || c == '\n' || c == '\t') {
      out += static_cast<char>(c);
      continue;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\x";
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace cuslim
