#include "core/beside_self.h"

#include <unistd.h>

#include <filesystem>

namespace cuslim {

std::optional<std::string> find_beside_self(const std::vector<std::string>& relative, int access_mode) {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  for (auto& rel : relative) {
    auto cand = (self.parent_path() / rel).lexically_normal();
    if (::access(cand.c_str(), access_mode) == 0) return cand.string();
  }
  return std::nullopt;
}

}  // namespace cuslim
