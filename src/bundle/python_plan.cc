#include "bundle/python_plan.h"

#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <set>

#include "bundle/plan_closure.h"
#include "core/path.h"
#include "python/interpreter.h"
#include "report/kept_groups.h"

namespace cuslim {

namespace {

// Held-back files a kept distribution left out ((kind, profile) -> files): those the closure of
// what ships brought back count as shipped in their distribution's report; the rest are named in
// one warning per kind and profile.
using HeldBackFiles = std::map<std::pair<HeldBack, std::string>, std::vector<std::string>>;
void report_held_back(const HeldBackFiles& held, PlanBuilder& builder, PythonSelection& sel) {
  for (auto& [by, files] : held) {
    std::vector<std::string> out;
    for (auto& f : files) {
      if (!builder.plan().items.count(f)) {
        out.push_back(f);
        builder.note_held_back(f);
        continue;
      }
      const Distribution* d = sel.index->owner(f);
      if (!d) continue;
      auto& r = sel.distributions.at(static_cast<size_t>(d - sel.index->all().data()));
      --r.left_out, ++r.files, r.bytes += builder.plan().items.at(f).size;
    }
    if (!out.empty()) builder.warn(held_back_warning(by.first, out, "of kept Python distributions left out", " (profile " + by.second + ")"));
  }
}

// sys.path directories an application's own packages sit in: its scripts' directories (a target or
// an --include that is a .py file) and the traced PYTHONPATH.
std::vector<std::string> script_path_dirs(const Root& root, const BundleRequest& req) {
  std::vector<std::string> dirs;
  for (auto* list : {&req.targets, &req.includes})
    for (auto& f : *list)
      if (auto st = root.stat(f); st && S_ISREG(st->st_mode) && f.ends_with(".py")) dirs.push_back(path::dirname(path::normalize(f)));
  for (auto& kv : req.traced_env)
    if (kv.rfind("PYTHONPATH=", 0) == 0)
      for (auto& d : path::split_list(kv.substr(11)))
        if (!d.empty() && d[0] == '/') dirs.push_back(path::normalize(d));
  return dirs;
}

}  // namespace

// A Python interpreter among the programs (or the interpreter of a #! script among them) brings
// what every start of it reads (its encodings, landmarks and site's modules), traced or not:
// python/interpreter.h.
Status add_python_startup(const Analysis& analysis, const Programs& programs, PlanBuilder& builder, const BundleRequest& req) {
  bool trace_without_files = req.trace_without_files;
  bool traced = trace_without_files || !req.traced.empty() || !req.traced_files.empty();
  const Root& root = analysis.root();
  for (auto& t : programs.elf) {  // a #! script's interpreter is among them
    auto elf = analysis.object(t);
    if (!elf->ok()) continue;
    auto py = python_interpreter(root, t, elf->value());
    if (!py) continue;
    if (trace_without_files)
      builder.warn(t + ": a Python interpreter, and a --trace made without --files: which modules the run imported is unknown, so "
                   "no Python distribution and only the start-up part of the standard library ship (the image may fail at its first "
                   "import); trace again with: cuslim trace --files -o FILE -- ...");
    // No trace at all: the same half image, unless the standard library is --include'd whole.
    bool stdlib_included = std::any_of(req.includes.begin(), req.includes.end(), [&](const std::string& inc) {
      std::string d = path::normalize(inc);
      return py->stdlib == d || py->stdlib.rfind(d + "/", 0) == 0 || d == "/";
    });
    if (!traced && !stdlib_included)
      builder.warn(t + ": a Python interpreter with no --trace: which modules a run imports is unknown, so no Python distribution and "
                   "only the start-up part of the standard library ship (import json fails in the image); trace the program with "
                   "cuslim trace --files -o FILE -- ... and give --trace FILE (or --include " + py->stdlib + " and what it imports)");
    auto startup = python_startup(root, *py);
    for (auto& f : startup.files) {
      CUSLIM_CHECK(builder.add_include(f));
      builder.note_reason(f, "read at every start of the Python interpreter (standard library landmarks, encodings, site, .pth hooks)");
    }
    for (auto& d : startup.dirs)
      if (auto st = root.stat(d); st && S_ISDIR(st->st_mode)) builder.add_directory(d);
  }
  return ok_status();
}

std::vector<std::string> leave_out_optional_jit(const Analysis& analysis, BundleRequest& req) {
  std::vector<std::string> warnings;
  if (req.jit || req.traced_files.empty()) return warnings;
  const Root& root = analysis.root();
  auto sites = site_dirs_of(req.traced_files);
  for (auto* j : analysis.jit_frameworks()) {
    if (j->optional_for.empty()) continue;
    auto toolchain = [&](const std::string& p) {  // '*' crosses '/' in the profile's globs
      return std::any_of(j->files.begin(), j->files.end(), [&](auto& g) { return ::fnmatch(g.c_str(), p.c_str(), 0) == 0; });
    };
    bool ran = false;
    for (auto* list : {&req.traced_files, &req.traced, &req.traced_programs})
      ran = ran || std::any_of(list->begin(), list->end(), toolchain);
    if (ran) continue;
    std::set<std::string> when, importers_seen;
    for (auto& w : j->when) when.insert(normalize_distribution_name(w));
    std::vector<Distribution> dists;
    for (auto& site : sites)
      for (auto& d : read_site_dir(root, site)) dists.push_back(std::move(d));
    std::set<std::string> traced(req.traced_files.begin(), req.traced_files.end());
    for (auto& d : dists)  // an importer the run used itself (torch): else the program imports it directly
      for (auto& o : j->optional_for)
        if (d.key == normalize_distribution_name(o) && std::any_of(d.files.begin(), d.files.end(), [&](auto& f) { return traced.count(f) > 0; }))
          importers_seen.insert(d.name);
    if (importers_seen.empty()) continue;
    for (auto& d : dists) {
      if (!when.count(d.key)) continue;
      std::set<std::string> owned(d.files.begin(), d.files.end());
      size_t before = req.traced_files.size() + req.traced.size();
      std::erase_if(req.traced_files, [&](const std::string& f) { return owned.count(f) > 0; });
      std::erase_if(req.traced, [&](const std::string& f) { return owned.count(f) > 0; });
      if (req.traced_files.size() + req.traced.size() == before) continue;  // the run did not import it
      req.optional_jit_left_out.insert(d.key);
      std::string importers;
      for (auto& o : importers_seen) importers += (importers.empty() ? "" : ", ") + o;
      warnings.push_back(d.name + " " + d.version + " left out (--no-jit): " + importers + " imports it only when it is there and runs without it, "
                         "and the traced run ran none of its toolchain; " + j->consequence + " in this image");
    }
  }
  return warnings;
}

// Python distributions the traced files used ship whole (--python-keep package) with their
// profile-named companions, their extension modules bringing their closures; the report says
// what each distribution of the site dirs involved became.
Result<PythonSelection> add_python_distributions(const Analysis& analysis, const BundleRequest& req, PlanBuilder& builder) {
  if (req.traced_files.empty()) return PythonSelection{};
  const Root& root = analysis.root();
  PythonKeepOptions opts{.mode = req.python_keep, .companions = analysis.python_companions()};
  // Toolkit and driver files stay out; a jit file stays when its framework is among the used.
  // A link-only library (profiles' link_only) stays out too: nothing loads it unless a program
  // links it, and then the closure ships it; so does a file only a profiler loads (profiler_only).
  std::set<std::string> used;
  HeldBackFiles held;
  // A profiler the traced run loaded (a file of a profile's profiler_only) ships whole: what it
  // loads later, when it profiles (Proton -> its CUPTI copy), is not held back.
  std::set<std::string> profilers_used;
  for (auto& f : req.traced_files)
    if (auto by = analysis.held_back(f); by && by->kind == HeldBack::profiler_only) profilers_used.insert(by->profile);
  opts.leave_out = [&](const std::string& p) {
    auto c = analysis.classifier().classify(p, p, std::nullopt, path::basename(p));
    auto cls = req.jit ? class_given(c, used) : (c.cls == ObjectClass::jit ? ObjectClass::toolkit : c.cls);
    if (cls == ObjectClass::driver) builder.note_left_to_driver(p, "driver file of a Python distribution left out (the host driver provides it at run time)");
    if (cls == ObjectClass::driver || cls == ObjectClass::toolkit) return true;
    if (auto by = analysis.held_back(p); by && !(by->kind == HeldBack::profiler_only && profilers_used.count(by->profile)))
      return held[{by->kind, by->profile}].push_back(p), true;
    return false;
  };
  // --no-jit: the image compiles nothing at run time, so a JIT framework's distribution ships only
  // when the traced run used it itself, not because another names or requires it (torch -> triton).
  std::map<std::string, const JitFramework*> jit_of;
  if (!req.jit)
    for (auto* j : analysis.jit_frameworks())
      for (auto& w : j->when) {
        std::string key = normalize_distribution_name(w), importers;
        jit_of.emplace(key, j);
        for (auto& o : j->optional_for) importers += (importers.empty() ? "" : ", ") + o;
        opts.only_if_used.emplace(key, req.optional_jit_left_out.count(key)
                                           ? "--no-jit, " + importers + " import(s) it only when it is there, and the traced run ran none of its toolchain"
                                           : "--no-jit, " + j->name + " is a JIT compiler the traced run did not use");
      }
  auto sel = select_python(root, req.traced_files, opts, &used);
  for (auto& r : sel.distributions)
    if (auto j = jit_of.find(normalize_distribution_name(r.name));
        !r.kept && j != jit_of.end() && r.reason.starts_with("not kept: ") && !req.optional_jit_left_out.count(normalize_distribution_name(r.name)))
      builder.warn(r.name + " " + r.version + " left out (--no-jit, and the traced run did not use it): " + j->second->consequence + " in this image");
  if (req.python_keep == PythonKeep::package) {  // an application's own packages: whole, as distributions are
    auto path_dirs = script_path_dirs(root, req);
    for (auto& d : traced_script_dirs(root, req.traced_files, *sel.index))
      if (std::find(path_dirs.begin(), path_dirs.end(), d) == path_dirs.end()) path_dirs.push_back(d);
    for (auto& dir : unowned_packages(root, req.traced_files, *sel.index, path_dirs)) sel.files.push_back(dir);
  }
  std::vector<std::string> elfs;
  for (auto& f : sel.files) {
    auto st = root.stat(f);
    if (!st || (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))) continue;
    CUSLIM_CHECK(builder.add_include(f));
    if (S_ISREG(st->st_mode) && f.find(".so") != std::string::npos && is_elf_in(root, f)) elfs.push_back(f);
  }
  if (!elfs.empty()) {  // extension modules a cold path may import: their dependencies ship too
    CUSLIM_TRY(auto g, resolve_each_or_warn(analysis, elfs, traced_loaded(root, req.traced), builder));
    builder.add_graph(g, false);
    // A module whose libraries are nowhere in the source (cupy's cuTENSOR module without the
    // cuTENSOR wheel) cannot load anywhere: it is left out, and said so. One whose library sits
    // somewhere the search misses (a package may preload it by path) stays, with a warning.
    std::set<std::string> anywhere;  // file names in the site dirs involved
    for (auto& site : site_dirs_of(sel.files))
      for (auto& d : read_site_dir(root, site))
        for (auto& f : d.files) anywhere.insert(path::basename(f));
    std::map<std::string, bool> findable;  // module -> some missing name exists somewhere
    for (auto& m : g.missing)
      if (std::find(elfs.begin(), elfs.end(), m.needed_by) != elfs.end()) findable[m.needed_by] |= anywhere.count(m.name) > 0;
    for (auto& [f, somewhere] : findable) {
      if (somewhere) builder.warn(f + ": needs " + missing_names(g, f) + ", which the loader's search does not find (shipped: the package may load it by path)");
      else builder.leave_out(f, "needs a library the source does not have either (" + missing_names(g, f) + "): left out, it cannot load");
    }
  }
  std::set<std::string> orphan_dirs;  // a distribution that does not ship leaves no metadata behind
  for (auto& f : sel.orphan_metadata) builder.drop(f), orphan_dirs.insert(path::dirname(f));
  for (auto& dir : orphan_dirs) {  // nor its *.dist-info directory, once nothing else is in it
    auto& items = builder.plan().items;
    auto next = items.upper_bound(dir + "/");
    if (next == items.end() || next->first.rfind(dir + "/", 0) != 0) builder.drop(dir);
  }
  report_held_back(held, builder, sel);
  return sel;
}

// The distributions report, final: those nothing imported whose libraries ship for an object of
// another are "closure of Y".
std::vector<DistributionReport> python_report(PythonSelection sel, const Root& root, const Plan& plan) {
  credit_closures(sel, root, plan_files(plan), plan.needed_by);
  // A kept distribution's numbers are what the finished plan ships of it: driver files left to the
  // host, link-only libraries and file-by-file keeping all happened after the selection.
  if (sel.index) {
    auto shipped = [&](const std::string& f) -> const PlanItem* {
      auto it = plan.items.find(f);
      if (it == plan.items.end())
        if (auto real = root.realpath(f); real.ok()) it = plan.items.find(*real);
      return it != plan.items.end() && it->second.type != LayerEntry::dir ? &it->second : nullptr;
    };
    const auto& dists = sel.index->all();
    for (size_t i = 0; i < dists.size() && i < sel.distributions.size(); ++i) {
      auto& r = sel.distributions[i];
      if (!r.kept) continue;
      r.files = r.bytes = 0;
      for (auto& f : dists[i].files)
        if (auto* item = shipped(f)) ++r.files, r.bytes += item->size;
      r.left_out = dists[i].files.size() - r.files;
    }
  }
  return std::move(sel.distributions);
}

}  // namespace cuslim
