// The PATH a program in an image runs with: the image's Env PATH, else the usual default.
#pragma once

#include <string>
#include <vector>

namespace cuslim {

inline constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The value of PATH in a K=V list, or kDefaultPath.
inline std::string path_from_env(const std::vector<std::string>& env) {
  for (auto& e : env)
    if (e.rfind("PATH=", 0) == 0) return e.substr(5);
  return kDefaultPath;
}

}  // namespace cuslim
