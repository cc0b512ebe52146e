#include "analysis/analysis.h"

#include <algorithm>

#include "profile/library_version.h"
#include "python/distribution.h"

#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <set>
#include <unordered_set>

#include "core/parallel.h"
#include "core/path.h"
#include "loader/loader_abi.h"

namespace cuslim {

namespace {

// The in-root paths of the targets: a relative path on the host is taken from the working directory.
std::vector<std::string> inside_paths(const Root& root, const std::vector<std::string>& targets) {
  std::vector<std::string> inside;
  for (auto& t : targets) {
    if (!t.empty() && t[0] == '/') inside.push_back(t);
    else if (root.is_host()) {
      char cwd[PATH_MAX];
      inside.push_back(path::normalize(path::join(getcwd(cwd, sizeof cwd) ? cwd : "/", t)));
    } else inside.push_back(path::normalize("/" + t));
  }
  return inside;
}

}  // namespace

Result<Analysis> Analysis::make(const AnalysisOptions& opts) {
  Analysis a;
  struct stat st;
  if (::stat(opts.root.c_str(), &st) != 0) return Error::from_errno(opts.root, errno).wrap("--root");
  if (!S_ISDIR(st.st_mode)) return bad_input("--root: " + opts.root + ": not a directory");
  a.root_ = std::make_unique<Root>(opts.root);
  if (!opts.root_label.empty()) a.root_->set_label(opts.root_label);
  // The profiles: built-in ones, then each --profile file, parsed once.
  CUSLIM_TRY(auto set, ProfileSet::builtin());
  CUSLIM_TRY(auto user, set.add_files(opts.profile_files));
  a.profiles_ = std::make_unique<ProfileSet>(std::move(set));
  CUSLIM_TRY(auto classifier, Classifier::make(*a.profiles_, opts.base, user));
  a.classifier_ = std::make_shared<Classifier>(std::move(classifier));
  for (auto& p : a.classifier_->active())
    if (p.kind == ProfileKind::driver) a.driver_needs_.insert(a.driver_needs_.end(), p.image_needs.begin(), p.image_needs.end());
  // The loader model: driver-class names are leaves (the host provides them and what they need).
  ResolveOptions ro{
      .ld_library_path = opts.ld_library_path,
      .hwcaps = opts.hwcaps,
      .threads = opts.threads,
      .is_leaf = [c = a.classifier_](const std::string& name) { return c->is_driver_name(name); },
  };
  a.resolver_ = std::make_unique<Resolver>(*a.root_, std::move(ro));
  CUSLIM_CHECK(a.resolver_->init());
  a.dlopen_ = opts.dlopen;
  a.threads_ = opts.threads;
  return a;
}

Result<DepGraph> Analysis::resolve(const std::vector<std::string>& targets, const std::vector<std::string>& root_dlopens,
                                   const std::map<std::string, std::string>& loaded) const {
  auto inside = inside_paths(*root_, targets);
  std::unordered_set<std::string> roots(inside.begin(), inside.end());
  ExtraEdges extra;
  if (dlopen_ || !root_dlopens.empty())
    extra = [c = classifier_, dl = dlopen_, &roots, &root_dlopens, root = root_.get()](const std::string& p, const std::string& real,
                                                                                       const ElfFile& elf) {
      std::vector<ExtraEdge> out;
      // An edge follows the loading object's CUDA major, read from its contents (or its wheel).
      auto cuda_of = [root](const std::string& r) -> std::optional<Version> {
        auto lv = read_library_version(*root, r);
        if (!lv || !lv->cuda) return std::nullopt;
        Version v = *lv->cuda;
        if (lv->cuda_parts < 2) v.minor = -1;  // the major only (a wheel's -cu12)
        return v;
      };
      // Its own full version: from its code, its siblings' or its wheel's, else its file name
      // (a distribution package's libcudnn.so.9.10.2); names carry all three parts.
      auto library_of = [root](const std::string& r) -> std::optional<Version> {
        if (auto lv = read_library_version(*root, r); lv && lv->version && lv->version_parts >= 3) return lv->version;
        auto v = so_version(path::basename(r));
        auto parsed = v ? Version::parse(v->version) : std::nullopt;
        if (!parsed || std::count(v->version.begin(), v->version.end(), '.') != 2) return std::nullopt;
        return parsed;
      };
      if (dl) out = c->dlopen_edges(p, real, elf, cuda_of, library_of);
      if (!root_dlopens.empty() && roots.count(p))
        for (auto& n : root_dlopens) out.push_back({{n}, How::dlopen_profile});
      return out;
    };
  CUSLIM_TRY(auto g, resolver_->resolve(inside, extra, loaded));
  classifier_->classify(g, threads_);
  return g;
}

std::string Analysis::target_path(const std::string& target) const { return inside_paths(*root_, {target}).front(); }

Analysis::Targets Analysis::check_targets(const std::vector<std::string>& targets) const {
  Targets t;
  auto inside = inside_paths(*root_, targets);
  parallel_for(targets.size(), threads_, [&](size_t i) { (void)object(inside[i]); }, /*grain=*/16);  // read on every core, once
  std::map<std::pair<int, int>, bool> modelled;  // (machine, class) -> a loader of the root models it
  for (size_t i = 0; i < targets.size(); ++i) {
    if (auto elf = object(inside[i]); elf->ok()) {
      // A dynamic object no loader of the root models (x32) is a bad target of its own, not
      // the end of every other's walk.
      auto kind = std::make_pair(elf->value().machine, elf->value().elf_class);
      auto [known, first] = modelled.try_emplace(kind, false);
      if (first) known->second = find_loader_abi(kind.first, kind.second, *root_) != nullptr;
      if (elf->value().dynamic && !known->second) {
        t.bad.push_back(bad_input(targets[i] + ": " + no_loader_model(elf->value().machine, elf->value().elf_class)));
        continue;
      }
      t.ok.push_back(targets[i]);
      continue;
    }
    // Read again for an error that names the target as the user wrote it (the cache names realpaths).
    auto real = root_->realpath(inside[i]);
    auto elf = real.ok() ? ElfFile::read(root_->host_path(*real), targets[i], ElfFile::Parts::loader) : Result<ElfFile>(real.error());
    Error e = elf.ok() ? object(inside[i])->error() : elf.error();
    // Under --root, a target that is not there is said to be missing from that root.
    if (!real.ok() && !root_->is_host()) e = Error(e.code(), targets[i] + ": not found in " + root_->display());
    t.bad.push_back(e);
  }
  return t;
}

std::shared_ptr<const Result<ElfFile>> Analysis::object(const std::string& target) const {
  std::string inside = inside_paths(*root_, {target})[0];
  // Through Root::realpath_in_dir: among many targets of one directory, read once as a listing,
  // a target that is not a symlink costs no system call.
  std::string dir = path::dirname(inside), name = path::basename(inside);
  auto real = name.empty() || name == "." || name == ".." ? root_->realpath(inside) : root_->realpath_in_dir(dir, name);
  if (!real) return std::make_shared<const Result<ElfFile>>(real.error());
  return resolver_->elf_cache().get(*real);
}

std::vector<std::string> Analysis::slim_keep_set() const {
  std::set<std::string> seen;
  std::vector<std::string> out;
  for (auto* p : profiles_->all())
    for (auto& g : p->keep)
      if (seen.insert(g).second) out.push_back(g);
  return out;
}

std::optional<HeldBackBy> Analysis::held_back(const std::string& inside) const {
  std::string name = path::basename(inside);
  // A path glob is the more specific claim (triton's own CUPTI copy is Proton's, not any profiler's).
  for (auto* p : profiles_->all())
    for (auto& g : p->profiler_only)
      if (g.find('/') != std::string::npos && fnmatch(g.c_str(), inside.c_str(), 0) == 0) return HeldBackBy{HeldBack::profiler_only, p->name};
  for (auto* p : profiles_->all()) {
    for (auto& g : p->link_only)
      if (fnmatch(g.c_str(), name.c_str(), 0) == 0) return HeldBackBy{HeldBack::link_only, p->name};
    for (auto& g : p->profiler_only)
      if (g.find('/') == std::string::npos && fnmatch(g.c_str(), name.c_str(), 0) == 0) return HeldBackBy{HeldBack::profiler_only, p->name};
  }
  return std::nullopt;
}

std::vector<const JitFramework*> Analysis::jit_frameworks() const {
  std::vector<const JitFramework*> out;
  std::set<std::string> seen;
  for (auto& p : classifier_->active())
    for (auto& j : p.jit)
      if (seen.insert(j.name).second) out.push_back(&j);
  return out;
}

std::map<std::string, std::vector<std::pair<std::string, std::string>>> Analysis::python_companions() const {
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> out;
  for (auto* p : profiles_->all())
    for (auto& [dist, companions] : p->python_companions)
      for (auto& c : companions) out[normalize_distribution_name(dist)].push_back({c, p->name});
  return out;
}

}  // namespace cuslim
