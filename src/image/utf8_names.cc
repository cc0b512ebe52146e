#include "image/utf8_names.h"

#include <cstdint>

namespace cuslim {

Utf8Names::Utf8Names() {
  utf8_ = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", nullptr);
  if (utf8_) previous_ = ::uselocale(utf8_);
}

Utf8Names::~Utf8Names() {
  if (!utf8_) return;
  ::uselocale(previous_);
  ::freelocale(utf8_);
}

bool valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) n = 1, cp = c & 0x1Fu;
    else if ((c & 0xF0) == 0xE0) n = 2, cp = c & 0x0Fu;
    else if ((c & 0xF8) == 0xF0) n = 3, cp = c & 0x07u;
    else return false;
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      unsigned char b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3Fu);
    }
    bool overlong = (n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace cuslim
