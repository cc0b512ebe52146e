#include "core/fs.h"

#include <cerrno>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>

#include "core/unique_fd.h"

namespace cuslim {

namespace fs = std::filesystem;

bool is_special_file(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

bool file_holds(const std::string& p, const std::string& needle) {
  UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  struct stat st;
  if (!fd || needle.empty() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  std::string buf;
  std::vector<char> block(1 << 20);
  for (ssize_t n; (n = ::read(fd.get(), block.data(), block.size())) > 0;) {
    buf.append(block.data(), static_cast<size_t>(n));
    if (buf.find(needle) != std::string::npos) return true;
    buf.erase(0, buf.size() - std::min(buf.size(), needle.size() - 1));  // a match may straddle two blocks
  }
  return false;
}

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
  if (ec) return Error(Exit::bad_input, dir + ": creating the directory: " + ec.message());
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

namespace {

// Copies [off, end) of in to the same offset of out: copy_file_range, else pread/pwrite.
Status copy_range(int in, int out, off_t off, off_t end, const std::string& from, const std::string& to) {
  while (off < end) {
    off_t in_off = off, out_off = off;
    ssize_t n = ::copy_file_range(in, &in_off, out, &out_off, static_cast<size_t>(end - off), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
      char buf[1 << 16];
      ssize_t r = ::pread(in, buf, static_cast<size_t>(std::min<off_t>(end - off, sizeof buf)), off);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return Error::from_errno(from, errno);
      if (r == 0) return bad_input(from + ": file shrank while it was being copied");
      for (ssize_t done = 0; done < r;) {
        ssize_t w = ::pwrite(out, buf + done, static_cast<size_t>(r - done), off + done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return Error::from_errno(to, errno);
        done += w;
      }
      off += r;
      continue;
    }
    if (n < 0) return Error::from_errno(to, errno).wrap("copying " + from + " to");
    if (n == 0) return bad_input(from + ": file shrank while it was being copied");
    off += n;
  }
  return ok_status();
}

}  // namespace

std::vector<std::pair<off_t, off_t>> data_regions(int fd, off_t size) {
  std::vector<std::pair<off_t, off_t>> out;
  for (off_t pos = 0; pos < size;) {
    off_t data = ::lseek(fd, pos, SEEK_DATA);
    if (data < 0 && errno == ENXIO) break;  // a hole up to the end
    if (data < 0) data = pos;               // no SEEK_DATA here: all of it is data
    if (data >= size) break;
    off_t hole = ::lseek(fd, data, SEEK_HOLE);
    if (hole < 0 || hole > size) hole = size;
    out.emplace_back(data, hole - data);
    pos = hole;
  }
  ::lseek(fd, 0, SEEK_SET);
  return out;
}

Status copy_regular_file(const std::string& from, const std::string& to) {
  UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!in) return Error::from_errno(from, errno);
  struct stat st;
  if (::fstat(in.get(), &st) != 0) return Error::from_errno(from, errno);
  if (!S_ISREG(st.st_mode)) return bad_input(from + ": not a regular file");
  UniqueFd out(::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!out) return Error::from_errno(to, errno);
  // Data regions only: the holes of a sparse file stay holes (a 1 TB sparse file is not 1 TB here).
  for (auto [off, len] : data_regions(in.get(), st.st_size)) CUSLIM_CHECK(copy_range(in.get(), out.get(), off, off + len, from, to));
  if (::ftruncate(out.get(), st.st_size) != 0) return Error::from_errno(to, errno);
  if (::fchmod(out.get(), st.st_mode & 07777) != 0) return Error::from_errno(to, errno);
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

bool dir_is_empty(const std::string& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) return false;
  while (auto* e = ::readdir(d.get()))
    if (std::string_view n = e->d_name; n != "." && n != "..") return false;
  return true;
}

std::vector<std::pair<std::string, std::string>> read_xattrs(const std::string& p, const std::string& only) {
  std::vector<std::pair<std::string, std::string>> out;
  auto value_of = [&](const std::string& name) -> std::optional<std::string> {
    for (int tries = 0; tries < 4; ++tries) {  // the value may grow between the two calls
      ssize_t n = ::lgetxattr(p.c_str(), name.c_str(), nullptr, 0);
      if (n < 0) return std::nullopt;
      std::string v(static_cast<size_t>(n), '\0');
      ssize_t got = ::lgetxattr(p.c_str(), name.c_str(), v.data(), v.size());
      if (got >= 0) return v.substr(0, static_cast<size_t>(got));
      if (errno != ERANGE) return std::nullopt;
    }
    return std::nullopt;
  };
  if (!only.empty()) {
    if (auto v = value_of(only)) out.emplace_back(only, *v);
    return out;
  }
  ssize_t n = ::llistxattr(p.c_str(), nullptr, 0);
  if (n <= 0) return out;
  std::string names(static_cast<size_t>(n), '\0');
  n = ::llistxattr(p.c_str(), names.data(), names.size());
  if (n <= 0) return out;
  for (size_t at = 0; at < static_cast<size_t>(n);) {
    std::string name(names.c_str() + at);
    at += name.size() + 1;
    if (name.empty()) continue;
    if (auto v = value_of(name)) out.emplace_back(name, *v);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace cuslim
