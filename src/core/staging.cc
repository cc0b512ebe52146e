#include "core/staging.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <climits>
#include <cstdlib>
#include <memory>

#include "core/atomic_output.h"
#include "core/fs.h"

namespace cuslim {

namespace {

constexpr std::string_view kPrefix = "cuslim-run-";

std::string staging_base() {
  const char* tmpdir = std::getenv("TMPDIR");
  return tmpdir && *tmpdir ? tmpdir : "/tmp";
}

// Whether the directory (opened as `fd`) still belongs to a live run.
bool in_use(int pid, int fd) {
  if (::kill(pid, 0) == 0 || errno != ESRCH) return true;  // alive, or we cannot tell (EPERM)
  // The pid is gone from our pid namespace; the lock also covers an owner in another namespace
  // sharing this directory, and sandbox processes still winding down.
  return ::flock(fd, LOCK_EX | LOCK_NB) != 0;
}

}  // namespace

int staging_owner_pid(const std::string& name) {
  if (name.compare(0, kPrefix.size(), kPrefix) != 0) return 0;
  std::string_view rest = std::string_view(name).substr(kPrefix.size());
  size_t dash = rest.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash > 10 || rest[0] == '0') return 0;
  std::string_view digits = rest.substr(0, dash), suffix = rest.substr(dash + 1);
  if (suffix.size() != 6) return 0;
  for (char c : digits)
    if (!std::isdigit(static_cast<unsigned char>(c))) return 0;
  for (char c : suffix)
    if (!std::isalnum(static_cast<unsigned char>(c))) return 0;
  long long pid = std::stoll(std::string(digits));  // at most 10 digits: cannot throw
  return pid > 0 && pid <= INT_MAX ? static_cast<int>(pid) : 0;
}

int remove_stale_staging(const std::string& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) return 0;
  int removed = 0;
  while (dirent* e = ::readdir(d.get())) {
    std::string name = e->d_name;
    int pid = staging_owner_pid(name);
    if (pid == 0 || pid == ::getpid()) continue;
    struct stat st;
    if (::fstatat(::dirfd(d.get()), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) continue;
    UniqueFd fd(::openat(::dirfd(d.get()), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd || in_use(pid, fd.get())) continue;
    remove_tree(dir + "/" + name);
    ++removed;
  }
  return removed;
}

Result<Staging> Staging::make() {
  std::string base = staging_base();
  remove_stale_staging(base);
  std::string tmpl = base + "/" + std::string(kPrefix) + std::to_string(::getpid()) + "-XXXXXX";
  if (!::mkdtemp(tmpl.data())) return Error::from_errno(tmpl, errno).wrap("creating a staging directory");
  UniqueFd lock(::open(tmpl.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!lock || ::flock(lock.get(), LOCK_EX) != 0) {
    int err = errno;
    remove_tree(tmpl);
    return Error::from_errno(tmpl, err).wrap("locking a staging directory");
  }
  auto real = canonical_path(tmpl);
  if (!real.ok()) {
    remove_tree(tmpl);
    return real.error();
  }
  return Staging(*real, std::move(lock));
}

Staging::~Staging() {
  if (!path_.empty()) remove_tree(path_);
}

}  // namespace cuslim
