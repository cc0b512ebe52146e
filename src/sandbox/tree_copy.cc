#include "sandbox/tree_copy.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "core/unique_fd.h"

namespace cuslim {

namespace {

using Failure = std::optional<CopyFailure>;

Failure fail(const char* what, const std::string& path) { return CopyFailure{what, path, errno}; }

std::vector<std::string> entry_names(int dir, const std::string& shown, Failure& failure) {
  std::vector<std::string> names;
  int fd = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);  // a fresh read position
  std::unique_ptr<DIR, int (*)(DIR*)> d(fd >= 0 ? ::fdopendir(fd) : nullptr, ::closedir);
  if (!d) {
    if (fd >= 0) ::close(fd);
    failure = fail("opendir", shown);
    return names;
  }
  while (dirent* e = ::readdir(d.get())) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  return names;
}

// Owner (best effort: ids outside a user namespace's map stay unmapped), then mode (after the
// owner, which clears set-id bits), then times.
Failure set_meta(int fd, const struct stat& st, const std::string& shown) {
  if (::fchown(fd, st.st_uid, st.st_gid) != 0 && errno != EINVAL && errno != EPERM) return fail("fchown", shown);
  if (::fchmod(fd, st.st_mode & 07777) != 0) return fail("fchmod", shown);
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (::futimens(fd, times) != 0) return fail("futimens", shown);
  return std::nullopt;
}

Failure copy_file(int from, int to, const std::string& name, const struct stat& st, const std::string& shown) {
  UniqueFd in(::openat(from, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!in) return fail("open", shown);
  UniqueFd out(::openat(to, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!out) return fail("create", shown);
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(in.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("read", shown);
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out.get(), buf + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return fail("write", shown);
      done += w;
    }
  }
  return set_meta(out.get(), st, shown);
}

Failure copy_symlink(int from, int to, const std::string& name, const struct stat& st, const std::string& shown) {
  std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
  ssize_t n = ::readlinkat(from, name.c_str(), target.data(), target.size());
  if (n < 0) return fail("readlink", shown);
  target.resize(static_cast<size_t>(n));
  if (::symlinkat(target.c_str(), to, name.c_str()) != 0) return fail("symlink", shown);
  if (::fchownat(to, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0 && errno != EINVAL && errno != EPERM)
    return fail("lchown", shown);
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (::utimensat(to, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) return fail("utimensat", shown);
  return std::nullopt;
}

Failure copy_dir(int from, int to, const std::string& name, const struct stat& st, const std::string& shown) {
  if (::mkdirat(to, name.c_str(), 0700) != 0) return fail("mkdir", shown);
  UniqueFd src(::openat(from, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!src) return fail("open", shown);
  UniqueFd dst(::openat(to, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dst) return fail("open", shown);
  if (auto f = copy_tree(src.get(), dst.get(), shown)) return f;
  return set_meta(dst.get(), st, shown);  // last: the contents change the times, a mode may deny writes
}

Failure copy_fifo(int to, const std::string& name, const struct stat& st, const std::string& shown) {
  if (::mkfifoat(to, name.c_str(), 0600) != 0) return fail("mkfifo", shown);
  if (::fchownat(to, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0 && errno != EINVAL && errno != EPERM)
    return fail("lchown", shown);
  if (::fchmodat(to, name.c_str(), st.st_mode & 07777, 0) != 0) return fail("chmod", shown);
  return std::nullopt;
}

}  // namespace

std::optional<CopyFailure> copy_tree(int from_dir, int to_dir, const std::string& shown) {
  Failure failure;
  auto names = entry_names(from_dir, shown, failure);
  if (failure) return failure;
  for (auto& name : names) {
    std::string entry = shown + "/" + name;
    struct stat st;
    if (::fstatat(from_dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return fail("stat", entry);
    if (S_ISDIR(st.st_mode)) failure = copy_dir(from_dir, to_dir, name, st, entry);
    else if (S_ISREG(st.st_mode)) failure = copy_file(from_dir, to_dir, name, st, entry);
    else if (S_ISLNK(st.st_mode)) failure = copy_symlink(from_dir, to_dir, name, st, entry);
    else if (S_ISFIFO(st.st_mode)) failure = copy_fifo(to_dir, name, st, entry);
    if (failure) return failure;
  }
  return std::nullopt;
}

}  // namespace cuslim
