#include "core/root_walk.h"

#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "core/path.h"

namespace cuslim {

namespace fs = std::filesystem;

void files_under(const Root& root, const std::string& inside, std::vector<std::string>& out, const std::function<bool(const std::string&)>& skip) {
  std::error_code ec;
  // Symlinks on the way are the root's (an image's /usr/local/cuda -> /etc/alternatives/cuda ->
  // ...), resolved inside it: the host's own tree is never walked.
  auto real = root.realpath(inside);
  if (!real) return;
  std::string host = root.host_path(*real);
  auto st = fs::symlink_status(host, ec);
  if (ec) return;
  if (!fs::is_directory(st)) {
    out.push_back(inside);
    return;
  }
  for (fs::recursive_directory_iterator it(host, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end; it.increment(ec)) {
    std::string rel = it->path().string().substr(host.size());
    bool dir = it->is_directory(ec) && !it->is_symlink(ec);
    if (skip && skip(rel)) {  // a skipped directory is not entered
      if (dir) it.disable_recursion_pending();
    } else if (!dir) {
      out.push_back(inside + rel);
    }
  }
}

namespace {

void expand(const Root& root, const std::string& dir, const std::vector<std::string>& segs, size_t i, std::vector<std::string>& out) {
  if (i == segs.size()) {  // the entry itself (a symlink counts), its directory resolved in the root
    struct stat st;
    auto parent = root.realpath(path::dirname(dir));
    if (parent && ::lstat(root.host_path(path::join(*parent, path::basename(dir))).c_str(), &st) == 0) out.push_back(dir);
    return;
  }
  const std::string& seg = segs[i];
  if (seg == "**" && i + 1 == segs.size()) {
    if (auto st = root.stat(dir); st && S_ISDIR(st->st_mode)) files_under(root, dir, out);
    return;
  }
  if (seg.find_first_of("*?[") == std::string::npos) {
    expand(root, path::join(dir, seg), segs, i + 1, out);
    return;
  }
  const auto* entries = root.list_dir(dir);
  if (!entries) return;
  std::vector<std::string> names;
  for (auto& [name, _] : *entries)
    if (::fnmatch(seg.c_str(), name.c_str(), FNM_PERIOD) == 0) names.push_back(name);
  std::sort(names.begin(), names.end());
  for (auto& n : names) expand(root, path::join(dir, n), segs, i + 1, out);
}

}  // namespace

std::vector<std::string> expand_glob(const Root& root, const std::string& glob) {
  std::vector<std::string> segs, out;
  for (size_t start = 1, end; start <= glob.size(); start = end + 1) {
    end = glob.find('/', start);
    if (end == std::string::npos) end = glob.size();
    if (end > start) segs.push_back(glob.substr(start, end - start));
  }
  if (glob.empty() || glob[0] != '/') return out;
  expand(root, "/", segs, 0, out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace cuslim
