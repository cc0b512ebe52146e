#include "jit/jit_needs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>

#include "core/path.h"
#include "core/root_walk.h"
#include "python/distribution.h"

namespace cuslim {

JitPlaces JitPlaces::of(const Root& root, const std::vector<std::string>& paths) {
  JitPlaces p;
  for (auto& s : site_dirs_of(paths)) p.sites.push_back(s);
  for (auto& s : stdlib_dirs_of(root, paths)) p.prefixes.push_back(path::dirname(path::dirname(s)));
  return p;
}

std::set<std::string> distributions_present(const Root& root, const std::vector<std::string>& paths) {
  std::set<std::string> have(paths.begin(), paths.end()), out;
  for (auto& site : site_dirs_of(paths))
    for (auto& d : read_site_dir(root, site)) {
      // Its metadata alone (importlib.metadata reads every distribution's) is not the distribution:
      // one of its own files must be there too.
      bool metadata = have.count(path::join(d.info_dir, "METADATA")) || have.count(path::join(d.info_dir, "PKG-INFO")) ||
                      have.count(path::join(d.info_dir, "RECORD"));
      if (!metadata) continue;
      for (auto& f : d.files)
        if (f.rfind(d.info_dir + "/", 0) != 0 && have.count(f)) {
          out.insert(d.key);
          break;
        }
    }
  return out;
}

std::vector<std::string> expand_need_glob(const Root& root, const std::string& glob, const JitPlaces& places) {
  std::vector<std::string> globs{glob}, out;
  auto substitute = [&](const std::string& key, const std::vector<std::string>& values) {
    std::vector<std::string> next;
    for (auto& g : globs) {
      auto at = g.find(key);
      if (at == std::string::npos) next.push_back(g);
      else
        for (auto& v : values) next.push_back(g.substr(0, at) + v + g.substr(at + key.size()));
    }
    globs = std::move(next);
  };
  substitute("{site}", places.sites);
  substitute("{prefix}", places.prefixes);
  for (auto& g : globs)
    for (auto& p : expand_glob(root, g)) out.push_back(p);
  return out;
}

namespace {

// "13" of x86_64-linux-gnu-gcc-13, "12.2" of gcc-12.2 (the file a program's links end at).
std::string program_version(const Root& root, const std::string& program) {
  auto real = root.realpath(program);
  std::string name = path::basename(real ? *real : program);
  size_t dash = name.rfind('-');
  if (dash == std::string::npos || dash + 1 == name.size()) return "";
  std::string v = name.substr(dash + 1);
  if (!std::isdigit(static_cast<unsigned char>(v[0])) || v.find_first_not_of("0123456789.") != std::string::npos) return "";
  return v;
}

}  // namespace

std::vector<std::string> need_keep_paths(const Root& root, const JitNeed& need, const std::string& found, const JitPlaces& places) {
  const std::string key = "{version}";
  auto expand = [&](const std::string& version) {
    std::vector<std::string> out;
    bool versioned_hit = false;
    for (auto g : need.keep) {
      bool versioned_dir = g.find("/" + key + "/") != std::string::npos;  // the compiler's own dir
      for (size_t at; (at = g.find(key)) != std::string::npos;) g.replace(at, key.size(), version);
      auto paths = expand_need_glob(root, g, places);
      versioned_hit |= versioned_dir && !paths.empty();
      out.insert(out.end(), paths.begin(), paths.end());
    }
    return std::make_pair(out, versioned_hit);
  };
  if (std::string v = program_version(root, found); !v.empty())
    if (auto [paths, hit] = expand(v); hit) return paths;
  return expand("*").first;
}

std::optional<std::string> find_need(const Root& root, const JitNeed& need, const JitPlaces& places, const std::vector<std::string>& path_dirs) {
  for (auto& g : need.any)
    for (auto& p : expand_need_glob(root, g, places))
      if (auto st = root.stat(p); st && S_ISREG(st->st_mode)) return p;
  for (auto& prog : need.programs)
    for (auto& dir : path_dirs)
      if (std::string p = path::join(dir, prog); root.stat(p) && S_ISREG(root.stat(p)->st_mode) && (root.stat(p)->st_mode & 0111)) return p;
  return std::nullopt;
}

std::vector<JitReadiness> jit_readiness(const Root& root, const std::vector<const JitFramework*>& frameworks, const std::set<std::string>& present,
                                        const JitPlaces& places, const std::vector<std::string>& path_dirs) {
  std::vector<JitReadiness> out;
  for (auto* f : frameworks) {
    if (!jit_framework_present(f->when, f->requires_, present)) continue;
    JitReadiness r{.framework = f};
    for (auto& need : f->needs) {
      auto p = find_need(root, need, places, path_dirs);
      if (!p) {
        r.missing.push_back(need.what);
        continue;
      }
      r.found.push_back(need.what + ": " + *p);
      for (auto& part : need.parts)  // a compiler without its cc1 compiles nothing
        if (!find_need(root, part, places, path_dirs)) r.missing.push_back(part.what);
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::string jit_failure(const JitReadiness& r, const std::string& where) {
  std::string what;
  for (size_t i = 0; i < r.missing.size(); ++i) what += (i ? (i + 1 == r.missing.size() ? " and " : ", ") : "") + r.missing[i];
  return r.framework->consequence + ": " + r.framework->name + " needs " + what + " (none in " + where + ")";
}

}  // namespace cuslim
