// A filesystem root the loader runs in: the host ("/") or a rootfs directory.
// Every path the rest of cuslim handles is a path *inside* the root; only Root turns it into a
// host path. Symlinks are resolved component by component, absolute targets re-rooted, ".."
// clamped at the root, so nothing outside the root is ever read.
#pragma once

#include <sys/stat.h>

#include <mutex>
#include <shared_mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/error.h"

namespace cuslim {

class Root {
 public:
  // dir "" or "/" is the host.
  explicit Root(std::string dir = "/");

  bool is_host() const { return dir_.empty(); }
  const std::string& dir() const { return dir_; }
  // How messages name the root: its label ("image app-oci" for an unpacked image), else its dir.
  std::string display() const { return !label_.empty() ? label_ : dir_.empty() ? "/" : dir_; }
  void set_label(std::string label) { label_ = std::move(label); }

  // Host path of an inside path, without resolving anything.
  std::string host_path(const std::string& inside) const;

  // The canonical inside path (every symlink resolved inside the root). Errors name the path.
  Result<std::string> realpath(const std::string& inside) const;

  // stat() of an inside path, symlinks followed inside the root.
  std::optional<struct stat> stat(const std::string& inside) const;

  // The entries of an inside directory (symlinks resolved) with their d_type; nullptr when it
  // is not a directory. Cached: the loader probes the same directories for every name.
  using DirEntries = std::unordered_map<std::string, unsigned char>;
  const DirEntries* list_dir(const std::string& inside) const;

  // realpath(dir + "/" + name) for a name listed in dir: when the entry is not a symlink this is
  // the directory's realpath plus the name, with no system call. A directory is listed once it
  // is asked about often (kListAfter names) or already listed: a single lookup in a directory of
  // thousands of libraries costs less as a plain realpath than as a listing.
  Result<std::string> realpath_in_dir(const std::string& dir, const std::string& name) const;

 private:
  std::string dir_;
  std::string label_;
  mutable std::shared_mutex mu_;  // the caches: lookups share it, inserts take it alone
  mutable std::unordered_map<std::string, std::optional<DirEntries>> dirs_;
  mutable std::unordered_map<std::string, std::string> realpaths_;
  mutable std::unordered_map<std::string, int> dir_asks_;  // realpath_in_dir questions per unlisted dir
  static constexpr int kListAfter = 8;
};

}  // namespace cuslim
