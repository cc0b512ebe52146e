#include "bundle/jit_plan.h"

#include <sys/stat.h>

#include "bundle/plan_closure.h"
#include "bundle/programs.h"
#include "core/exec_path.h"
#include "core/path.h"
#include "jit/jit_needs.h"
#include "python/distribution.h"

namespace cuslim {

// A JIT framework that ships brings what it runs at run time: each need of its profile met from
// the source root (the first alternative found, with its keep globs; programs bring closures).
// A need nothing meets is a warning naming the consequence.
Result<std::vector<JitAdded>> add_jit_toolchains(const Analysis& analysis, const BundleRequest& req, PlanBuilder& builder) {
  std::vector<JitAdded> out;
  const Root& root = analysis.root();
  auto paths = planned_paths(builder.plan());
  auto present = distributions_present(root, paths);
  if (present.empty()) return out;
  auto places = JitPlaces::of(root, paths);
  auto path_dirs = path::split_list(kDefaultPath);
  if (!req.jit) {  // --no-jit: a framework that ships without its toolchain is said, not silent
    for (auto& r : jit_readiness(root, analysis.jit_frameworks(), present, places, path_dirs)) {
      std::string needs;
      for (auto& n : r.framework->needs) needs += (needs.empty() ? "" : ", ") + n.what;
      if (!needs.empty())
        builder.warn(r.framework->name + " ships without its run-time toolchain (--no-jit: " + needs + " left to what the image has): " +
                     r.framework->consequence + " unless the image has them (verify's jit-ready:" + r.framework->name + " says)");
    }
    return out;
  }
  for (auto& r : jit_readiness(root, analysis.jit_frameworks(), present, places, path_dirs)) {
    JitAdded a{.framework = r.framework->name, .consequence = r.framework->consequence, .found = r.found, .missing = r.missing};
    uint64_t bytes = planned_bytes(builder.plan());
    size_t files = builder.plan().items.size();
    std::vector<std::string> elfs;
    for (auto& need : r.framework->needs) {
      auto found = find_need(root, need, places, path_dirs);
      if (!found) continue;
      std::vector<std::string> add{*found};
      for (auto& p : need_keep_paths(root, need, *found, places)) add.push_back(p);
      std::string why = "run-time toolchain of a JIT framework that ships (" + r.framework->name + ": " + need.what + ")";
      for (auto& p : add) {
        if (!builder.add_include(p).ok()) continue;
        builder.note_reason(p, why);
        auto st = root.stat(p);
        if (!st || !S_ISREG(st->st_mode)) continue;
        if (is_elf_in(root, p)) elfs.push_back(p);
        else if (st->st_mode & 0111)  // a #! script (Ubuntu's /sbin/ldconfig) brings its interpreter
          if (auto progs = expand_programs(root, {p}, kDefaultPath); progs.ok()) {
            for (auto& e : progs->elf) {
              CUSLIM_CHECK(builder.add_include(e));
              elfs.push_back(e);
            }
            for (auto& sc : progs->scripts) CUSLIM_CHECK(builder.add_include(sc));
          }
      }
    }
    if (!elfs.empty()) {  // the compiler's programs and plugins bring their libraries
      CUSLIM_TRY(auto g, resolve_each_or_warn(analysis, elfs, {}, builder));
      builder.add_graph(g, false);
    }
    a.bytes = planned_bytes(builder.plan()) - bytes;
    a.files = builder.plan().items.size() - files;
    if (!r.missing.empty()) builder.warn(jit_failure(r, "the source root"));
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace cuslim
