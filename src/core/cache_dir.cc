#include "core/cache_dir.h"

#include <cstdlib>

namespace cuslim {

std::string cache_dir() {
  if (const char* d = std::getenv("CUSLIM_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/cuslim";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/cuslim";
  return "";
}

}  // namespace cuslim
