#include "bundle/slim_image.h"

#include "analysis/analysis.h"
#include "bundle/plan_closure.h"
#include "core/output_guard.h"
#include "core/path.h"
#include "loader/search_plan.h"
#include "core/staging.h"
#include "image/image_reader.h"
#include "registry/registry_ref.h"
#include "report/kept_groups.h"
#include "trace/traced_run.h"

namespace cuslim {

namespace {

// The analysis inside the unpacked image: its own loader files and LD_LIBRARY_PATH, base scratch
// (everything the image holds is the image's).
Result<Analysis> analyse_image(const UnpackedImage& img, const std::string& ref) {
  AnalysisOptions ao{.root = img.rootfs, .root_label = "image " + ref, .base = "scratch"};
  for (auto& e : img.config.env)
    if (e.rfind("LD_LIBRARY_PATH=", 0) == 0) ao.ld_library_path = ld_library_path_dirs(e.substr(16));
  return Analysis::make(ao);
}

// What to keep besides the entrypoint and the user's globs: every profile keep-set.
std::vector<std::string> keep_set_globs(const SlimRequest& req, const Analysis& a) {
  return req.keep_set ? a.slim_keep_set() : std::vector<std::string>{};
}

// The bundle request: the selection, the traces and probe, the image's own config.
Result<BundleRequest> bundle_request(const SlimRequest& req, const UnpackedImage& img, const Analysis& a, const SlimSelection& sel,
                                     bool uses_cuda) {
  BundleRequest b{
      .targets = sel.targets,
      .includes = sel.includes,
      .out = req.out,
      .format = req.format,
      .compression = req.compression,
      .tag = req.tag,
      .base = "scratch",
      .with_driver_needs = uses_cuda,
      .keep_config = img.config,
      .keep_setuid = req.keep_setuid,
      .keep_attributes = true,
      .inputs = {parse_image_ref(req.image).transport == "docker" ? "" : parse_image_ref(req.image).path},
      .force = req.force,
  };
  b.python_keep = req.python_keep;
  b.kept_paths.insert(sel.kept.begin(), sel.kept.end());
  b.input_image = &img;
  b.progress = req.pack_progress;
  b.registry = req.registry;
  b.push_progress = req.push_progress;
  b.layers = req.layers;
  b.jit = req.jit;
  b.prune = req.prune;
  b.inputs.insert(b.inputs.end(), req.traces.begin(), req.traces.end());
  CUSLIM_TRY(b.mtime, source_date_epoch());
  CUSLIM_CHECK(add_trace_files(b, req.traces, a.root()));
  b.keep_config->history = "cuslim slim: kept " + std::to_string(sel.targets.size()) + " programs' closures and " +
                           std::to_string(sel.includes.size()) + " kept paths";
  return b;
}

// Reports: what was kept and what was dropped, grouped the same way (one grouper over the input).
void add_groups(const Analysis& a, const BundleRequest& breq, BundleResult& r) {
  auto input = rootfs_files(a.root(), a.classifier());
  std::vector<std::string> paths;
  for (auto& f : input) paths.push_back(f.path);
  FileGrouper grouper(a.root(), a.classifier(), paths, generated_files(r.plan));
  r.groups = kept_groups(grouper, breq, r);
  auto dropped = dropped_groups(grouper, input, r);
  r.groups.insert(r.groups.end(), dropped.begin(), dropped.end());
}

// Held-back files the keep-sets matched and nothing that ships loads: named in one warning per
// kind (those of kept Python distributions have the bundle's).
void warn_held_back(SlimResult& res) {
  for (auto& [kind, files] : res.selection.held_back) {
    std::vector<std::string> dropped;
    for (auto& f : files)
      if (!res.bundle.plan.items.count(f) && !res.bundle.plan.held_back_left_out.count(f)) dropped.push_back(f);
    if (!dropped.empty()) res.warnings.push_back(held_back_warning(kind, dropped, "of the keep-sets dropped"));
  }
}

}  // namespace

Result<SlimResult> slim_image(const SlimRequest& req) {
  SlimResult res;
  // 0. Side outputs (--report) are checked before any work: never an input, never inside OUT.
  std::vector<std::string> inputs = req.traces;
  if (auto ref = parse_image_ref(req.image); ref.transport != "docker") inputs.push_back(ref.path);
  for (auto& [flag, file] : req.side_outputs) CUSLIM_CHECK(check_side_output(flag, file, inputs, req.out));
  if (!is_registry_ref(req.out)) CUSLIM_CHECK(check_output_place("-o", req.out));
  CUSLIM_TRY(auto staging, Staging::make());
  // 1. Unpack (hostile layers refused, setuid bits stripped unless asked).
  UnpackOptions uo{.tag = req.from_tag, .platform = req.platform, .keep_setuid = req.keep_setuid, .progress = req.unpack_progress,
                   .registry = req.registry, .pull_progress = req.pull_progress};
  CUSLIM_TRY(auto img, unpack_image(req.image, staging.path(), uo));
  for (auto& s : img.skipped) res.notes.push_back(s);
  // 2. Analyse inside the image and select what the program needs.
  CUSLIM_TRY(auto analysis, analyse_image(img, req.image));
  auto held_back = [&](const std::string& p) { auto by = analysis.held_back(p); return by ? std::optional(by->kind) : std::nullopt; };
  CUSLIM_TRY(res.selection, select_for_slim(analysis.root(), img, analysis.classifier(), req.targets, req.keep, keep_set_globs(req, analysis), held_back));
  // No program (none declared, none named) and nothing the user asked for: the keep-sets alone
  // (certificates, passwd) would make an image that runs nothing.
  if (res.selection.targets.empty() && (res.selection.includes.empty() || (req.keep.empty() && req.traces.empty() && !req.probe)))
    return Error(Exit::usage, req.image + ": nothing to keep: the image declares no Entrypoint or Cmd that is a program in it, and no TARGET, "
                              "--keep or --trace names anything (give a TARGET or --keep GLOB)");
  res.warnings.insert(res.warnings.end(), res.selection.warnings.begin(), res.selection.warnings.end());
  for (auto& d : res.selection.dropped_driver) res.warnings.push_back(d + ": driver library in the input, dropped (it breaks on other hosts)");
  std::vector<std::pair<std::string, uint64_t>> input_files;
  res.before = count_by_class(analysis.root(), analysis.classifier(), &input_files);
  // 3. Plan the bundle, with what a traced or probed run loaded.
  CUSLIM_TRY(auto breq, bundle_request(req, img, analysis, res.selection, res.before.count(ObjectClass::cuda) > 0));
  if (req.probe) {
    CUSLIM_TRY(auto probe, probe_image(img, req.probe_cmd, staging.path(), analysis.root()));
    if (probe.exit_code != 0)
      res.warnings.push_back("--probe: the program exited " + std::to_string(probe.exit_code) + "; keeping what it loaded until then");
    res.notes.push_back("--probe: the run mapped " + std::to_string(probe.mapped) + " objects, " + std::to_string(probe.in_image.size()) +
                        " of them from the image, and opened " + std::to_string(probe.files.size()) + " files of the image");
    breq.traced.insert(breq.traced.end(), probe.in_image.begin(), probe.in_image.end());
    breq.traced_files.insert(breq.traced_files.end(), probe.files.begin(), probe.files.end());
  }
  // 4. Write.
  CUSLIM_TRY(res.bundle, bundle(analysis, breq));
  if (req.report_contents) add_groups(analysis, breq, res.bundle);
  for (auto& [p, size] : input_files)
    if (!res.bundle.plan.ships_file(p)) ++res.dropped.files, res.dropped.bytes += size;
  for (auto& w : res.bundle.plan.warnings) res.warnings.push_back(w);
  warn_held_back(res);
  for (auto& f : res.bundle.forward_compat)
    res.notes.push_back("kept the forward-compat set " + f.dir + " (" + f.package + ", libcuda " + f.version + ", " + std::to_string(f.files) +
                        " files): it is the image's cuda-compat, not the host driver; the loader entry the NVIDIA hook writes is in the image");
  return res;
}

}  // namespace cuslim
