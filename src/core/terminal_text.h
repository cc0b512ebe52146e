// Text for a terminal: names that came from images, traces and ELF files shown, never obeyed.
#pragma once

#include <string>
#include <string_view>

#include "core/hex.h"

namespace cuslim {

namespace detail {
// Every control byte as \xNN; line breaks and tabs kept where `keep_breaks`.
inline std::string escape_controls(std::string_view text, bool keep_breaks) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if ((c >= 0x20 && c != 0x7f) || (keep_breaks && (c == '\n' || c == '\t'))) out += text[i];
    else out += "\\x" + to_hex(text.substr(i, 1));
  }
  return out;
}
}  // namespace detail

// A message as a terminal may show it: file names are bytes from images and traces, and a control
// byte in one (an escape sequence that recolours, moves the cursor or retitles the window) is shown
// as \xNN, never sent. Line breaks and tabs stay.
inline std::string terminal_safe(std::string_view text) { return detail::escape_controls(text, true); }

// One field of a one-line-per-entry listing (a name in `deps --format list`): a line break or tab
// in a file name would start a line of its own, so every control byte is shown as \xNN.
inline std::string terminal_safe_field(std::string_view text) { return detail::escape_controls(text, false); }

}  // namespace cuslim
