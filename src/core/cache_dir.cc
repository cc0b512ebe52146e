#include "core/cache_dir.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

namespace cuslim {

std::string cache_dir() {
  // A relative CUSLIM_CACHE_DIR is taken from the working directory (the sandbox and child
  // processes do not share it); a relative XDG_CACHE_HOME is ignored, as the XDG spec says.
  if (const char* d = std::getenv("CUSLIM_CACHE_DIR"); d && *d) {
    std::error_code ec;
    auto abs = std::filesystem::absolute(d, ec);
    return ec ? std::string(d) : abs.lexically_normal().string();
  }
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x == '/') return std::string(x) + "/cuslim";
  // A HOME that does not exist (nobody's /nonexistent) is not created: no cache then.
  if (const char* h = std::getenv("HOME"); h && *h == '/')
    if (struct stat st; ::stat(h, &st) == 0 && S_ISDIR(st.st_mode)) return std::string(h) + "/.cache/cuslim";
  return "";
}

}  // namespace cuslim
