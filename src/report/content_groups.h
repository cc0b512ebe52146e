// What an image's bytes are, for reports: every regular file with its class, in groups a person
// recognises. A file's group is the first that fits of: its Python distribution (RECORD), its
// profile family (the classifier's rule, "cuda:cublas"; for what a base provides, the base:
// "glibc"), its Debian package
// (var/lib/dpkg/info/*.list) and its directory (three levels deep).
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/object_class.h"
#include "core/root.h"
#include "profile/classifier.h"
#include "python/distribution.h"

namespace cuslim {

struct ContentFile {
  std::string path;  // in the image
  ObjectClass cls = ObjectClass::app;
  uint64_t bytes = 0;
};

struct GroupKey {
  std::string name;  // "torch 2.5.1", "cuda:cublas", "deb:libc6", "/usr/share/zoneinfo"
  std::string kind;  // distribution | family | package | directory
  std::string site;  // a distribution's site dir: the same name in a venv and a base interpreter is two groups
  bool operator==(const GroupKey&) const = default;
};

struct ContentGroup {
  ObjectClass cls = ObjectClass::app;
  GroupKey key;
  bool kept = true;    // false: slim dropped it
  std::string reason;  // why kept or dropped (the reasons of its files, largest first)
  uint64_t files = 0, bytes = 0;
  std::vector<std::pair<std::string, uint64_t>> largest;  // its largest files, at most kLargestPerGroup
};
inline constexpr size_t kLargestPerGroup = 40;

// Finds each file's group in one root (the image's rootfs, or the bundle's source root).
class FileGrouper {
 public:
  // `paths`: the in-root files to be grouped (their site dirs are read for distributions).
  // `generated`: files cuslim wrote (ld.so.cache, ld.so.conf, passwd): one group of their own, not
  // the host package that owns the same path.
  FileGrouper(const Root& root, const Classifier& classifier, const std::vector<std::string>& paths, std::set<std::string> generated = {});
  // `counted_as`: the class the file is counted in (a JIT toolchain file is toolkit where its
  // framework is absent, and then named by its toolkit rule).
  GroupKey group_of(const std::string& path, ObjectClass counted_as) const;
  // The distribution that owns the path, if any.
  const Distribution* distribution_of(const std::string& path) const { return dists_.owner(path); }

 private:
  const Classifier& classifier_;
  DistributionIndex dists_;
  std::unordered_map<std::string, std::string> dpkg_;  // path -> Debian package
  std::set<std::string> generated_;
};

// Every regular file of a rootfs, classified as `slim` and `verify` do (by path and name).
std::vector<ContentFile> rootfs_files(const Root& root, const Classifier& classifier);

// Groups files by (class, group); `reason` gives each file's reason (may be null: no reasons).
// Sorted by class, then bytes, largest first.
using ReasonOf = std::function<std::string(const ContentFile&, const GroupKey&)>;
std::vector<ContentGroup> group_files(const FileGrouper& grouper, const std::vector<ContentFile>& files, bool kept,
                                      const ReasonOf& reason = {});

// [{"class", "group", "kind", "kept", "reason", "files", "bytes", "largest": [{"path", "bytes"}]}]
nlohmann::json to_json(const std::vector<ContentGroup>& groups);

}  // namespace cuslim
