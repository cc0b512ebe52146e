// File names in tar headers are bytes. libarchive converts them with the calling thread's
// locale, so in the C locale (cuslim never calls setlocale) every non-ASCII name failed with
// "Can't translate pathname ... to UTF-8". While an Utf8Names is alive the thread runs under
// C.UTF-8: valid UTF-8 names are written as PAX UTF-8 and read back as the same bytes; a name
// that is not valid UTF-8 makes libarchive warn and fall back to hdrcharset=BINARY (byte-exact),
// which the writers accept for exactly those names.
#pragma once

#include <locale.h>

#include <string_view>

namespace cuslim {

class Utf8Names {
 public:
  Utf8Names();
  ~Utf8Names();
  Utf8Names(const Utf8Names&) = delete;
  Utf8Names& operator=(const Utf8Names&) = delete;

 private:
  locale_t utf8_ = nullptr;
  locale_t previous_ = nullptr;
};

bool valid_utf8(std::string_view s);

}  // namespace cuslim
