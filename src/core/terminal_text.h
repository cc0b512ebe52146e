// Text for a terminal: names that came from images, traces and ELF files shown, never obeyed.
#pragma once

#include <string>
#include <string_view>

#include "core/hex.h"

namespace cuslim {

// A message as a terminal may show it: file names are bytes from images and traces, and a control
// byte in one (an escape sequence that recolours, moves the cursor or retitles the window) is shown
// as \xNN, never sent. Line breaks and tabs stay.
inline std::string terminal_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if ((c >= 0x20 && c != 0x7f) || c == '\n' || c == '\t') out += text[i];
    else out += "\\x" + to_hex(text.substr(i, 1));
  }
  return out;
}

}  // namespace cuslim
