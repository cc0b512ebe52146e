#include "registry/auth_challenge.h"

#include <cctype>

namespace cuslim {

AuthChallenge parse_auth_challenge(const std::string& h) {
  AuthChallenge c;
  size_t i = 0;
  auto skip_ws = [&] { while (i < h.size() && (h[i] == ' ' || h[i] == '\t' || h[i] == ',')) ++i; };
  skip_ws();
  while (i < h.size() && !std::isspace(static_cast<unsigned char>(h[i]))) c.scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(h[i++])));
  while (true) {
    skip_ws();
    if (i >= h.size()) break;
    std::string key, value;
    while (i < h.size() && h[i] != '=' && h[i] != ',' && !std::isspace(static_cast<unsigned char>(h[i])))
      key += static_cast<char>(std::tolower(static_cast<unsigned char>(h[i++])));
    if (i >= h.size() || h[i] != '=') continue;
    ++i;
    if (i < h.size() && h[i] == '"') {
      for (++i; i < h.size() && h[i] != '"'; ++i) {
        if (h[i] == '\\' && i + 1 < h.size()) ++i;
        value += h[i];
      }
      ++i;
    } else {
      while (i < h.size() && h[i] != ',') value += h[i++];
    }
    c.params[key] = value;
  }
  return c;
}

}  // namespace cuslim
