#include "python/distribution.h"
#include "python/markers.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>

#include "core/json_text.h"
#include "core/path.h"
#include "core/root_walk.h"

namespace cuslim {

namespace fs = std::filesystem;

namespace {

// A metadata file of the root: resolved inside it, a regular file, at most 64 MiB (an image's
// RECORD -> /dev/zero reads nothing).
std::string read_text(const Root& root, const std::string& inside) {
  constexpr std::streamsize kMax = 64 << 20;
  auto real = root.realpath(inside);
  if (!real) return "";
  auto st = root.stat(*real);
  if (!st || !S_ISREG(st->st_mode) || st->st_size > kMax) return "";
  std::ifstream in(root.host_path(*real), std::ios::binary);
  std::string out(static_cast<size_t>(st->st_size), '\0');
  in.read(out.data(), st->st_size);
  out.resize(static_cast<size_t>(std::max<std::streamsize>(in.gcount(), 0)));
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    out.push_back(l);
  }
  return out;
}

// The first field of a RECORD line (CSV: a path with a comma or quote is quoted, "" escapes ").
std::string record_path(const std::string& line) {
  if (line.empty() || line[0] != '"') return line.substr(0, line.find(','));
  std::string out;
  for (size_t i = 1; i < line.size(); ++i) {
    if (line[i] != '"') out += line[i];
    else if (i + 1 < line.size() && line[i + 1] == '"') out += '"', ++i;
    else break;
  }
  return out;
}

// The interpreter a site dir belongs to, as far as its path says (lib/python3.11/site-packages);
// /usr/lib/python3/dist-packages says no minor.
MarkerEnv marker_env_of(const std::string& site) {
  MarkerEnv env;
  for (auto& c : path::components(site))
    if (c.rfind("python3.", 0) == 0 && c.size() > 8 && std::all_of(c.begin() + 8, c.end(), [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); }))
      env.python_minor = std::stoi(c.substr(8));
  return env;
}

// "Name: torch" -> the value of the first header of that name in a METADATA / PKG-INFO file.
// The distributions a METADATA file requires: each Requires-Dist's name ("numpy (>=1.2); python_version
// >= '3.9'" -> numpy), those whose marker is false for this interpreter left out (only an extra
// asks for it, "; extra == 'dev'"; another Python, "; python_version < '3.11'" on 3.11).
std::vector<std::string> required_names(const std::vector<std::string>& lines, const MarkerEnv& env) {
  std::vector<std::string> out;
  const std::string key = "Requires-Dist:";
  for (auto& l : lines) {
    if (l.empty()) break;
    if (l.rfind(key, 0) != 0) continue;
    std::string v = l.substr(key.size());
    if (auto semi = v.find(';'); semi != std::string::npos && evaluate_marker(v.substr(semi + 1), env) == Truth::no) continue;
    v.erase(0, v.find_first_not_of(" \t"));
    size_t end = 0;
    while (end < v.size() && (std::isalnum(static_cast<unsigned char>(v[end])) || v[end] == '-' || v[end] == '_' || v[end] == '.')) ++end;
    if (end) out.push_back(normalize_distribution_name(v.substr(0, end)));
  }
  return out;
}

std::string header(const std::vector<std::string>& lines, const std::string& key) {
  for (auto& l : lines) {
    if (l.empty()) break;  // the body starts
    if (l.size() > key.size() + 1 && l.compare(0, key.size(), key) == 0 && l[key.size()] == ':') {
      auto v = l.substr(key.size() + 1);
      v.erase(0, v.find_first_not_of(" \t"));
      return v;
    }
  }
  return "";
}

Distribution read_one(const Root& root, const std::string& site, const std::string& info_name) {
  Distribution d;
  d.site = site;
  d.info_dir = path::join(site, info_name);
  bool egg = info_name.ends_with(".egg-info");
  auto meta = lines_of(read_text(root, path::join(d.info_dir, egg ? "PKG-INFO" : "METADATA")));
  d.name = header(meta, "Name");
  d.version = header(meta, "Version");
  d.requires_ = required_names(meta, marker_env_of(site));
  if (d.name.empty()) d.name = info_name.substr(0, info_name.find('-'));
  d.key = normalize_distribution_name(d.name);
  // PEP 610: an editable install's modules live in its source dir, named by a file:// URL.
  if (auto du = parse_json_or_discarded(read_text(root, path::join(d.info_dir, "direct_url.json"))); du.is_object()) {
    auto url = du.value("url", std::string());
    bool editable = du.contains("dir_info") && du["dir_info"].is_object() && du["dir_info"].value("editable", false);
    if (editable && url.rfind("file://", 0) == 0 && url.size() > 7 && url[7] == '/') d.editable_dir = path::normalize(url.substr(7));
  }
  std::vector<std::string> owned;
  files_under(root, d.info_dir, owned);
  if (auto record = read_text(root, path::join(d.info_dir, "RECORD")); !egg && !record.empty()) {
    for (auto& l : lines_of(record))
      if (auto p = record_path(l); !p.empty()) owned.push_back(path::normalize(p[0] == '/' ? p : path::join(site, p)));  // data files may be absolute
  } else if (auto listed = read_text(root, path::join(d.info_dir, "installed-files.txt")); egg && !listed.empty()) {
    for (auto& l : lines_of(listed))
      if (!l.empty()) owned.push_back(path::normalize(path::join(d.info_dir, l)));
  } else {
    // A namespace package (namespace_packages.txt: lazr) is shared: of it, a distribution named
    // after a subpackage (lazr.uri) owns that subpackage only, not its neighbours'.
    auto namespaces = lines_of(read_text(root, path::join(d.info_dir, "namespace_packages.txt")));
    for (auto& pkg : lines_of(read_text(root, path::join(d.info_dir, "top_level.txt"))))
      if (!pkg.empty() && pkg.find('/') == std::string::npos && pkg != ".." && pkg != ".") {
        std::string own = path::join(site, pkg);
        if (std::find(namespaces.begin(), namespaces.end(), pkg) != namespaces.end() && d.name.rfind(pkg + ".", 0) == 0) {
          std::string sub = d.name.substr(pkg.size() + 1);
          std::replace(sub.begin(), sub.end(), '.', '/');
          if (auto st = root.stat(path::join(own, sub)); !sub.empty() && sub.find("..") == std::string::npos && st && S_ISDIR(st->st_mode))
            own = path::join(own, sub);
        }
        files_under(root, own, owned);
        if (root.stat(path::join(site, pkg + ".py"))) owned.push_back(path::join(site, pkg + ".py"));
      }
  }
  std::sort(owned.begin(), owned.end());
  owned.erase(std::unique(owned.begin(), owned.end()), owned.end());
  for (auto& p : owned)
    if (root.stat(p) || root.realpath(p).ok()) d.files.push_back(p);
  return d;
}

}  // namespace

std::string normalize_distribution_name(const std::string& name) {
  std::string out;
  for (char c : name) {
    if (c == '-' || c == '_' || c == '.') {
      if (out.empty() || out.back() != '-') out += '-';
    } else {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

std::vector<Distribution> read_site_dir(const Root& root, const std::string& site) {
  std::vector<Distribution> out;
  const auto* entries = root.list_dir(site);
  if (!entries) return out;
  std::vector<std::string> names;
  for (auto& [name, _] : *entries)
    if (name.ends_with(".dist-info") || name.ends_with(".egg-info")) names.push_back(name);
  std::sort(names.begin(), names.end());
  for (auto& n : names)
    if (auto st = root.stat(path::join(site, n)); st && S_ISDIR(st->st_mode)) out.push_back(read_one(root, site, n));
  std::stable_sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.key < b.key; });
  // One distribution with a .dist-info and an .egg-info (Debian installs some so): one entry,
  // the .dist-info's (sorted first), owning the files of both.
  std::vector<Distribution> merged;
  for (auto& d : out) {
    if (!merged.empty() && merged.back().key == d.key) {
      auto& m = merged.back();
      m.files.insert(m.files.end(), d.files.begin(), d.files.end());
      std::sort(m.files.begin(), m.files.end());
      m.files.erase(std::unique(m.files.begin(), m.files.end()), m.files.end());
      continue;
    }
    merged.push_back(std::move(d));
  }
  return merged;
}

std::set<std::string> site_dirs_of(const std::vector<std::string>& paths) {
  std::set<std::string> out;
  for (auto& p : paths)
    for (std::string d = path::dirname(p); d.size() > 1 && d[0] == '/'; d = path::dirname(d))  // absolute paths only: dirname(".") is "."
      if (auto b = path::basename(d); b == "site-packages" || b == "dist-packages") {
        out.insert(d);
        break;
      }
  return out;
}

std::set<std::string> stdlib_dirs_of(const Root& root, const std::vector<std::string>& paths) {
  static const std::regex pythonxy(R"(python\d+\.\d+)");
  std::set<std::string> out, tried;
  for (auto& p : paths)
    for (std::string d = path::dirname(p); d.size() > 1 && d[0] == '/'; d = path::dirname(d))  // absolute paths only: dirname(".") is "."
      if (std::regex_match(path::basename(d), pythonxy) && path::basename(path::dirname(d)).starts_with("lib")) {
        if (tried.insert(d).second && root.stat(path::join(d, "os.py"))) out.insert(d);
        break;
      }
  return out;
}

Distribution read_stdlib(const Root& root, const std::string& dir) {
  // Top-level directories of the standard library a program never runs, and Tk's extension module
  // (its closure is Tcl, Tk and X11: 7 MB for a package that is left out).
  static const std::regex never_run(
      R"(/(test|tests|idlelib|tkinter|turtledemo|ensurepip|config-[^/]*|site-packages|dist-packages|lib-dynload/_tkinter[^/]*))");
  static const std::regex nested_tests(R"(/.+/(test|tests))");
  Distribution d{.name = "python-stdlib", .version = path::basename(dir).substr(6), .key = "python-stdlib", .site = dir, .info_dir = dir + "/.none"};
  files_under(root, dir, d.files, [](const std::string& rel) { return std::regex_match(rel, never_run) || std::regex_match(rel, nested_tests); });
  std::sort(d.files.begin(), d.files.end());
  return d;
}

DistributionIndex::DistributionIndex(std::vector<Distribution> dists) : dists_(std::move(dists)) {
  for (size_t i = 0; i < dists_.size(); ++i) {
    by_key_.emplace(dists_[i].key, i);
    for (auto& f : dists_[i].files) by_file_.emplace(f, i);
  }
}

const Distribution* DistributionIndex::owner(const std::string& inside) const {
  if (auto it = by_file_.find(inside); it != by_file_.end()) return &dists_[it->second];
  std::string dir = path::dirname(inside), base = path::basename(inside);
  if (path::basename(dir) == "__pycache__" && base.ends_with(".pyc")) {
    std::string source = path::join(path::dirname(dir), base.substr(0, base.find('.')) + ".py");
    if (auto it = by_file_.find(source); it != by_file_.end()) return &dists_[it->second];
  }
  return nullptr;
}

const Distribution* DistributionIndex::find(const std::string& key) const {
  auto it = by_key_.find(normalize_distribution_name(key));
  return it == by_key_.end() ? nullptr : &dists_[it->second];
}

}  // namespace cuslim
