// cuslim bundle TARGET... -o OUT: the smallest image that runs the targets.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iomanip>

#include "bundle/bundle.h"
#include "bundle/bundle_report.h"
#include "bundle/image_spec.h"
#include "cli/command.h"
#include "bundle/bundle_job.h"
#include "cli/analysis_flags.h"
#include "cli/registry_flags.h"

namespace cuslim::cli {

namespace {

struct BundleOptions {
  std::vector<std::string> targets, includes, env, traces;
  std::string out, format, compression = "gzip", tag, entrypoint, python_keep = "package", report_file, gpu_arch;
  std::string forward_compat = "auto", min_driver, layers = "single";
  bool quiet = false, force = false, no_jit = false, no_prune_nvidia = false;
  AnalysisFlags setup;
  std::shared_ptr<RegistryOptions> registry = std::make_shared<RegistryOptions>();
};

std::string human(uint64_t b) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1);
  if (b >= 1000000000) s << b / 1e9 << " GB";
  else if (b >= 1000000) s << b / 1e6 << " MB";
  else s << b / 1e3 << " kB";
  return s.str();
}

// A progress line on a TTY: bytes, share, rate. Quiet otherwise.
std::function<void(uint64_t, uint64_t)> progress_bar(bool quiet) {
  if (quiet || isatty(STDERR_FILENO) != 1) return {};
  auto start = std::chrono::steady_clock::now();
  auto last = std::make_shared<std::chrono::steady_clock::time_point>(start);
  return [start, last](uint64_t done, uint64_t total) {
    auto now = std::chrono::steady_clock::now();
    if (now - *last < std::chrono::milliseconds(200) && done < total) return;
    *last = now;
    double s = std::chrono::duration<double>(now - start).count();
    std::cerr << "\r  packing " << human(done) << " / " << human(total) << " (" << (total ? 100 * done / total : 100) << "%), "
              << human(static_cast<uint64_t>(s > 0 ? done / s : 0)) << "/s   " << (done >= total ? "\n" : "") << std::flush;
  };
}

void summary(const BundleResult& r, const BundleRequest& req, std::ostream& out) {
  out << "bundle " << req.out << " (" << format_name(req.format) << "): " << r.files << " files, " << human(r.bytes) << "\n";
  for (auto& [cls, bytes] : r.bytes_by_class) out << "  " << std::left << std::setw(8) << to_string(cls) << human(bytes) << "\n";
  out << "  largest:\n";
  for (auto& [p, size] : r.largest) out << "    " << std::setw(10) << human(size) << p << "\n";
  if (!r.plan.dropped_driver.empty()) {
    out << "  left to the host driver:";
    for (auto& d : r.plan.dropped_driver) out << " " << d;
    out << "\n";
  }
  if (r.layers.size() > 1)
    for (auto& [name, l] : r.layers)
      out << "  layer " << std::left << std::setw(11) << name << l.digest.str() << " (" << human(l.size) << " stored)\n";
  else if (r.layer) out << "  layer " << r.layer->digest.str() << " (" << human(r.layer->size) << " stored, diff_id " << r.layer->diff_id.str() << ")\n";
  if (r.image) out << "  manifest " << r.image->manifest.str() << "\n";
  if (!r.config.entrypoint.empty()) out << "  entrypoint " << r.config.entrypoint[0] << "\n";
  if (r.left_to_base) out << "  " << r.left_to_base << " files left to the base image\n";
  python_summary(r.python, out);
  jit_summary(r.jit, out);
  forward_compat_summary(r.forward_compat, out);
  prune_summary(r.prune, out);
}

// Prints the warnings and the summary of a finished bundle.
Exit report(const BundleResult& r, const BundleRequest& req, bool quiet, const std::string& report_file = "") {
  for (auto& w : r.plan.warnings) std::cerr << "cuslim: warning: " << w << "\n";
  for (auto& w : r.prune.warnings) std::cerr << "cuslim: warning: " << w << "\n";
  if (quiet && r.prune.nvidia_pruned)  // the licence notice is printed even when the summary is not
    std::cerr << "cuslim: notice: " << r.prune.nvidia_pruned << " NVIDIA libraries pruned (--gpu-arch); see the README on their licence\n";
  if (!report_file.empty()) {
    auto j = bundle_report_json(r);
    j["command"] = "bundle";
    j["out"] = req.out;
    take(write_report(report_file, j));
  }
  if (!quiet) summary(r, req, std::cout);
  report_push(r.pushed, registry_options());
  return Exit::ok;
}

Exit run_bundle(const BundleOptions& o) {
  use_registry_flags(*o.registry);
  BundleJob job{.analysis = o.setup.options(), .traces = o.traces, .format = o.format, .compression = o.compression, .layers = o.layers,
                .gpu_arch = o.gpu_arch,
                .forward_compat = o.forward_compat, .min_driver = o.min_driver};
  job.request.prune.nvidia = !o.no_prune_nvidia;
  job.request.prune.measure = !o.report_file.empty();
  job.request.targets = o.targets;
  job.request.includes = o.includes;
  job.request.out = o.out;
  job.request.tag = o.tag;
  job.request.env = o.env;
  if (!o.entrypoint.empty()) job.request.entrypoint = o.entrypoint;
  job.request.progress = progress_bar(o.quiet);
  job.request.force = o.force;
  job.request.python_keep = *parse_python_keep(o.python_keep);
  job.request.jit = !o.no_jit;
  auto r = take(bundle_job(job));
  job.request.format = r.format;
  return report(r, job.request, o.quiet, o.report_file);
}

struct BuildOptions {
  std::string spec, out;
  bool quiet = false, force = false;
  std::shared_ptr<RegistryOptions> registry = std::make_shared<RegistryOptions>();
};

Exit run_build(const BuildOptions& b) {
  use_registry_flags(*b.registry);
  auto job = take(job_from_spec(take(read_image_spec(b.spec)), b.out));
  job.request.progress = progress_bar(b.quiet);
  job.request.force = b.force;
  auto r = take(bundle_job(job));
  job.request.format = r.format;
  return report(r, job.request, b.quiet);
}

}  // namespace

void add_build(CLI::App& app, RunState& state) {
  auto o = std::make_shared<BuildOptions>();
  auto* cmd = app.add_subcommand("build", "Bundle from an image spec (images/*.yaml): the options of bundle, declared in a file");
  cmd->add_option("spec", o->spec, "Image spec YAML")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--out", o->out, "Override the spec's out");
  cmd->add_flag("-q,--quiet", o->quiet, "No progress and no summary");
  cmd->add_flag("--force", o->force, "Replace OUT even when it is a non-empty directory that is not an OCI layout");
  add_registry_flags(cmd, o->registry, true);
  cmd->footer(
      "Examples:\n  cuslim build images/smoke-driver.yaml\n  cuslim build images/smoke-cublas.yaml -o /tmp/cublas.docker.tar\n"
      "Relative paths in a spec are taken from the working directory.");
  cmd->callback([o, &state] { state.exit = run_build(*o); });
}

void add_bundle(CLI::App& app, RunState& state) {
  auto o = std::make_shared<BundleOptions>();
  o->setup.base = "scratch";
  auto* cmd = app.add_subcommand("bundle", "Pack TARGETs and what they load (minus the host driver and the base) into an image");
  cmd->add_option("targets", o->targets, "Programs or libraries to bundle (their closures come along)");
  cmd->add_option("-o,--out", o->out,
                  "Output: a dir, tarball, OCI layout dir or archive; oci:DIR[:TAG], oci-archive:FILE[:TAG], "
                  "docker-archive:FILE[:REF], dir:PATH, docker://HOST[:PORT]/REPO[:TAG] (pushed)")->required();
  cmd->add_option("--format", o->format, "dir | tar | tar.gz | tar.zst | oci | oci-archive | docker-archive (default: from OUT's extension, else oci)");
  cmd->add_option("--include", o->includes, "Extra files or whole dirs (repeatable); ELF files bring their closures")->allow_extra_args(false);
  cmd->add_option("--trace", o->traces, "A trace file from `cuslim trace`: what the run mapped joins the bundle (repeatable)")->allow_extra_args(false);
  cmd->add_option("--entrypoint", o->entrypoint, "Entrypoint (default: the first program among the targets)");
  cmd->add_option("--env", o->env, "Extra config Env K=V (repeatable; replaces K)")->allow_extra_args(false);
  cmd->add_option("--tag", o->tag, "Image tag (org.opencontainers.image.ref.name; docker-archive RepoTags)");
  cmd->add_option("--compression", o->compression, "Layer compression for oci formats: gzip | zstd")->check(CLI::IsMember({"gzip", "zstd"}))->capture_default_str();
  cmd->add_option("--layers", o->layers,
                  "Image outputs: one layer (single), or auto: base system, CUDA runtime, frameworks, application -- each "
                  "deterministic, so images on the same CUDA libraries share their CUDA layer in registries and on nodes")
      ->check(CLI::IsMember({"single", "auto"}))->capture_default_str();
  cmd->add_option("--python-keep", o->python_keep,
                  "With --trace: Python distributions the run used ship whole (package) or only the files it opened (file)")
      ->check(CLI::IsMember({"package", "file"}))->capture_default_str();
  cmd->add_flag("--no-jit", o->no_jit, "Do not add the run-time toolchains of JIT frameworks (Triton's C compiler, XLA's ptxas, ...)");
  cmd->add_option("--gpu-arch", o->gpu_arch,
                  "Prune GPU code in the image's copies to what these compute capabilities run, e.g. 90 or 80,90 (sources untouched)");
  cmd->add_flag("--no-prune-nvidia", o->no_prune_nvidia, "With --gpu-arch: leave NVIDIA's libraries (cuBLAS, cuDNN, NCCL, ...) whole");
  cmd->add_option("--forward-compat", o->forward_compat,
                  "Ship the cuda-compat set from the source root: auto (when --driver-version/--min-driver is older than the runtime "
                  "needs and the set serves its branch), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))->capture_default_str();
  cmd->add_option("--driver-version,--min-driver", o->min_driver, "The oldest driver the image must run on, e.g. 535.230.02 (for --forward-compat auto)");
  cmd->add_option("--report", o->report_file,
                  "Write a JSON report (classes, driver files left out, Python distributions kept and dropped, what --gpu-arch removed)");
  cmd->add_flag("-q,--quiet", o->quiet, "No progress and no summary");
  cmd->add_flag("--force", o->force, "Replace OUT even when it is a non-empty directory that is not an OCI layout");
  o->setup.add_to(*cmd);
  add_registry_flags(cmd, o->registry, true);
  cmd->footer(
      "Examples:\n"
      "  cuslim bundle /usr/bin/ssh -o ssh-oci --format oci --tag ssh\n"
      "  cuslim bundle ./app --include /opt/app/data -o app.docker.tar --format docker-archive --tag app:1\n"
      "  cuslim bundle ./infer --base ubuntu24.04 -o infer.tar.zst\n"
      "  cuslim trace --files -o app.trace -- python3 app.py\n"
      "  cuslim bundle $(command -v python3) --trace app.trace --include app.py -o app-oci --report app.json\n"
      "  cuslim bundle ./train --gpu-arch 90 -o train-h100-oci   # GPU code for sm_90 only (H100/H200)\n"
      "  cuslim bundle ./infer --min-driver 535.230.02 -o infer-oci   # CUDA 13 on an R535 fleet: ships cuda-compat-13-0\n"
      "  cuslim bundle ./app -o docker://registry.example:5000/team/app:1 --digestfile app.digest   # pushed, no daemon\n"
      "Reproducible: SOURCE_DATE_EPOCH sets every mtime and the config's created (else 0).\n"
      "OUT: written under a temp name and renamed; an existing OCI layout gets the image added (--tag moves,\n"
      "other tags stay); a non-empty directory that is not one is refused without --force; OUT is never an input.\n"
      "Exit: 0 written; 1 a dependency is missing; 2 usage (including a refused OUT); 3 unreadable input;\n"
      "4 a registry could not be reached or refused (TLS, authentication, HTTP errors).");
  cmd->callback([o, &state] { state.exit = run_bundle(*o); });
}

}  // namespace cuslim::cli
