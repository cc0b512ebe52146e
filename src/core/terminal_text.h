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

// One field of a one-line-per-entry listing (a name in `deps --format list`): a line break or tab
// in a file name would start a line of its own, so every control byte is shown as \xNN.
inline std::string terminal_safe_field(std::string_view text) {
  std::string out;
  for (auto& piece : terminal_safe(text)) {
    if (piece == '\n' || piece == '\t') out += "\\x" + to_hex(std::string_view(&piece, 1));
    else out += piece;
  }
  return out;
}

}  // namespace cuslim
