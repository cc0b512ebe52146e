#include "core/fs.h"

#include <unistd.h>

#include <filesystem>

namespace cuslim {

namespace fs = std::filesystem;

Status make_dirs(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Error::from_errno(dir, ec.value()).wrap("creating directory");
  return ok_status();
}

Result<std::string> canonical_path(const std::string& p) {
  std::error_code ec;
  auto c = fs::canonical(p, ec);
  if (ec) return Error::from_errno(p, ec.value());
  return c.string();
}

Result<std::string> absolute_path(const std::string& p) {
  std::error_code ec;
  auto a = fs::absolute(p, ec);
  if (ec) return Error::from_errno(p, ec.value());
  fs::path out;  // "." components dropped ("./app" is not "/cwd/./app"); ".." kept: a symlink decides it
  for (auto& c : a)
    if (c != ".") out /= c;
  return out.string();
}

Status copy_regular_file(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) return Error::from_errno(to, ec.value()).wrap("copying " + from + " to");
  return ok_status();
}

Status link_or_copy(const std::string& from, const std::string& to) {
  if (::link(from.c_str(), to.c_str()) == 0) return ok_status();
  return copy_regular_file(from, to);
}

Status set_mode(const std::string& p, unsigned mode) {
  std::error_code ec;
  fs::permissions(p, static_cast<fs::perms>(mode), fs::perm_options::replace, ec);
  if (ec) return Error::from_errno(p, ec.value()).wrap("setting mode of");
  return ok_status();
}

}  // namespace cuslim
