#include "bundle/forward_compat_plan.h"

#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "core/fs.h"
#include "core/path.h"
#include "elf/elf_file.h"
#include "profile/forward_compat.h"
#include "profile/inspection.h"
#include "profile/library_version.h"

namespace cuslim {

namespace {

// Planned files that are forward-compat by location.
std::vector<std::string> planned_compat_files(const Analysis& a, const Plan& plan) {
  std::vector<std::string> out;
  for (auto& [p, item] : plan.items)
    if (item.type != LayerEntry::dir && item.content.empty() &&
        a.classifier().classify(p, p, std::nullopt, path::basename(p)).cls == ObjectClass::forward_compat)
      out.push_back(p);
  return out;
}

// The CUDA release the image asks of the driver: its libcudart's, else (a program that links the
// runtime statically) the newest its CUDA libraries were built for. Read only when it is asked.
std::optional<Version> runtime_cuda(const Analysis& a, const ForwardCompatRequest& req, const Plan& plan) {
  if (plan.cuda || (!req.driver && req.mode != ForwardCompatMode::always)) return plan.cuda;
  std::vector<std::string> cuda_libraries;
  for (auto& [inside, item] : plan.items)
    if (item.cls == ObjectClass::cuda && item.type == LayerEntry::file && item.content.empty())
      if (auto real = a.root().realpath(inside)) cuda_libraries.push_back(*real);
  auto b = newest_cuda_built_for(a.root(), cuda_libraries, a.classifier());
  return b ? std::optional(b->cuda) : std::nullopt;
}

// The set to add from the source root, and why; nullptr when none is to be added.
Result<const CompatSet*> choose_set(const std::vector<CompatSet>& sets, const ForwardCompatRequest& req, const std::optional<Version>& runtime,
                                    const ForwardCompatData& data, const std::string& looked, PlanBuilder& builder, std::string& reason) {
  if (req.mode == ForwardCompatMode::always) {
    const CompatSet* pick = nullptr;
    std::string why_not;
    if (runtime && req.driver) pick = serving_set(sets, *runtime, *req.driver, &why_not);
    for (auto& s : sets)  // else the set of the runtime's CUDA major, else the newest
      if (!pick && runtime && s.cuda && s.cuda->major == runtime->major) pick = &s;
    if (!pick && !sets.empty()) pick = &sets.front();
    if (!pick) return Error(Exit::check_failed, "--forward-compat always: no cuda-compat set in the source root (looked in " + looked + ")");
    reason = "--forward-compat always";
    // A set older than the runtime's minimum driver serves no driver for this runtime.
    if (auto min = runtime ? driver_need(*runtime) : std::nullopt; min && pick->version < min->min)
      builder.warn("--forward-compat always: " + pick->describe() + " is older than CUDA " + runtime->str(2) + " needs (" + min->text() +
                   "): it cannot run this runtime on any driver; verify will fail it where a set is needed (ship " +
                   compat_package(data, *runtime) + ")");
    // The driver named is one the set cannot serve, and that cannot run the image without one: said
    // as auto says it (verify fails the image on that driver).
    if (runtime && req.driver && needs_newer_driver(*runtime, *req.driver))
      if (auto s = serves(*pick, *runtime, *req.driver); !s.ok) {
        auto min = driver_need(*runtime);
        builder.warn(req.driver_text + " is older than CUDA " + runtime->str(2) + " needs (" + (min ? min->text() : "?") + "), and the set shipped does not serve it: " + s.why +
                     "; verify will fail it on that driver");
      }
    return pick;
  }
  if (!runtime || !req.driver) return nullptr;  // auto: nothing to judge against
  if (!needs_newer_driver(*runtime, *req.driver)) return nullptr;  // the driver, or minor-version compatibility, runs it
  std::string why_not;
  const CompatSet* pick = serving_set(sets, *runtime, *req.driver, &why_not);
  auto min = driver_need(*runtime);
  std::string need = req.driver_text + " is older than CUDA " + runtime->str(2) + " needs (" + (min ? min->text() : "?") + ")";
  if (!pick) {
    builder.warn(need + ": " + compat_remedy(&data, *runtime, *req.driver) + " and the source root has no set that serves it (" + why_not +
                 "; looked in " + looked + "); verify will fail it on that driver");
    return nullptr;
  }
  reason = need + " and the set serves branch " + std::to_string(req.driver->major);
  return pick;
}

// The set's libraries load libc, libm, libdl, ... from the image: their closures ship (the set's
// own objects are forward-compat and ship as the set, not through the graph).
Status add_set_closure(const Analysis& a, const CompatSet& set, PlanBuilder& builder) {
  std::vector<std::string> elfs;
  for (auto& f : set.files)
    if (auto st = a.root().stat(f); st && S_ISREG(st->st_mode) && has_elf_magic(a.root().host_path(f))) elfs.push_back(f);
  if (elfs.empty()) return ok_status();
  auto g = a.resolve(elfs);
  if (!g.ok()) return g.error().wrap("resolving the cuda-compat set " + set.real_dir);
  for (auto& m : g->missing) builder.warn(m.needed_by + " needs " + m.name + ": " + missing_what(m) + " in the source root (the compat set will not load)");
  builder.add_graph(*g, false);
  return ok_status();
}

// The sets whose files the plan holds (added here, or brought by slim's selection / --include).
std::vector<const CompatSet*> planned_sets(const std::vector<CompatSet>& sets, const std::vector<std::string>& files) {
  std::vector<const CompatSet*> out;
  for (auto& s : sets)
    if (std::any_of(files.begin(), files.end(), [&](auto& f) { return path::dirname(f) == s.real_dir || path::dirname(f) == s.dir; }))
      out.push_back(&s);
  return out;
}

// The entry the NVIDIA hook writes, and the sets' sonames in the generated ld.so.cache.
void add_loader_entry(const Root& root, const std::vector<const CompatSet*>& sets, const ForwardCompatData& data, PlanBuilder& builder) {
  std::string conf = "# written by cuslim: the cuda-compat dirs, as the NVIDIA hook (enable-cuda-compat) writes them\n";
  std::vector<CacheLib> libs;
  for (auto* s : sets) {
    conf += s->real_dir + "\n";
    for (auto& f : s->files) {
      auto st = root.stat(f);
      if (!st || !S_ISREG(st->st_mode) || !builder.plan().items.count(f)) continue;
      auto elf = ElfFile::read(root.host_path(f), f, ElfFile::Parts::loader);
      if (!elf.ok() || !elf->soname) continue;
      std::string by_soname = path::join(s->real_dir, *elf->soname);
      libs.push_back({*elf->soname, builder.plan().items.count(by_soname) ? by_soname : f, 0x0303});
    }
  }
  builder.add_generated(data.ld_so_conf, conf);
  builder.add_cache_entries(libs);
}

// The hook looks only at the profile's fixed dirs (/usr/local/cuda/compat): a set the image
// carries under its real dir (slim keeps /usr/local/cuda-13.0/compat) keeps the link that names it.
// Where the source's link names another CUDA (or there is none), the image gets one to the set
// when nothing else it ships lies under that name; else a warning: under the NVIDIA container
// toolkit the host driver would load instead of the set.
Status add_hook_paths(const Root& root, const std::vector<const CompatSet*>& sets, const ForwardCompatData& data, PlanBuilder& builder) {
  auto under = [&](const std::string& dir) {
    auto& items = builder.plan().items;
    auto it = items.lower_bound(dir + "/");
    return items.count(dir) || (it != items.end() && it->first.starts_with(dir + "/"));
  };
  for (auto& d : data.dirs) {
    if (d.find('*') != std::string::npos) continue;
    auto real = root.realpath(d);
    for (auto* s : sets) {
      if (real.ok() && *real == s->real_dir) {
        if (*real == d || builder.plan().items.count(d)) continue;
        if (auto st = builder.add_include(d); !st.ok()) return st.error().wrap("adding the link to the cuda-compat set " + s->real_dir);
        for (auto& f : s->files) builder.set_class(f, ObjectClass::forward_compat);
        continue;
      }
      // /usr/local/cuda -> cuda-12.9 for /usr/local/cuda-12.9/compat: the same last name, siblings.
      std::string link = path::dirname(d), set_parent = path::dirname(s->real_dir);
      bool sibling = path::basename(s->real_dir) == path::basename(d) && path::dirname(set_parent) == path::dirname(link);
      if (sibling && !under(link)) {
        builder.add_generated_link(link, path::basename(set_parent));
        continue;
      }
      if (std::any_of(sets.begin(), sets.end(), [&](auto* o) { return real.ok() && *real == o->real_dir; })) continue;  // another set is there
      builder.warn(s->describe() + " is not at " + d + ", the only place NVIDIA's hook (enable-cuda-compat) looks, and the image's " + link +
                   " is not free to point there: under the NVIDIA container toolkit the host driver loads instead (ship the set of the CUDA " +
                   link + " names, or bundle without it)");
    }
  }
  return ok_status();
}

// A set's libcuda loads companions named by its own version (libnvidia-gpucomp.so.580.65.06): a
// host of another version cannot provide one the set lacks, so it is not "left to the host driver".
// Said only where the set's libcuda names the companion (older sets' libcuda load no gpucomp);
// one it does not name is not needed at all.
void warn_missing_companions(const Root& root, const std::vector<const CompatSet*>& sets, PlanBuilder& builder) {
  std::vector<std::string> names = builder.plan().dropped_driver;
  for (auto& entry : names)  // a name, or a path where the root has a copy
    for (auto* s : sets) {
      std::string name = path::basename(entry), suffix = ".so." + s->version_text;
      if (name.size() <= suffix.size() || !name.ends_with(suffix)) continue;
      bool has = std::any_of(s->files.begin(), s->files.end(), [&](auto& f) { return path::basename(f) == name; });
      if (has) continue;
      builder.unlist_left_to_driver(entry);
      if (!file_holds(root.host_path(s->libcuda), name.substr(0, name.size() - suffix.size() + 3))) continue;  // "libnvidia-gpucomp.so"
      builder.warn(s->describe() + " lacks " + name + ", which its libcuda loads: a host driver of another version cannot provide it "
                   "(the compat libraries may fail to initialise)");
    }
}

ForwardCompatShipped shipped(const CompatSet& s, const Plan& plan, const std::string& reason) {
  ForwardCompatShipped out{.dir = s.real_dir, .package = s.package, .version = s.version_text, .cuda = s.cuda ? s.cuda->str(2) : "",
                           .branches = s.branches, .from_note = s.from_note, .reason = reason};
  for (auto& f : s.files)
    if (auto it = plan.items.find(f); it != plan.items.end() && it->second.type == LayerEntry::file) ++out.files, out.bytes += it->second.size;
  return out;
}

}  // namespace

std::optional<ForwardCompatMode> parse_forward_compat_mode(const std::string& s) {
  if (s == "auto") return ForwardCompatMode::auto_;
  if (s == "always") return ForwardCompatMode::always;
  if (s == "never") return ForwardCompatMode::never;
  return std::nullopt;
}

Result<std::vector<ForwardCompatShipped>> plan_forward_compat(const Analysis& analysis, const ForwardCompatRequest& req, PlanBuilder& builder) {
  std::vector<ForwardCompatShipped> out;
  const ForwardCompatData* data = forward_compat_data(analysis.classifier());
  if (!data) return out;
  const Root& root = analysis.root();
  // never: no compat file ships, whatever brought it.
  if (req.mode == ForwardCompatMode::never) {
    for (auto& f : planned_compat_files(analysis, builder.plan())) builder.leave_out(f, "forward-compat file left out (--forward-compat never)");
    // As auto does, say when the driver named cannot run the image without a set.
    if (auto runtime = runtime_cuda(analysis, req, builder.plan()); runtime && req.driver && needs_newer_driver(*runtime, *req.driver)) {
      auto min = driver_need(*runtime);
      builder.warn(req.driver_text + " is older than CUDA " + runtime->str(2) + " needs (" + (min ? min->text() : "?") +
                   "): with --forward-compat never the image carries no " + compat_package(*data, *runtime) + "; verify will fail it on that driver");
    }
    return out;
  }
  // choose: the set the driver named needs (auto) or the runtime's (always), from the source root.
  auto sets = find_compat_sets(root, *data);
  std::string looked;
  for (auto& d : data->dirs) looked += (looked.empty() ? "" : ", ") + d;
  std::string reason;
  CUSLIM_TRY(const CompatSet* pick, choose_set(sets, req, runtime_cuda(analysis, req, builder.plan()), *data, looked, builder, reason));
  if (pick) {
    if (auto st = builder.add_include(pick->dir); !st.ok()) return st.error().wrap("adding the cuda-compat set " + pick->dir);
    for (auto& f : pick->files) builder.set_class(f, ObjectClass::forward_compat);
    CUSLIM_CHECK(add_set_closure(analysis, *pick, builder));
  }
  // entry: every set the image carries gets the hook's loader entry; the report names them.
  auto files = planned_compat_files(analysis, builder.plan());
  auto carried = planned_sets(sets, files);
  if (carried.empty()) return out;
  add_loader_entry(root, carried, *data, builder);
  CUSLIM_CHECK(add_hook_paths(root, carried, *data, builder));
  warn_missing_companions(root, carried, builder);
  for (auto* s : carried) out.push_back(shipped(*s, builder.plan(), s == pick ? reason : "carried by the input (kept as it is)"));
  return out;
}

}  // namespace cuslim
