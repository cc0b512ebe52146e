#include "cli/resolve_setup.h"

#include <algorithm>
#include <unordered_set>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/path.h"

namespace cuslim::cli {

void ResolveSetup::add_options(CLI::App& cmd) {
  cmd.add_option("--root", root, "Resolve as the loader inside this root directory would (its ld.so.cache, ld.so.conf)")
      ->capture_default_str();
  cmd.add_option("--ld-library-path", ld_library_path, "LD_LIBRARY_PATH to model (colon list)");
  cmd.add_flag("--env-ld-library-path", env_ld_library_path, "Take LD_LIBRARY_PATH from cuslim's own environment");
  cmd.add_option("--hwcaps", hwcaps, "glibc-hwcaps subdirs to search, best first (e.g. x86-64-v3,x86-64-v2), or 'none'; default: the running CPU's");
  cmd.add_option("-j,--threads", threads, "Worker threads (default: one per core)");
  cmd.add_option("--profile", profiles, "Extra YAML profile (repeatable; may extend or replace a built-in one)")->allow_extra_args(false);
  cmd.add_option("--base", base, "Base profile: what counts as class system (scratch, glibc, debian12, ubuntu24.04, ...)")
      ->capture_default_str();
  cmd.add_flag("--no-dlopen", no_dlopen, "Do not follow the profiles' run-time dlopen edges");
}

Result<ProfileSet> ResolveSetup::profile_set() const {
  CUSLIM_TRY(auto set, ProfileSet::builtin());
  for (auto& f : profiles) CUSLIM_CHECK(set.add_file(f));
  return set;
}

Result<ResolveContext> ResolveSetup::make() const {
  ResolveContext ctx;
  struct stat st;
  if (::stat(root.c_str(), &st) != 0) return Error::from_errno(root, errno).wrap("--root");
  if (!S_ISDIR(st.st_mode)) return bad_input("--root: " + root + ": not a directory");
  ctx.root = std::make_unique<Root>(root);
  ResolveOptions opts;
  std::string llp = ld_library_path;
  if (env_ld_library_path && getenv("LD_LIBRARY_PATH")) llp = getenv("LD_LIBRARY_PATH");
  if (!llp.empty()) opts.ld_library_path = path::split_list(llp);
  if (hwcaps == "none") opts.hwcaps = std::vector<std::string>{};
  else if (!hwcaps.empty()) opts.hwcaps = path::split_list(hwcaps, ',');
  opts.threads = threads;
  CUSLIM_TRY(auto set, profile_set());
  std::vector<std::string> user;
  for (auto& f : profiles) {
    CUSLIM_TRY(auto p, [&]() -> Result<Profile> {
      std::ifstream in(f);
      std::stringstream ss;
      ss << in.rdbuf();
      return Profile::parse(ss.str(), f);
    }());
    user.push_back(p.name);
  }
  CUSLIM_TRY(auto classifier, Classifier::make(set, base, user));
  ctx.classifier = std::make_shared<Classifier>(std::move(classifier));
  opts.is_leaf = [c = ctx.classifier](const std::string& name) { return c->is_driver_name(name); };
  ctx.dlopen = !no_dlopen;
  ctx.resolver = std::make_unique<Resolver>(*ctx.root, std::move(opts));
  CUSLIM_CHECK(ctx.resolver->init());
  return ctx;
}

Result<DepGraph> ResolveContext::resolve(const std::vector<std::string>& targets, const std::vector<std::string>& root_dlopens) const {
  std::vector<std::string> inside;
  for (auto& t : targets) {
    if (!t.empty() && t[0] == '/') inside.push_back(t);
    else if (root->is_host()) {  // a relative path on the host: from the working directory
      char cwd[PATH_MAX];
      inside.push_back(path::join(getcwd(cwd, sizeof cwd) ? cwd : "/", t));
    } else inside.push_back("/" + t);
  }
  std::unordered_set<std::string> roots(inside.begin(), inside.end());
  ExtraEdges extra;
  if (dlopen || !root_dlopens.empty())
    extra = [c = classifier, dl = dlopen, &roots, &root_dlopens](const std::string& p, const std::string& real, const ElfFile& elf) {
      std::vector<ExtraEdge> out;
      if (dl) out = c->dlopen_edges(p, real, elf);
      if (!root_dlopens.empty() && roots.count(p))
        for (auto& n : root_dlopens) out.push_back({{n}, How::dlopen_profile});
      return out;
    };
  CUSLIM_TRY(auto g, resolver->resolve(inside, extra));
  classifier->classify(g);
  return g;
}

}  // namespace cuslim::cli
