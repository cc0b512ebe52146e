#include "core/root.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <memory>

#include "core/in_root.h"
#include "core/path.h"

namespace cuslim {

Root::Root(std::string dir) {
  if (dir.empty() || dir == "/") return;
  char buf[PATH_MAX];
  // The root itself may be reached through symlinks on the host; that is the caller's choice.
  dir_ = ::realpath(dir.c_str(), buf) ? std::string(buf) : path::normalize(dir);
  if (dir_ == "/") dir_.clear();
}

std::string Root::host_path(const std::string& inside) const {
  if (dir_.empty()) return inside.empty() ? "/" : inside;
  return path::join(dir_, inside);
}

Result<std::string> Root::realpath(const std::string& inside) const {
  {
    std::shared_lock lock(mu_);
    if (auto it = realpaths_.find(inside); it != realpaths_.end()) return it->second;
  }
  if (is_host()) {  // the host's own realpath(3) is exact and faster
    char buf[PATH_MAX];
    if (!::realpath(inside.c_str(), buf)) return Error::from_errno(inside, errno);
    std::unique_lock lock(mu_);
    return realpaths_.emplace(inside, buf).first->second;
  }
  CUSLIM_TRY(auto out, resolve_in_root(dir_, inside, MissingComponent::error));
  std::unique_lock lock(mu_);
  realpaths_.emplace(inside, out);
  return out;
}

std::optional<struct stat> Root::stat(const std::string& inside) const {
  auto real = realpath(inside);
  if (!real) return std::nullopt;
  struct stat st;
  if (::lstat(host_path(*real).c_str(), &st) != 0) return std::nullopt;
  return st;
}

Result<std::string> Root::realpath_in_dir(const std::string& dir, const std::string& name) const {
  std::string full = path::join(dir, name);
  {
    std::shared_lock lock(mu_);
    if (auto it = realpaths_.find(full); it != realpaths_.end()) return it->second;
  }
  auto remember = [&](std::string real) {
    std::unique_lock lock(mu_);
    return realpaths_.emplace(full, std::move(real)).first->second;
  };
  {
    std::unique_lock lock(mu_);
    if (!dirs_.count(dir) && ++dir_asks_[dir] < kListAfter) {
      lock.unlock();
      auto real = realpath(full);
      if (!real) return real;
      return remember(std::move(*real));
    }
  }
  std::string n = name;
  for (int links = 0; links < kMaxSymlinks; ++links) {
    auto* entries = list_dir(dir);
    if (!entries) break;
    auto it = entries->find(n);
    if (it == entries->end()) return Error::from_errno(path::join(dir, name), ENOENT);
    auto real_dir = realpath(dir);
    if (!real_dir) break;
    if (it->second != DT_LNK) {
      if (it->second == DT_UNKNOWN) break;
      return remember(path::join(*real_dir, n));
    }
    // A symlink to a sibling (libfoo.so.1 -> libfoo.so.1.2.3) stays in the same directory.
    char buf[PATH_MAX];
    ssize_t len = ::readlink(host_path(path::join(*real_dir, n)).c_str(), buf, sizeof buf - 1);
    if (len <= 0) break;
    std::string target(buf, static_cast<size_t>(len));
    if (target.find('/') != std::string::npos || target == "." || target == "..") break;
    n = target;
  }
  return realpath(full);
}

const Root::DirEntries* Root::list_dir(const std::string& inside) const {
  {
    std::shared_lock lock(mu_);
    if (auto it = dirs_.find(inside); it != dirs_.end()) return it->second ? &*it->second : nullptr;
  }
  std::optional<DirEntries> names;
  if (auto real = realpath(inside)) {
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(host_path(*real).c_str()), ::closedir);
    if (d) {
      names.emplace();
      while (auto* e = ::readdir(d.get())) names->emplace(e->d_name, e->d_type);
    }
  }
  std::unique_lock lock(mu_);
  auto [it, _] = dirs_.emplace(inside, std::move(names));
  return it->second ? &*it->second : nullptr;
}

}  // namespace cuslim
