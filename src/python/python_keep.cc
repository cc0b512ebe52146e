#include "python/python_keep.h"

#include <sys/stat.h>

#include <algorithm>
#include <regex>
#include <set>

#include "core/path.h"
#include "python/interpreter.h"

namespace cuslim {

namespace {

// "cpython-312" for a site dir under lib/python3.12; empty when the path does not say.
std::string cache_tag(const std::string& site) {
  static const std::regex re(R"(/python(\d+)\.(\d+)(/|$))");
  std::smatch m;
  return std::regex_search(site, m, re) ? "cpython-" + m[1].str() + m[2].str() : "";
}

// Files a whole distribution still leaves out: its tests directories (below the top level) and
// __pycache__ files of other Python versions or of `python -O` (.opt-1/.opt-2), unless a traced
// run used them.
bool left_out_of_package(const Distribution& d, const std::string& file, const std::string& tag) {
  std::string rel = file.rfind(d.site + "/", 0) == 0 ? file.substr(d.site.size() + 1) : file;
  size_t depth = 0;
  for (size_t start = 0, end; start < rel.size(); start = end + 1, ++depth) {
    end = rel.find('/', start);
    if (end == std::string::npos) break;
    std::string part = rel.substr(start, end - start);
    if (depth >= 1 && (part == "tests" || part == "test")) return true;
  }
  std::string dir = path::dirname(file), base = path::basename(file);
  if (path::basename(dir) != "__pycache__" || !base.ends_with(".pyc")) return false;
  // Another interpreter's cache, or `python -O`'s (.opt-1/.opt-2: made from the source if ever run so).
  return (!tag.empty() && base.find("." + tag) == std::string::npos) || base.ends_with(".opt-1.pyc") || base.ends_with(".opt-2.pyc");
}

// A module the import system loads (source, bytecode, extension module) rather than a library
// or data file a package opened.
bool is_module_file(const std::string& f) {
  std::string base = path::basename(f);
  return base.ends_with(".py") || base.ends_with(".pyc") ||
         (base.find(".so") != std::string::npos && (base.find(".cpython-") != std::string::npos || base.find(".abi3.") != std::string::npos)) ||
         (base.ends_with(".so") && !base.starts_with("lib"));  // a plain extension module (_foo.so), not a library
}

bool is_metadata_file(const std::string& f) {
  std::string base = path::basename(f);
  return base == "METADATA" || base == "PKG-INFO";
}

bool in_site_dir(const std::string& f) {
  return f.find("/site-packages/") != std::string::npos || f.find("/dist-packages/") != std::string::npos;
}

uint64_t size_of(const Root& root, const std::string& p) {
  auto st = root.stat(p);
  return st && S_ISREG(st->st_mode) ? static_cast<uint64_t>(st->st_size) : 0;
}

}  // namespace

std::optional<PythonKeep> parse_python_keep(const std::string& s) {
  if (s == "package") return PythonKeep::package;
  if (s == "file") return PythonKeep::file;
  return std::nullopt;
}

std::vector<std::string> unowned_packages(const Root& root, const std::vector<std::string>& used, const DistributionIndex& index,
                                          const std::vector<std::string>& path_dirs) {
  std::set<std::string> out;
  auto is_package = [&](const std::string& dir) {
    return dir.size() > 1 && (root.stat(path::join(dir, "__init__.py")) || root.stat(path::join(dir, "__init__.pyc")));
  };
  // The directory just below a sys.path directory that holds `dir` (dir itself, or one above it).
  auto namespace_top = [&](const std::string& dir) -> std::optional<std::string> {
    for (auto& p : path_dirs) {
      if (p.empty() || dir.size() <= p.size() + 1 || dir.compare(0, p.size() + 1, p == "/" ? p : p + "/") != 0) continue;
      auto rest = dir.substr(p == "/" ? 1 : p.size() + 1);
      return path::join(p, rest.substr(0, rest.find('/')));
    }
    return std::nullopt;
  };
  std::set<std::string> flat_dirs;  // sys.path dirs a module directly in them was imported from
  for (auto& f : used) {
    if (!is_module_file(f) || index.owner(f) || in_site_dir(f)) continue;  // a site dir is distributions' ground
    std::string dir = path::dirname(f);
    if (path::basename(dir) == "__pycache__") dir = path::dirname(dir);
    if (std::find(path_dirs.begin(), path_dirs.end(), dir) != path_dirs.end()) flat_dirs.insert(dir);
    if (is_package(dir))
      while (is_package(path::dirname(dir))) dir = path::dirname(dir);
    if (auto top = namespace_top(dir)) {  // a package of a sys.path directory, namespace or not
      out.insert(*top);
      flat_dirs.insert(path::dirname(*top));  // that directory is the application's: its modules ship too
    } else if (is_package(dir)) {
      out.insert(dir);
    }
  }
  for (auto& dir : flat_dirs)
    if (auto* entries = root.list_dir(dir))
      for (auto& [name, type] : *entries)
        if (auto st = root.stat(path::join(dir, name)); name.ends_with(".py") && st && S_ISREG(st->st_mode)) out.insert(path::join(dir, name));
  return {out.begin(), out.end()};
}

std::vector<std::string> traced_script_dirs(const Root& root, const std::vector<std::string>& used, const DistributionIndex& index) {
  std::set<std::string> dirs;
  for (auto& f : used) {
    if (!f.ends_with(".py") || index.owner(f) || in_site_dir(f)) continue;
    std::string dir = path::dirname(f);
    if (dir.size() > 1 && !root.stat(path::join(dir, "__init__.py"))) dirs.insert(dir);
  }
  std::vector<std::string> out;
  for (auto& d : dirs)  // sorted: a holder comes before what it holds
    if (std::none_of(out.begin(), out.end(), [&](auto& o) { return d.rfind(o + "/", 0) == 0; })) out.push_back(d);
  return out;
}

PythonSelection select_python(const Root& root, const std::vector<std::string>& used, const PythonKeepOptions& opts, std::set<std::string>* kept) {
  PythonSelection out;
  std::vector<Distribution> all;
  for (auto& site : site_dirs_of(used))
    for (auto& d : read_site_dir(root, site)) all.push_back(std::move(d));
  for (auto& dir : stdlib_dirs_of(root, used)) all.push_back(read_stdlib(root, dir));
  auto shared_index = std::make_shared<const DistributionIndex>(std::move(all));
  const DistributionIndex& index = *shared_index;
  out.index = shared_index;
  // Used: a file of the distribution opened, its own metadata aside (importlib.metadata reads any);
  // imported when one of them is a module, loaded when only its libraries or data were.
  std::map<const Distribution*, std::string> why;
  std::set<std::string> used_set(used.begin(), used.end());
  // What start-up runs from a .pth hook (it ships with the interpreter's start-up files) is not the
  // program importing that distribution.
  std::vector<PthHooks> hooks;
  for (auto& site : site_dirs_of(used)) hooks.emplace_back(root, site);
  auto hook = [&](const std::string& f) { return std::any_of(hooks.begin(), hooks.end(), [&](auto& h) { return h.covers(f); }); };
  auto editable_owner = [&](const std::string& f) -> const Distribution* {  // a module of an editable install's source dir
    for (auto& d : index.all())
      if (!d.editable_dir.empty() && f.rfind(d.editable_dir + "/", 0) == 0) return &d;
    return nullptr;
  };
  // A distribution whose METADATA the run read was asked about by name (its version checked): the
  // program knows it is installed and may import it on a path the trace did not take, so it ships.
  // A scan of them all (pip, pkg_resources: most of a site dir's METADATA read) is not such a use.
  std::map<std::string, std::pair<size_t, size_t>> read_of_site;  // site -> METADATA read, distributions
  for (auto& d : index.all()) ++read_of_site[d.site].second;
  for (auto& f : used)
    if (const Distribution* d = index.owner(f); d && is_metadata_file(f) && f.rfind(d->info_dir + "/", 0) == 0) ++read_of_site[d->site].first;
  bool metadata_scan = std::any_of(read_of_site.begin(), read_of_site.end(),
                                   [](auto& s) { return s.second.first >= 8 && s.second.first * 2 > s.second.second; });
  for (auto& f : used) {
    const Distribution* d = index.owner(f);
    if (!d && is_module_file(f))
      if (const Distribution* e = editable_owner(f)) {
        why[e] = "imported by the trace (an editable install of " + e->editable_dir + ")";
        continue;
      }
    if (d && f.rfind(d->info_dir + "/", 0) == 0) {
      if (is_metadata_file(f) && !metadata_scan) why.emplace(d, "its metadata read by the trace (importlib.metadata.version)");
      continue;
    }
    if (!d || hook(f)) continue;
    if (d->key == "python-stdlib") why.emplace(d, "the interpreter's standard library, used by the trace");
    else if (is_module_file(f)) why[d] = "imported by the trace";
    else why.emplace(d, "loaded by the trace");
  }
  // What a kept distribution imports lazily, to a fixed point: the distributions profiles name
  // (torch -> triton -> ...) and those it declares (Requires-Dist: rich -> pygments, which only a
  // path the trace did not take imports).
  std::map<const Distribution*, std::string> held_back;  // only_if_used ones another would have brought
  auto bring = [&](const Distribution* c, const std::string& reason) {
    if (!c || why.count(c)) return false;
    if (auto it = opts.only_if_used.find(c->key); it != opts.only_if_used.end()) {
      held_back.emplace(c, "not kept: " + it->second + " (" + reason + ")");
      return false;
    }
    return why.emplace(c, reason), true;
  };
  // A distribution whose .pth start-up hook runs in every interpreter and which extends one that
  // ships (numba-cuda's hook redirects numba.cuda to numba_cuda): without it, the shipped one
  // behaves otherwise in the image than on the host. It ships with the distribution it is a
  // plugin of: one it requires and is named after (numba-cuda -> numba), not with any other it
  // requires (numba-cuda also requires cuda-bindings, which torch brings; numba stays out then).
  std::vector<const Distribution*> hook_owners;
  for (auto& d : index.all())
    if (std::any_of(d.files.begin(), d.files.end(), [&](auto& f) { return f.ends_with(".pth") && hook(f); })) hook_owners.push_back(&d);
  for (bool grew = true; grew && opts.mode == PythonKeep::package;) {
    grew = false;
    for (auto& [d, _] : std::map(why)) {
      if (auto it = opts.companions.find(d->key); it != opts.companions.end())
        for (auto& [companion, profile] : it->second) grew |= bring(index.find(companion), "named by profile " + profile + " (with " + d->name + ")");
      for (auto& dep : d->requires_) grew |= bring(index.find(dep), "required by " + d->name);
    }
    for (auto* h : hook_owners)
      for (auto& dep : h->requires_)
        if (const Distribution* r = index.find(dep); r && why.count(r) && !why.count(h) && h->key.rfind(r->key + "-", 0) == 0) {
          grew |= bring(h, "its start-up hook (.pth) extends " + r->name + ", which ships");
          break;
        }
  }
  if (kept)
    for (auto& [d, _] : why) kept->insert(d->key);
  for (auto& d : index.all()) {
    DistributionReport r{.name = d.name, .version = d.version, .site = d.site};
    auto it = why.find(&d);
    r.kept = it != why.end();
    auto held = held_back.find(&d);
    r.reason = r.kept ? it->second : held != held_back.end() ? held->second : "not imported";
    std::string tag = cache_tag(d.site);
    for (auto& f : d.files) {
      // file by file still ships a kept distribution's metadata (importlib.metadata reads it; it
      // is how a framework is known to be there).
      bool ships = r.kept && (opts.mode == PythonKeep::package || used_set.count(f) || f.rfind(d.info_dir + "/", 0) == 0);
      if (ships && !used_set.count(f) && (left_out_of_package(d, f, tag) || (opts.leave_out && opts.leave_out(f)))) {
        ++r.left_out;
        continue;
      }
      if (!r.kept && used_set.count(f) && f.rfind(d.info_dir + "/", 0) == 0) out.orphan_metadata.push_back(f);
      if (r.kept && !ships) continue;
      ++r.files;
      r.bytes += size_of(root, f);
      if (ships) out.files.push_back(f);
    }
    out.distributions.push_back(std::move(r));
  }
  return out;
}

void credit_closures(PythonSelection& sel, const Root& root, const std::vector<std::string>& shipped,
                     const std::map<std::string, std::string>& needed_by) {
  if (!sel.index) return;
  const auto& dists = sel.index->all();
  auto owner = [&](const std::string& p) -> const Distribution* {
    if (auto* d = sel.index->owner(p)) return d;
    auto real = root.realpath(p);
    return real ? sel.index->owner(*real) : nullptr;
  };
  // Who needed `f` first, outside its own distribution: a distribution's name, else the object.
  auto closure_of = [&](const std::string& f, const Distribution* d) -> std::string {
    std::string p = f;
    for (int step = 0; step < 64; ++step) {
      auto it = needed_by.find(p);
      if (it == needed_by.end()) break;
      const Distribution* o = owner(it->second);
      if (o != d) return o ? o->name : it->second;
      p = it->second;
    }
    return "";
  };
  std::map<const Distribution*, std::vector<std::string>> shipping;
  for (auto& f : shipped)  // its metadata aside: entry-point scans read every distribution's
    if (const Distribution* d = owner(f); d && f.rfind(d->info_dir + "/", 0) != 0) shipping[d].push_back(f);
  for (size_t i = 0; i < dists.size() && i < sel.distributions.size(); ++i) {
    auto& r = sel.distributions[i];
    auto it = shipping.find(&dists[i]);
    if (r.kept || it == shipping.end()) continue;
    std::string by;
    for (auto& f : it->second)
      if (by = closure_of(f, &dists[i]); !by.empty()) break;
    r.kept = true;
    r.reason = by.empty() ? "shipped for another rule (an --include, a JIT toolchain, a .pth start-up hook)" : "closure of " + by;
    r.files = r.bytes = 0;
    for (auto& f : it->second) ++r.files, r.bytes += size_of(root, f);
  }
}

}  // namespace cuslim
