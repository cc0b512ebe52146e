#include "profile/classifier.h"

#include <fnmatch.h>
#include <limits.h>
#include <unistd.h>

#include <algorithm>

#include <set>

#include "core/parallel.h"
#include "core/path.h"

namespace cuslim {

namespace {

// fnmatch, after a cheap check of the pattern's literal prefix (most rules are "libfoo.so*").
bool glob(const std::string& pattern, const std::string& s) {
  if (s.empty()) return false;
  size_t lit = pattern.find_first_of("*?[\\");
  size_t n = lit == std::string::npos ? pattern.size() : lit;
  if (s.compare(0, n, pattern, 0, n) != 0) return false;
  return lit == std::string::npos ? s.size() == pattern.size() : ::fnmatch(pattern.c_str(), s.c_str(), 0) == 0;
}

// fnmatch after comparing the pattern's literal prefix (lit characters).
bool glob_lit(const std::string& pattern, size_t lit, const std::string& s) {
  if (s.size() < lit || s.compare(0, lit, pattern, 0, lit) != 0) return false;
  return lit == pattern.size() ? s.size() == lit : ::fnmatch(pattern.c_str(), s.c_str(), 0) == 0;
}

// A required literal as searched for: without a leading '/' (std::string::find looks for the
// first character and compares from each hit, and a path is full of '/').
bool contains(const std::string& s, const std::string& lit) {
  size_t skip = lit.size() > 1 && lit[0] == '/' ? 1 : 0;
  return s.find(lit.c_str() + skip, 0, lit.size() - skip) != std::string::npos;
}

// The longest run of literal characters of a glob before its first bracket expression or
// escape (whose runs are not worth parsing: [[:digit:]], [!]]): every match contains it.
std::string required_literal(const std::string& pattern) {
  std::string best, cur;
  for (char c : pattern.substr(0, pattern.find_first_of("[\\"))) {
    if (c == '*' || c == '?') {
      if (cur.size() > best.size()) best = cur;
      cur.clear();
    } else {
      cur += c;
    }
  }
  return cur.size() > best.size() ? cur : best;
}

// A rule's paths and regex (its names go through the name index): does one of them match?
// path_reqs: for each of r.paths, a literal run every match contains (most path globs start with
// '*', so their literal prefix is empty and fnmatch would run on every path).
bool paths_or_regex_match(const ClassRule& r, const std::string* path_reqs, const std::vector<std::string>& names,
                          const std::vector<std::string>& paths) {
  for (size_t i = 0; i < r.paths.size(); ++i)
    for (auto& x : paths)
      if ((path_reqs[i].empty() || contains(x, path_reqs[i])) && glob_lit(r.paths[i], r.path_lits[i], x)) return true;
  if (!r.regex_text.empty())
    for (auto& n : names)  // the driver-version rule: only versioned shared objects can match; a name
      // longer than a file name can be (NAME_MAX) names no file, and std::regex recurses per character.
      if (n.size() <= NAME_MAX && n.find(".so.") != std::string::npos && std::regex_match(n, rule_regex(r))) return true;
  return false;
}

std::vector<std::string> names_of(const std::string& path, const std::string& realpath, const std::optional<std::string>& soname,
                                  const std::string& name) {
  std::vector<std::string> out;
  for (auto* s : {&path, &realpath, &name})
    if (!s->empty()) out.push_back(path::basename(*s));
  if (soname) out.push_back(*soname);
  return out;
}

// Expands {major}, {minor}, {version} (the loading object's file name), {cuda_major},
// {cuda_minor} (its CUDA version) and {lib_major}, {lib_minor}, {lib_version} (its own version,
// from its code: cuDNN 9.28.0); nullopt when a placeholder has no value.
std::optional<std::string> expand(const std::string& pattern, const std::optional<SoVersion>& v, const SoVersion& cuda, const SoVersion& lib) {
  std::string out = pattern;
  for (auto [key, val] : {std::pair<std::string, const std::string*>{"{major}", v ? &v->major : nullptr},
                          {"{minor}", v ? &v->minor : nullptr}, {"{version}", v ? &v->version : nullptr},
                          {"{cuda_major}", &cuda.major}, {"{cuda_minor}", &cuda.minor},
                          {"{lib_major}", &lib.major}, {"{lib_minor}", &lib.minor}, {"{lib_version}", &lib.version}}) {
    for (size_t at; (at = out.find(key)) != std::string::npos;) {
      if (!val || val->empty()) return std::nullopt;
      out.replace(at, key.size(), *val);
    }
  }
  return out;
}

}  // namespace

std::optional<SoVersion> so_version(const std::string& file_name) {
  auto at = file_name.find(".so.");
  if (at == std::string::npos) return std::nullopt;
  std::string v = file_name.substr(at + 4);
  if (v.empty() || !std::isdigit(static_cast<unsigned char>(v[0]))) return std::nullopt;
  SoVersion out{v.substr(0, v.find('.')), "", v};
  if (auto dot = v.find('.'); dot != std::string::npos) out.minor = v.substr(dot + 1, v.find('.', dot + 1) - dot - 1);
  return out;
}

Result<Classifier> Classifier::make(const ProfileSet& set, const std::string& base, const std::vector<std::string>& user) {
  Classifier c;
  std::set<std::string> taken;
  auto take = [&](const std::string& name) -> Status {
    if (!taken.insert(name).second) return ok_status();
    CUSLIM_TRY(auto p, set.resolved(name));
    c.active_.push_back(std::move(p));
    return ok_status();
  };
  // Every profile the user gave first, whatever its kind (a file without `kind:` is a base: its
  // classify rules apply all the same).
  for (auto& u : user) CUSLIM_CHECK(take(u));
  // cuda before driver: its toolkit rules claim stubs/libcuda.so before the driver names do.
  for (auto kind : {ProfileKind::cuda, ProfileKind::driver, ProfileKind::framework})
    for (auto* p : set.all())
      if (p->kind == kind) CUSLIM_CHECK(take(p->name));
  if (auto* b = set.find(base); b && b->kind == ProfileKind::base) CUSLIM_CHECK(take(base));  // the base chosen: its rules too
  c.index_rules();
  for (auto& p : c.active_)
    for (auto& j : p.jit)
      for (auto& g : j.files) c.jit_lits_.push_back(required_literal(g));
  auto bases = [&] {  // what --base can name: the base profiles (and images), not every profile
    std::string known;
    for (auto* p : set.all())
      if (p->kind == ProfileKind::base) known += (known.empty() ? "" : ", ") + p->name;
    return known;
  };
  // An image reaches here only from a command that classifies with a profile (bundle and build
  // classify an image base's files themselves, with scratch).
  if (!set.find(base) && (::access(base.c_str(), F_OK) == 0 || base.rfind("docker://", 0) == 0 || base.rfind("oci:", 0) == 0 ||
                          base.rfind("oci-archive:", 0) == 0 || base.rfind("docker-archive:", 0) == 0))
    return Error(Exit::usage, "--base " + base + ": an image; here --base names a base profile (" + bases() +
                                  "); an image as a base is for bundle and build");
  if (!set.find(base) && base.find('/') != std::string::npos)  // meant as an image: the path is what is wrong
    return Error(Exit::usage, "--base " + base + ": no such image (a path that does not exist), and not a base profile (bases: " + bases() + ")");
  if (!set.find(base)) return Error(Exit::usage, "--base " + base + ": neither a base profile (" + bases() + ") nor an image that exists");
  CUSLIM_TRY(c.base_, set.resolved(base));
  if (c.base_.kind != ProfileKind::base)
    return Error(Exit::usage, "--base " + base + ": profile '" + base + "' is a " + to_string(c.base_.kind) + " profile, not a base (bases: " + bases() + ")");
  for (size_t i = 0; i < c.base_.provides.size(); ++i) {
    const std::string& g = c.base_.provides[i];
    size_t lit = g.find_first_of("*?[\\");
    if (lit == std::string::npos) c.provides_exact_.emplace(g, i);  // the first position of a repeated name
    else c.provides_globs_.push_back({i, lit});
  }
  return c;
}

Classification Classifier::classify(const std::string& path, const std::string& realpath, const std::optional<std::string>& soname,
                                    const std::string& name) const {
  auto names = names_of(path, realpath, soname, name);
  std::vector<std::string> paths;
  for (auto* s : {&path, &realpath})
    if (!s->empty()) paths.push_back(*s);
  Classification found;
  bool ruled = false;
  if (auto at = first_rule(names, paths); at < rules_.size()) {
    auto& p = active_[rules_[at].profile];
    auto& r = p.rules[rules_[at].rule];
    found = {r.cls, p.name + ":" + r.rule, r.capability};
    ruled = true;
  }
  // Toolkit (or unclaimed) files a JIT framework runs at run time are class jit.
  // A file several frameworks run (libdevice: XLA and Numba) is run-time for any of them.
  if (found.cls == ObjectClass::toolkit || found.cls == ObjectClass::app) {
    Classification jit{ObjectClass::jit, "", "", {}};
    size_t k = 0;  // index into jit_lits_
    for (auto& p : active_)
      for (auto& j : p.jit) {
        bool match = false;
        for (auto& g : j.files) {
          const std::string& lit = jit_lits_[k++];
          for (auto& s : paths) match = match || ((lit.empty() || contains(s, lit)) && ::fnmatch(g.c_str(), s.c_str(), 0) == 0);
        }
        if (!match) continue;
        jit.rule += (jit.rule.empty() ? "" : ",") + p.name + ":jit-" + j.name;
        jit.jit_when.insert(jit.jit_when.end(), j.when.begin(), j.when.end());
        jit.jit_uses.push_back({j.when, j.requires_});
      }
    if (!jit.rule.empty()) {
      if (ruled) jit.toolkit_rule = found.rule;
      return jit;
    }
  }
  if (ruled) return found;
  if (auto at = provided_at(names)) return {ObjectClass::system, base_.name + ":" + base_.provides[*at], ""};
  return {};
}

void Classifier::index_rules() {
  size_t path_lits = 0;
  for (uint32_t pi = 0; pi < active_.size(); ++pi)
    for (uint32_t ri = 0; ri < active_[pi].rules.size(); ++ri) {
      auto& r = active_[pi].rules[ri];
      auto at = static_cast<uint32_t>(rules_.size());
      rules_.push_back({pi, ri, path_lits});
      path_lits += r.paths.size();
      for (auto& g : r.paths) rule_path_lits_.push_back(required_literal(g));
      for (uint32_t gi = 0; gi < r.names.size(); ++gi) {
        if (r.name_lits[gi] >= kNameKey) name_index_[r.names[gi].substr(0, kNameKey)].push_back({at, gi});
        else name_short_.push_back({at, gi});
      }
      if (!r.paths.empty() || !r.regex_text.empty()) path_rules_.push_back(at);
    }
}

size_t Classifier::first_rule(const std::vector<std::string>& names, const std::vector<std::string>& paths) const {
  size_t best = rules_.size();
  // Each list is in rule order: its first match is its earliest rule.
  auto first_of = [&](const std::vector<std::pair<uint32_t, uint32_t>>& globs, const std::string& n) {
    for (auto [at, gi] : globs) {
      if (at >= best) return;
      auto& r = active_[rules_[at].profile].rules[rules_[at].rule];
      if (glob_lit(r.names[gi], r.name_lits[gi], n)) {
        best = at;
        return;
      }
    }
  };
  for (auto& n : names) {
    if (n.size() >= kNameKey)
      if (auto it = name_index_.find(n.substr(0, kNameKey)); it != name_index_.end()) first_of(it->second, n);
    first_of(name_short_, n);
  }
  for (uint32_t at : path_rules_) {
    if (at >= best) break;
    auto& r = active_[rules_[at].profile].rules[rules_[at].rule];
    if (paths_or_regex_match(r, rule_path_lits_.data() + rules_[at].path_lits, names, paths)) return at;
  }
  return best;
}

std::optional<size_t> Classifier::provided_at(const std::vector<std::string>& names) const {
  size_t best = std::string::npos;
  for (auto& n : names)
    if (auto it = provides_exact_.find(n); it != provides_exact_.end()) best = std::min(best, it->second);
  for (auto [at, lit] : provides_globs_) {
    if (at >= best) break;
    for (auto& n : names)
      if (glob_lit(base_.provides[at], lit, n)) return at;
  }
  if (best == std::string::npos) return std::nullopt;
  return best;
}

ObjectClass class_given(const Classification& c, const std::set<std::string>& present) {
  if (c.cls != ObjectClass::jit) return c.cls;
  for (auto& [when, requires_] : c.jit_uses)
    if (jit_framework_present(when, requires_, present)) return ObjectClass::jit;
  return ObjectClass::toolkit;
}

std::string rule_for(const Classification& c, ObjectClass counted_as) {
  return c.cls == ObjectClass::jit && counted_as == ObjectClass::toolkit && !c.toolkit_rule.empty() ? c.toolkit_rule : c.rule;
}

std::string rule_given(const Classification& c, const std::set<std::string>& present) { return rule_for(c, class_given(c, present)); }

bool Classifier::is_driver_name(const std::string& name) const {
  auto& shard = memo_->shards[std::hash<std::string>{}(name) % memo_->shards.size()];
  {
    std::shared_lock lock(shard.mu);
    if (auto it = shard.driver.find(name); it != shard.driver.end()) return it->second;
  }
  bool driver = classify("", "", std::nullopt, name).cls == ObjectClass::driver;
  std::unique_lock lock(shard.mu);
  shard.driver.emplace(name, driver);
  return driver;
}

std::optional<int> Classifier::cuda_major_of_soname(const std::string& soname) const {
  std::string family = soname.substr(0, soname.find(".so"));
  auto sv = so_version(soname);
  if (!sv) return std::nullopt;
  for (auto& p : active_)
    if (auto fam = p.cuda_major_by_soname.find(family); fam != p.cuda_major_by_soname.end())
      if (auto m = fam->second.find(sv->major); m != fam->second.end())
        if (auto v = Version::parse(m->second)) return v->major;
  return std::nullopt;
}

std::vector<ExtraEdge> Classifier::dlopen_edges(const std::string& path, const std::string& realpath, const ElfFile& elf,
                                                const CudaOf& cuda_of, const CudaOf& library_of) const {
  std::vector<ExtraEdge> out;
  auto names = names_of(path, realpath, elf.soname, "");
  auto version = so_version(path::basename(realpath));
  std::optional<SoVersion> cuda;  // {cuda_major}/{cuda_minor}, computed on first need
  auto cuda_version = [&]() -> const SoVersion& {
    if (cuda) return *cuda;
    cuda.emplace();
    if (auto v = cuda_of ? cuda_of(realpath) : std::nullopt)
      cuda = SoVersion{std::to_string(v->major), v->minor >= 0 ? std::to_string(v->minor) : "", ""};
    else if (auto m = cuda_major_of_soname(elf.soname.value_or(path::basename(realpath))))
      cuda = SoVersion{std::to_string(*m), "", ""};
    return *cuda;
  };
  std::optional<SoVersion> lib;  // {lib_major}/{lib_minor}/{lib_version}, read on first need
  auto lib_version = [&]() -> const SoVersion& {
    if (!lib) {
      lib.emplace();
      if (auto v = library_of ? library_of(realpath) : std::nullopt)
        lib = SoVersion{std::to_string(v->major), std::to_string(v->minor),
                        std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch)};  // 9.28.0, unpadded
    }
    return *lib;
  };
  for (auto& p : active_)
    for (auto& d : p.dlopen) {
      bool from = false;
      for (auto& f : d.from)
        for (auto& n : names) from |= glob(f, n);
      if (!from) continue;
      for (auto& group : d.to) {
        ExtraEdge e{{}, How::dlopen_profile, {}};
        e.required = d.required;
        bool by_major = false;
        bool exact = d.cuda_exact && std::any_of(group.begin(), group.end(), [](auto& n) { return n.find("{cuda_") != std::string::npos; }) &&
                     !cuda_version().major.empty() && !cuda_version().minor.empty();
        for (auto& name : group) {
          bool wants_cuda = name.find("{cuda_") != std::string::npos;
          if (exact && !wants_cuda) continue;  // the library's own version names the one it opens
          auto x = expand(name, version, wants_cuda ? cuda_version() : SoVersion{}, name.find("{lib_") != std::string::npos ? lib_version() : SoVersion{});
          // A group of CUDA-major-bound libraries (a {cuda_major} name, or a soname whose major
          // says its CUDA major: libcublasLt.so.12) follows the loading object's major.
          by_major |= wants_cuda || (x && cuda_major_of_soname(*x));
          if (x) e.any.push_back(*x);
        }
        by_major |= d.same_cuda;
        if (by_major && !cuda_version().major.empty()) {
          // Every alternative of the group, versioned or not, must be of the loader's CUDA major:
          // by its soname (libnvrtc.so.13), or for a same_cuda rule by its contents.
          std::string want = cuda_version().major;
          std::string loader = path::basename(path) + " is for CUDA " + want + (cuda_version().minor.empty() ? "" : "." + cuda_version().minor);
          e.accept = [this, want, loader, same = d.same_cuda, cuda_of](const std::string& real, const ElfFile& found) -> std::string {
            if (auto m = cuda_major_of_soname(found.soname.value_or(path::basename(real))); m && std::to_string(*m) != want)
              return "a CUDA " + std::to_string(*m) + " library; " + loader;
            if (auto v = same && cuda_of ? cuda_of(real) : std::nullopt; v && std::to_string(v->major) != want)
              return "built for CUDA " + v->str(v->minor >= 0 ? 2 : 1) + "; " + loader;
            return "";
          };
        }
        if (!e.any.empty()) out.push_back(std::move(e));
      }
    }
  return out;
}

void Classifier::classify(DepGraph& g, int threads) const {
  parallel_for(g.objects.size(), threads, [&](size_t i) {
    auto& o = g.objects[i];
    auto c = classify(o.path.value_or(""), o.realpath, o.soname, o.name);
    o.cls = c.cls;
    o.rule = c.rule;
  }, /*grain=*/256);
}

}  // namespace cuslim
