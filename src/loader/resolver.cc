#include "loader/resolver.h"

#include <shared_mutex>

#include <unistd.h>

#include <elf.h>
#include <fnmatch.h>

#include <algorithm>
#include <climits>

#include "core/fs.h"
#include "core/parallel.h"
#include "core/path.h"
#include "loader/loader_abi.h"
#include "loader/open_verify.h"
#include "loader/search_plan.h"

namespace cuslim {

namespace {

using ElfRef = std::shared_ptr<const Result<ElfFile>>;

// One object in the simulated link map of a target.
struct Loaded {
  std::string path, realpath, origin, name;
  ElfRef elf;            // null for an absent leaf
  int loader = -1;       // index of the object that loaded it
  std::vector<std::string> names;  // every name it answered to
  How how = How::direct;
  bool leaf = false;
  bool rpath_in_chain = false;  // it, or an object of its loader chain, has a DT_RPATH (set when added)
  std::shared_ptr<const std::vector<SearchStep>> plan;  // computed on its first bare-name need
  std::vector<std::string> also_at;  // other paths it was found through (same realpath)
};

struct LocalEdge {
  int from, to;
  std::string name;
  How how;
};

struct TargetResult {
  std::vector<Loaded> objects;
  std::vector<LocalEdge> edges;
  std::vector<MissingDep> missing;
  std::vector<MissingDep> dlopen_unmet;
  std::vector<PassedOver> passed_over;
  std::optional<Error> error;
};

struct Found {
  std::string path, realpath;
  ElfRef elf;
  How how;
  std::optional<bool> leaf;  // a driver name (the needed one or the file's): known for shared answers
  std::string refused;       // why the loader refuses the file it found (the search stopped there); "" when it loads it
};

// The key of a search whose answer is the same in every target's walk: the name, and the
// class/data/machine the candidate must match (the loader ABI follows from them).
std::string shared_key(const ElfFile& want, const std::string& name) {
  std::string key;
  key.reserve(name.size() + 4);
  key += static_cast<char>(want.elf_class);
  key += static_cast<char>(want.data);
  key += static_cast<char>(want.machine & 0xff);
  key += static_cast<char>(want.machine >> 8);
  return key += name;
}

}  // namespace

// Answers of searches through the plain plan (no RPATH/RUNPATH in the loading chain, no
// DF_1_NODEFLIB, no $ORIGIN in LD_LIBRARY_PATH): that plan is LD_LIBRARY_PATH, the cache and the
// default dirs, the same for every target of one ABI, and the root does not change during a
// resolve, so the loader's answer for a name is provably the same in every walk. The
// already-loaded match happens before any search and stays per walk.
struct SharedSearches {
  std::shared_mutex mu;  // lookups share it, inserts take it alone
  std::unordered_map<std::string, std::optional<Found>> answers;
  std::map<const LoaderAbi*, std::shared_ptr<const std::vector<SearchStep>>> plain_plans;  // the plan itself
};

// The walk of one target: glibc's _dl_map_object_deps, breadth first.
struct TargetWalk {
  Resolver& r;
  const ExtraEdges& extra;
  const std::map<std::string, std::string>& already;  // loaded in the process before the target
  LoaderEnv env;
  TargetResult out;
  std::unordered_map<std::string, int> by_realpath;

  const ElfFile& elf_of(int i) { return out.objects[i].elf->value(); }

  // Every name an object of the link map answers to (its path, the names it was needed by, its
  // soname) -> the first such object, as the loader's scan of the link map finds it.
  std::unordered_map<std::string, int> by_name;

  void answers_to(const std::string& name, int i) {
    if (name.empty()) return;
    auto [it, added] = by_name.emplace(name, i);
    if (!added && i < it->second) it->second = i;
  }

  std::optional<int> find_loaded(const std::string& name) {
    if (auto it = by_name.find(name); it != by_name.end()) return it->second;
    return std::nullopt;
  }

  // Opens a candidate as open_verify() would: loaded, passed over (the search goes on), or refused
  // (the search stops there: a Found whose `refused` says why).
  std::optional<Found> try_candidate(const std::string& p, How how, const ElfFile& want, std::vector<std::string>* tried,
                                     const std::string& label, Result<std::string> real) {
    if (!real) {  // listed but unopenable: a dangling symlink, a loop; the loader tried it all the same
      if (tried) {
        std::string why = real.error().message();
        if (why.rfind(p + ": ", 0) == 0) why.erase(0, p.size() + 2);  // the path is said once
        char target[PATH_MAX];
        if (ssize_t n = ::readlink(r.root_.host_path(p).c_str(), target, sizeof target - 1); n > 0)
          why = "a dangling symlink to " + std::string(target, static_cast<size_t>(n)) + " (" + why + ")";
        tried->push_back(label + " (skipped " + p + ": " + why + ")");
      }
      return std::nullopt;
    }
    auto elf = r.elf_cache_.get(*real);
    auto check = check_candidate(r.root_.host_path(*real), *elf, want, r.rules_);
    for (const std::string& named : {p, *real})  // a parser's reason names the file: said once, by the caller
      if (check.why.rfind(named + ": ", 0) == 0) check.why.erase(0, named.size() + 2);
    if (check.verdict == CandidateVerdict::pass_over) {
      if (tried) tried->push_back(label + " (skipped " + p + ": " + check.why + ")");
      return std::nullopt;
    }
    if (check.verdict == CandidateVerdict::refuse) {
      if (tried) tried->push_back(label + " (" + p + ": " + check.why + "; the loader stops here)");
      return Found{p, *real, elf, how, false, check.why};
    }
    if (tried) tried->push_back(label);
    return Found{p, *real, elf, how};
  }

  std::vector<PlanObject> chain_of(int i) {
    std::vector<PlanObject> chain;
    for (int j = i; j >= 0; j = out.objects[j].loader) {
      auto& o = out.objects[j];
      if (o.elf && o.elf->ok()) chain.push_back({&o.elf->value(), o.path, o.origin});
    }
    return chain;
  }

  // `tried`, when given, receives every place probed (only wanted for names that end up missing).
  std::optional<Found> search(int from, const std::string& name, std::vector<std::string>* tried) {
    const ElfFile& want = elf_of(from);
    if (name.find('/') != std::string::npos) {
      std::string p = expand_tokens(name, out.objects[from].origin, *env.abi);
      if (p.empty()) return std::nullopt;
      // A relative path is opened from the process's working directory: this one's on the host;
      // an image's is its WorkingDir at run time, which the loader model does not know.
      if (p[0] != '/' && r.root_.is_host())
        if (auto cwd = absolute_path(p); cwd.ok()) p = *cwd;
      if (p[0] != '/') {
        if (tried) tried->push_back(p + " (relative: opened from the working directory at run time, not modelled in a root)");
        return std::nullopt;
      }
      return try_candidate(path::tidy(p), How::direct, want, tried, p, r.root_.realpath(path::tidy(p)));
    }
    auto plan = plan_of(from);  // a shared_ptr: out.objects may grow while we walk it
    if (tried || plan != plain_plan || !plain_plan_shared) return search_plan_steps(*plan, name, want, tried);
    std::string key = shared_key(want, name);
    {
      std::shared_lock lock(r.shared_->mu);
      if (auto it = r.shared_->answers.find(key); it != r.shared_->answers.end()) return it->second;
    }
    auto found = search_plan_steps(*plan, name, want, nullptr);
    if (found && r.opts_.is_leaf)  // asked once per answer, not in every walk that uses it
      found->leaf = r.opts_.is_leaf(name) || r.opts_.is_leaf(path::basename(found->realpath));
    std::unique_lock lock(r.shared_->mu);
    return r.shared_->answers.emplace(std::move(key), std::move(found)).first->second;
  }

  std::optional<Found> search_plan_steps(const std::vector<SearchStep>& plan, const std::string& name, const ElfFile& want,
                                         std::vector<std::string>* tried) {
    for (auto& step : plan) {
      if (step.how == How::ld_so_cache) {
        auto hit = r.ld_cache_->lookup(name, env.abi->cache_flags, env.hwcaps, env.legacy_hwcaps.empty() ? nullptr : &r.legacy_cache_);
        if (!hit) {
          if (tried) tried->push_back("ld.so.cache");
          continue;
        }
        if (step.nodeflib && in_default_dir(*hit)) {
          if (tried) tried->push_back("ld.so.cache (" + *hit + " ignored: NODEFLIB)");
          continue;
        }
        if (auto f = try_candidate(*hit, How::ld_so_cache, want, tried, "ld.so.cache", r.root_.realpath_in_dir(path::dirname(*hit), path::basename(*hit)))) return f;
        continue;
      }
      auto* names = r.root_.list_dir(step.dir);
      if (!names || !names->count(name)) {
        if (tried) tried->push_back(step.dir);
        continue;
      }
      if (auto f = try_candidate(path::join(step.dir, name), step.how, want, tried, step.dir, r.root_.realpath_in_dir(step.dir, name))) return f;
    }
    return std::nullopt;
  }

  // The plan depends only on the loader chain: every name an object needs shares it.
  std::shared_ptr<const std::vector<SearchStep>> plain_plan;  // no RPATH/RUNPATH anywhere in the chain
  bool plain_plan_shared = false;  // and the same in every walk: no $ORIGIN from LD_LIBRARY_PATH

  // No RUNPATH of its own and no DT_RPATH up its loader chain (nor the program's): the plain plan.
  // (rpath_in_chain is kept per object, so a deep chain costs no walk up it per need.)
  bool chain_is_plain(int from) {
    if (out.objects[from].elf->value().runpath) return false;
    return !out.objects[from].rpath_in_chain && !out.objects[0].elf->value().rpath;
  }

  std::shared_ptr<const std::vector<SearchStep>> plan_of(int from) {
    auto& o = out.objects[from];
    if (!o.plan && !out.objects[from].elf->value().nodeflib() && chain_is_plain(from)) {
      if (!plain_plan && plain_plan_shared) {
        std::shared_lock lock(r.shared_->mu);
        if (auto it = r.shared_->plain_plans.find(env.abi); it != r.shared_->plain_plans.end()) plain_plan = it->second;
      }
      if (!plain_plan) {
        auto& main = out.objects[0];
        PlanObject main_obj{&main.elf->value(), main.path, main.origin};
        plain_plan = std::make_shared<const std::vector<SearchStep>>(search_plan(chain_of(from), main_obj, env));
        if (plain_plan_shared) {
          std::unique_lock lock(r.shared_->mu);
          plain_plan = r.shared_->plain_plans.emplace(env.abi, plain_plan).first->second;
        }
      }
      o.plan = plain_plan;
    }
    if (!o.plan) {
      auto& main = out.objects[0];
      PlanObject main_obj{&main.elf->value(), main.path, main.origin};
      o.plan = std::make_shared<const std::vector<SearchStep>>(search_plan(chain_of(from), main_obj, env));
    }
    return o.plan;
  }

  bool in_default_dir(const std::string& p) {
    for (auto& d : env.abi->default_dirs)
      if (p.rfind(d + "/", 0) == 0) return true;
    return false;
  }

  int add_loaded(Loaded l) {
    l.rpath_in_chain = (l.elf && l.elf->ok() && l.elf->value().rpath) || (l.loader >= 0 && out.objects[l.loader].rpath_in_chain);
    out.objects.push_back(std::move(l));
    int i = static_cast<int>(out.objects.size()) - 1;
    auto& o = out.objects[i];
    if (!o.realpath.empty()) by_realpath.emplace(o.realpath, i);
    answers_to(o.path, i);
    for (auto& n : o.names) answers_to(n, i);
    if (o.elf && o.elf->ok() && o.elf->value().soname) answers_to(*o.elf->value().soname, i);
    return i;
  }

  void need(int from, const std::string& name, How forced_how, bool optional) {
    if (auto hit = find_loaded(name)) {
      out.edges.push_back({from, *hit, name, out.objects[*hit].how});
      return;
    }
    auto is_leaf = [&](const std::string& n) { return r.opts_.is_leaf && r.opts_.is_leaf(n); };
    std::optional<Found> found;
    if (auto it = already.find(name); it != already.end())  // in the link map already: matched, not searched
      found = try_candidate(it->second, How::trace, elf_of(from), nullptr, it->second, r.root_.realpath(it->second));
    if (found && !found->refused.empty()) found.reset();
    if (!found) found = search(from, name, nullptr);
    if (found && !found->refused.empty()) {  // the program does not start (or the dlopen fails) here
      std::vector<std::string> tried;
      search(from, name, &tried);
      out.missing.push_back({name, out.objects[from].path, std::move(tried), found->path + ": " + found->refused});
      return;
    }
    if (!found) {
      if (is_leaf(name)) {  // a driver library absent here: present on the GPU host, never missing
        int i = add_loaded({"", "", "", name, nullptr, from, {name}, forced_how, true});
        out.edges.push_back({from, i, name, forced_how});
      } else if (!optional) {
        std::vector<std::string> tried;
        search(from, name, &tried);  // again, recording every place probed
        out.missing.push_back({name, out.objects[from].path, std::move(tried)});
      }
      return;
    }
    How how = forced_how == How::direct ? found->how : forced_how;
    if (auto it = by_realpath.find(found->realpath); it != by_realpath.end()) {  // same file, other name
      out.objects[it->second].names.push_back(name);
      add_other_path(out.objects[it->second].also_at, out.objects[it->second].path, found->path);
      answers_to(name, it->second);
      out.edges.push_back({from, it->second, name, how});
      return;
    }
    bool leaf = found->leaf ? *found->leaf : is_leaf(name) || is_leaf(path::basename(found->realpath));
    int i = add_loaded({found->path, found->realpath, path::dirname(found->path), name, found->elf, from, {name}, how, leaf});
    out.edges.push_back({from, i, name, how});
  }

  // A dlopen edge: the first alternative that is loaded or found wins; a driver name that is
  // nowhere becomes an absent leaf; anything else absent is simply not loaded.
  // A glob name: the first match, in plan order, among the directories the loader would search.
  std::optional<std::string> match_glob(int from, const std::string& pattern) {
    auto plan = plan_of(from);
    for (auto& step : *plan) {
      std::vector<std::string> hits;
      if (step.how == How::ld_so_cache) {
        for (auto& e : r.ld_cache_->entries())
          if (::fnmatch(pattern.c_str(), e.key.data(), 0) == 0) hits.emplace_back(e.key);  // NUL-terminated in the image
      } else if (auto* names = r.root_.list_dir(step.dir)) {
        for (auto& [n, type] : *names)
          if (::fnmatch(pattern.c_str(), n.c_str(), 0) == 0) hits.push_back(n);
      }
      if (!hits.empty()) return *std::max_element(hits.begin(), hits.end());
    }
    return std::nullopt;
  }

  // "" when the edge takes the loaded object i, else why the loading library would refuse it.
  std::string refusal(const ExtraEdge& e, int i) {
    auto& o = out.objects[i];
    return !e.accept || !o.elf || !o.elf->ok() ? "" : e.accept(o.realpath, o.elf->value());
  }

  void need_any(int from, const ExtraEdge& e) {
    std::vector<std::string> any;
    for (auto& name : e.any) {
      if (name.find_first_of("*?[") == std::string::npos) any.push_back(name);
      else if (auto m = match_glob(from, name)) any.push_back(*m);
    }
    std::vector<PassedOver> refused;
    for (auto& name : any) {
      if (auto hit = find_loaded(name)) {
        if (auto why = refusal(e, *hit); !why.empty()) {
          refused.push_back({name, out.objects[from].path, out.objects[*hit].realpath, why});
          continue;
        }
        need(from, name, e.how, true);
        return;
      }
      if (auto f = search(from, name, nullptr)) {
        if (!f->refused.empty()) {  // dlopen fails on it; the loading library may try its next name
          refused.push_back({name, out.objects[from].path, f->realpath, f->refused, true});
          continue;
        }
        if (auto why = e.accept ? e.accept(f->realpath, f->elf->value()) : ""; !why.empty()) {
          refused.push_back({name, out.objects[from].path, f->realpath, why});
          continue;
        }
        need(from, name, e.how, true);
        return;
      }
    }
    for (auto& name : any)
      if (r.opts_.is_leaf && r.opts_.is_leaf(name)) {
        need(from, name, e.how, true);
        return;
      }
    std::string first_refused = refused.empty() ? "" : refused.front().found + ": " + refused.front().why;
    for (auto& p : refused) out.passed_over.push_back(std::move(p));
    if (e.required && !any.empty()) {  // the library fails without it: said with where it was looked for
      std::vector<std::string> tried;
      search(from, any.front(), &tried);
      std::string others;
      for (size_t k = 1; k < any.size(); ++k) others += (k > 1 ? ", " : "") + any[k];
      if (!others.empty()) tried.push_back("(also tried: " + others + ")");
      MissingDep m{any.front(), out.objects[from].path, std::move(tried)};
      m.refused = first_refused;  // what it found, and why that is no answer ("" when nothing was found)
      out.dlopen_unmet.push_back(std::move(m));
    }
  }

  Status run(const std::string& target) {
    auto real = r.root_.realpath_in_dir(path::dirname(target), path::basename(target));
    if (!real) return r.root_.is_host() ? real.error() : real.error().wrap("in " + r.root_.display());
    auto elf = r.elf_cache_.get(*real);
    if (!elf->ok()) return elf->error();
    const ElfFile& main = elf->value();
    if (!main.dynamic) {  // a static program loads nothing
      add_loaded({target, *real, path::dirname(*real), target, elf, -1, {}, How::direct, false});
      return ok_status();
    }
    const LoaderAbi* abi = r.abi_for(main.machine, main.elf_class);
    if (!abi) return bad_input(target + ": " + no_loader_model(main.machine, main.elf_class));
    env = r.env_for(abi);
    plain_plan_shared = std::none_of(env.ld_library_path.begin(), env.ld_library_path.end(),
                                     [](const std::string& d) { return d.find('$') != std::string::npos; });
    // The program's $ORIGIN comes from /proc/self/exe (its realpath); a library's from its path.
    std::string origin = main.interp ? path::dirname(*real) : path::dirname(target);
    add_loaded({target, *real, origin, target, elf, -1, {}, How::direct, false});
    if (main.interp) {  // ld.so is mapped before any dependency and answers to its soname
      auto f = try_candidate(*main.interp, How::direct, main, nullptr, *main.interp, r.root_.realpath(*main.interp));
      // The kernel maps the interpreter, not ld.so: its library rules (no executables) do not
      // apply; a file that is no ELF object of this machine fails the exec all the same.
      if (f && !f->refused.empty() && f->elf->ok()) f->refused.clear();
      if (f && f->refused.empty()) {
        int i = add_loaded({f->path, f->realpath, path::dirname(f->path), *main.interp, f->elf, 0, {*main.interp}, How::direct, false});
        out.edges.push_back({0, i, *main.interp, How::direct});
      } else {  // tried again, recording why (absent, unreadable, of another machine)
        std::vector<std::string> tried;
        try_candidate(*main.interp, How::direct, main, &tried, *main.interp, r.root_.realpath(*main.interp));
        out.missing.push_back({*main.interp, target, tried.empty() ? std::vector<std::string>{*main.interp} : tried, f ? f->path + ": " + f->refused : ""});
      }
    }
    for (size_t i = 0; i < out.objects.size(); ++i) {
      auto& o = out.objects[i];
      if (o.leaf || !o.elf || !o.elf->ok()) continue;
      const ElfRef elf = o.elf;  // held here: need() grows out.objects, the parsed file stays put
      const ElfFile& f = elf->value();
      for (auto& n : f.needed) need(static_cast<int>(i), n, How::direct, false);
      if (extra)
        for (auto& e : extra(out.objects[i].path, out.objects[i].realpath, f)) need_any(static_cast<int>(i), e);
    }
    return ok_status();
  }
};

const LoaderAbi* Resolver::abi_for(int machine, int elf_class) {
  std::lock_guard lock(abi_mu_);
  auto key = std::make_pair(machine, elf_class);
  if (auto it = abis_.find(key); it != abis_.end()) return it->second;
  return abis_[key] = find_loader_abi(machine, elf_class, root_);
}

// The loader's environment for objects of one ABI: the same for every target, computed once.
LoaderEnv Resolver::env_for(const LoaderAbi* abi) {
  std::lock_guard lock(abi_mu_);
  if (auto it = envs_.find(abi); it != envs_.end()) return it->second;
  LoaderEnv env;
  env.abi = abi;
  env.ld_library_path = opts_.ld_library_path;
  env.hwcaps = opts_.hwcaps ? *opts_.hwcaps : (abi->machine == 62 ? host_hwcaps() : std::vector<std::string>{});
  // glibc <= 2.36 also searches the legacy hwcap subdirectories (tls/, x86_64/, haswell/, ...).
  if (opts_.legacy_hwcaps) env.legacy_hwcaps = *opts_.legacy_hwcaps;
  else if (glibc_ && legacy_hwcaps_searched(*glibc_)) env.legacy_hwcaps = host_legacy_hwcaps(*abi);
  env.has_cache = ld_cache_.has_value();
  env.conf_dirs = conf_.dirs;
  return envs_.emplace(abi, std::move(env)).first->second;
}

Resolver::Resolver(const Root& root, ResolveOptions opts)
    : root_(root), opts_(std::move(opts)), elf_cache_(root), shared_(std::make_unique<SharedSearches>()) {}

Resolver::~Resolver() = default;

Status Resolver::init() {
  if (auto real = root_.realpath("/etc/ld.so.cache")) {
    auto cache = LdCache::read(root_.host_path(*real), root_.is_host() ? "/etc/ld.so.cache" : root_.display() + " /etc/ld.so.cache");
    if (!cache) return cache.error();
    ld_cache_ = std::move(*cache);
  }
  if (!ld_cache_) {  // ld.so reads only its cache; ld.so.conf stands in for a root without one
    CUSLIM_TRY(conf_, read_ld_so_conf(root_));
  }
  glibc_ = opts_.glibc ? opts_.glibc : root_glibc_version(root_);
  rules_ = LoaderRules::for_glibc(glibc_);
  if (auto* abi = native_loader_abi(root_)) legacy_cache_ = host_legacy_cache_bits(*abi);
  return ok_status();
}

Result<DepGraph> Resolver::resolve(const std::vector<std::string>& targets, const ExtraEdges& extra,
                                   const std::map<std::string, std::string>& loaded) {
  // Walked a slice at a time and merged as it goes: every target's walk holds its whole closure, so
  // holding them all at once grows with targets x depth (every library of an image as a target).
  constexpr size_t kSlice = 256;
  DepGraph g;
  for (size_t first = 0; first < targets.size(); first += kSlice) {
    const size_t n = std::min(kSlice, targets.size() - first);
    std::vector<TargetResult> results(n);
    parallel_for(n, opts_.threads, [&](size_t i) {
      try {  // an exception becomes the target's error
        TargetWalk walk{*this, extra, loaded, {}, {}, {}};
        auto st = walk.run(targets[first + i]);
        results[i] = std::move(walk.out);
        if (!st.ok()) results[i].error = st.error();
      } catch (const std::exception& e) {
        results[i] = {};
        results[i].error = bad_input(targets[first + i] + ": resolving: " + e.what());
      }
    });
    for (size_t t = first; t < first + n; ++t) {
      auto& res = results[t - first];
      if (res.error) return *res.error;
      g.roots.push_back(targets[t]);
      std::vector<size_t> ids;
      for (size_t k = 0; k < res.objects.size(); ++k) {
        auto& l = res.objects[k];
        if (auto known = g.find(l.realpath.empty() ? "name:" + l.name : l.realpath)) {  // seen in an earlier target
          g.objects[*known].root |= (k == 0);
          g.add_also_at(*known, l.path);
          for (auto& p : l.also_at) g.add_also_at(*known, p);
          ids.push_back(*known);
          continue;
        }
        DepObject o;
        if (!l.path.empty()) o.path = l.path;
        o.realpath = l.realpath;
        o.also_at = l.also_at;
        o.name = l.name;
        o.how = l.how;
        o.leaf = l.leaf;
        o.root = (k == 0);
        if (l.elf && l.elf->ok()) {
          o.soname = l.elf->value().soname;
          o.size = l.elf->value().size;
          o.needed = l.elf->value().needed;
          o.machine = l.elf->value().machine;
          o.elf_class = l.elf->value().elf_class;
          o.elf_type = l.elf->value().type;
          o.has_interp = l.elf->value().interp.has_value();
        }
        ids.push_back(g.add_object(std::move(o)));
      }
      g.root_objects.push_back(ids.front());
      for (auto& e : res.edges) g.add_edge(ids[e.from], ids[e.to], e.name, e.how);
      for (auto& m : res.missing) g.add_missing(std::move(m));
      for (auto& p : res.passed_over) g.add_passed_over(std::move(p));
      for (auto& m : res.dlopen_unmet) g.add_dlopen_unmet(std::move(m));
    }
  }
  return g;
}

}  // namespace cuslim
