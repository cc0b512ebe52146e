#include "report/content_groups.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "core/json_text.h"
#include "core/path.h"
#include "jit/jit_needs.h"
#include "profile/classifier.h"

namespace cuslim {

namespace {

// Every distribution of the site dirs and standard libraries above the paths.
std::vector<Distribution> distributions_above(const Root& root, const std::vector<std::string>& paths) {
  std::vector<Distribution> all;
  for (auto& site : site_dirs_of(paths))
    for (auto& d : read_site_dir(root, site)) all.push_back(std::move(d));
  for (auto& dir : stdlib_dirs_of(root, paths)) all.push_back(read_stdlib(root, dir));
  return all;
}

// A merged-/usr root lists /lib/x in dpkg and holds /usr/lib/x (or the other way round).
void add_dpkg_path(std::unordered_map<std::string, std::string>& out, const std::string& p, const std::string& pkg) {
  out.emplace(p, pkg);
  for (const char* top : {"/lib", "/bin", "/sbin", "/lib64", "/lib32", "/libx32"})
    if (p.rfind(std::string(top) + "/", 0) == 0) out.emplace("/usr" + p, pkg);
  if (p.rfind("/usr/", 0) == 0) out.emplace(p.substr(4), pkg);
}

// path -> package from the root's dpkg database ("libc6:amd64.list" -> "libc6").
std::unordered_map<std::string, std::string> dpkg_owners(const Root& root) {
  std::unordered_map<std::string, std::string> out;
  const auto* entries = root.list_dir("/var/lib/dpkg/info");
  if (!entries) return out;
  for (auto& [name, type] : *entries) {
    if (!name.ends_with(".list")) continue;
    std::string pkg = name.substr(0, name.size() - 5);
    pkg = pkg.substr(0, pkg.find(':'));
    std::ifstream in(root.host_path("/var/lib/dpkg/info/" + name));
    for (std::string line; std::getline(in, line);)
      if (line.size() > 1 && line[0] == '/') add_dpkg_path(out, line, pkg);
  }
  return out;
}

std::string first_components(const std::string& p, int n) {
  size_t at = 0;
  for (int i = 0; i < n; ++i) {
    size_t next = p.find('/', at + 1);
    if (next == std::string::npos) return path::dirname(p);
    at = next;
  }
  return p.substr(0, at);
}

// The reasons of a group's files, by bytes, at most three.
std::string join_reasons(const std::map<std::string, uint64_t>& by_reason) {
  std::vector<std::pair<std::string, uint64_t>> v(by_reason.begin(), by_reason.end());
  std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second > b.second; });
  std::string out;
  for (size_t i = 0; i < v.size() && i < 3; ++i)
    if (!v[i].first.empty()) out += (out.empty() ? "" : "; ") + v[i].first;
  if (v.size() > 3) out += "; ...";
  return out;
}

}  // namespace

FileGrouper::FileGrouper(const Root& root, const Classifier& classifier, const std::vector<std::string>& paths, std::set<std::string> generated)
    : classifier_(classifier), dists_(distributions_above(root, paths)), dpkg_(dpkg_owners(root)), generated_(std::move(generated)) {}

GroupKey FileGrouper::group_of(const std::string& p, ObjectClass counted_as) const {
  if (generated_.count(p)) return {"cuslim (generated)", "generated"};
  if (auto* d = dists_.owner(p)) return {d->version.empty() ? d->name : d->name + " " + d->version, "distribution", d->site};
  if (auto c = classifier_.classify(p, p, std::nullopt, path::basename(p)); !c.rule.empty()) {
    // What a base profile provides is named file by file ("glibc:libc.so.6"): one group per base.
    if (c.cls == ObjectClass::system) return {c.rule.substr(0, c.rule.find(':')), "family"};
    // A JIT framework's toolchain counted as toolkit (its framework is not here) is named by the
    // toolkit rule that matched it ("cuda:compiler"), as bundle and verify name it.
    return {rule_for(c, counted_as), "family"};
  }
  if (auto it = dpkg_.find(p); it != dpkg_.end()) return {"deb:" + it->second, "package"};
  return {first_components(p, 3), "directory"};
}

std::vector<ContentFile> rootfs_files(const Root& root, const Classifier& classifier) {
  std::vector<ContentFile> out;
  std::error_code ec;
  std::string base = root.is_host() ? std::string("/") : root.dir();
  for (auto it = std::filesystem::recursive_directory_iterator(base, std::filesystem::directory_options::skip_permission_denied, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    std::string p = "/" + it->path().lexically_relative(base).string();
    out.push_back({p, ObjectClass::app, static_cast<uint64_t>(st.st_size)});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.path < b.path; });
  // A JIT framework's toolchain is `jit` only while that framework ships here, `toolkit` otherwise
  // (as bundle and verify say): the distributions present are read first.
  std::vector<std::string> paths;
  for (auto& f : out) paths.push_back(f.path);
  auto present = distributions_present(root, paths);
  for (auto& f : out) f.cls = class_given(classifier.classify(f.path, f.path, std::nullopt, path::basename(f.path)), present);
  return out;
}

std::vector<ContentGroup> group_files(const FileGrouper& grouper, const std::vector<ContentFile>& files, bool kept, const ReasonOf& reason) {
  std::vector<ContentGroup> groups;
  std::map<std::pair<ObjectClass, std::string>, size_t> index;
  std::vector<std::map<std::string, uint64_t>> reasons;
  for (auto& f : files) {
    GroupKey key = grouper.group_of(f.path, f.cls);
    auto [it, added] = index.emplace(std::make_pair(f.cls, key.kind + "\n" + key.name + "\n" + key.site), groups.size());
    if (added) {
      groups.push_back({.cls = f.cls, .key = key, .kept = kept});
      reasons.emplace_back();
    }
    auto& g = groups[it->second];
    ++g.files;
    g.bytes += f.bytes;
    g.largest.push_back({f.path, f.bytes});
    if (reason) reasons[it->second][reason(f, key)] += std::max<uint64_t>(f.bytes, 1);
  }
  for (size_t i = 0; i < groups.size(); ++i) {
    auto& l = groups[i].largest;
    std::sort(l.begin(), l.end(), [](auto& a, auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
    if (l.size() > kLargestPerGroup) l.resize(kLargestPerGroup);
    groups[i].reason = join_reasons(reasons[i]);
  }
  std::sort(groups.begin(), groups.end(), [](auto& a, auto& b) {
    return a.cls != b.cls ? a.cls < b.cls : a.bytes != b.bytes ? a.bytes > b.bytes : a.key.name < b.key.name;
  });
  return groups;
}

nlohmann::json to_json(const std::vector<ContentGroup>& groups) {
  auto out = nlohmann::json::array();
  for (auto& g : groups) {
    nlohmann::json largest = nlohmann::json::array();
    for (auto& [p, b] : g.largest) {
      nlohmann::json e{{"bytes", b}};
      set_name_field(e, "path", p);
      largest.push_back(std::move(e));
    }
    out.push_back({{"class", to_string(g.cls)}, {"group", g.key.name}, {"kind", g.key.kind}, {"kept", g.kept}, {"reason", g.reason},
                   {"files", g.files}, {"bytes", g.bytes}, {"largest", std::move(largest)}});
    if (!g.key.site.empty()) out.back()["site"] = g.key.site;
  }
  return out;
}

}  // namespace cuslim
