#include "core/fs.h"

#include <cerrno>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "core/unique_fd.h"

namespace cuslim {

namespace fs = std::filesystem;

Result<std::string> read_regular_file(const std::string& p, uint64_t limit) {
  UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd) return Error::from_errno(p, errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Error::from_errno(p, errno);
  if (S_ISDIR(st.st_mode)) return bad_input(p + ": is a directory, not a file");
  if (!S_ISREG(st.st_mode)) return bad_input(p + ": not a regular file");
  if (static_cast<uint64_t>(st.st_size) > limit)
    return bad_input(p + ": " + std::to_string(st.st_size) + " bytes, more than the " + std::to_string(limit) + " expected here");
  std::string out(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::from_errno(p, errno).wrap("reading");
    if (n == 0) break;  // shrank while read: what is there
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

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
