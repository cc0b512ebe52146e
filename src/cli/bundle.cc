// cuslim bundle TARGET... -o OUT: the smallest image that runs the targets.
#include "bundle/bundle_job.h"
#include "cli/analysis_flags.h"
#include "cli/bundle_output.h"
#include "cli/command.h"
#include "cli/registry_flags.h"

namespace cuslim::cli {

namespace {

struct BundleOptions {
  std::vector<std::string> targets, includes, env, traces;
  std::string out, format, compression, tag, entrypoint, python_keep = "package", report_file, gpu_arch;
  std::string forward_compat = "auto", driver_version, min_driver, layers = "auto";
  bool quiet = false, force = false, no_jit = false, no_prune_nvidia = false, json = false;
  AnalysisFlags setup;
  std::shared_ptr<RegistryOptions> registry = std::make_shared<RegistryOptions>();
};

Exit run_bundle(const BundleOptions& o) {
  BundleJob job{.analysis = o.setup.options(), .traces = o.traces, .format = o.format, .compression = o.compression, .layers = o.layers,
                .gpu_arch = o.gpu_arch,
                .forward_compat = o.forward_compat, .driver_version = o.driver_version, .min_driver = o.min_driver};
  job.request.prune.nvidia = !o.no_prune_nvidia;
  job.request.targets = o.targets;
  job.request.includes = o.includes;
  job.request.out = o.out;
  job.request.tag = o.tag;
  job.request.env = o.env;
  if (!o.entrypoint.empty()) job.request.entrypoint = o.entrypoint;
  job.request.progress = progress_line("packing", o.quiet, gzip_hint(job));
  job.request.python_keep = *parse_python_keep(o.python_keep);
  job.request.jit = !o.no_jit;
  return run_and_report(job, {"bundle", o.report_file, o.quiet, o.json, o.force, *o.registry});
}

}  // namespace

void add_bundle(CLI::App& app, RunState& state) {
  auto o = std::make_shared<BundleOptions>();
  o->setup.base = "scratch";
  auto* cmd = app.add_subcommand("bundle", "Pack TARGETs and what they load (minus the host driver and the base) into an image");
  cmd->add_option("targets", o->targets, "Programs or libraries to bundle (their closures come along)");
  cmd->add_option("-o,--out", o->out,
                  "Output: a dir, tarball, OCI layout dir or archive; oci:DIR[:TAG], oci-archive:FILE[:TAG], "
                  "docker-archive:FILE[:REF], dir:PATH, docker://HOST[:PORT]/REPO[:TAG] (pushed)")->required()->check(file_name());
  cmd->add_option("--format", o->format, "dir | tar | tar.gz | tar.zst | oci | oci-archive | docker-archive (default: from OUT's extension, else oci)");
  cmd->add_option("--include", o->includes, "Extra files or whole dirs (repeatable); ELF files bring their closures")->allow_extra_args(false);
  cmd->add_option("--trace", o->traces, "A trace file from `cuslim trace`: what the run mapped joins the bundle (repeatable)")->allow_extra_args(false);
  cmd->add_option("--entrypoint", o->entrypoint, "Entrypoint (default: the first program among the targets; with none, an image --base's Entrypoint and Cmd)");
  cmd->add_option("--env", o->env, "Extra config Env K=V (repeatable; replaces K)")->allow_extra_args(false);
  cmd->add_option("--tag", o->tag, "Image tag (org.opencontainers.image.ref.name; docker-archive RepoTags; default: none)");
  cmd->add_option("--compression", o->compression, "Layer compression for oci formats: gzip | zstd (default gzip)")->check(CLI::IsMember({"gzip", "zstd"}));
  cmd->add_option("--layers", o->layers,
                  "Image outputs: auto (default): layers from least to most often changing -- system, one per CUDA family "
                  "(cuda-cublas, ...), one per Python distribution of 32 MB or more (py-torch, ...), frameworks, app -- each "
                  "deterministic, so images on the same CUDA libraries share their CUDA layer in registries and on nodes; "
                  "single: one layer")
      ->check(CLI::IsMember({"single", "auto"}))->capture_default_str();
  cmd->add_option("--python-keep", o->python_keep,
                  "With --trace: Python distributions the run used ship whole (package) or only the files it opened (file)")
      ->check(CLI::IsMember({"package", "file"}))->capture_default_str();
  cmd->add_flag("--no-jit", o->no_jit, "Do not add the run-time toolchains of JIT frameworks (Triton's C compiler, XLA's ptxas, ...)");
  cmd->add_option("--gpu-arch", o->gpu_arch,
                  "Prune GPU code in the image's copies to what these compute capabilities run, e.g. 90 or 80,90 (sources untouched; "
                  "default: no pruning)")
      ->check(gpu_arch_list());
  cmd->add_flag("--no-prune-nvidia", o->no_prune_nvidia, "With --gpu-arch: leave NVIDIA's libraries (cuBLAS, cuDNN, NCCL, ...) whole")
      ->needs("--gpu-arch");
  cmd->add_option("--forward-compat", o->forward_compat,
                  "Ship the cuda-compat set from the source root: auto (when --driver-version/--min-driver is older than the runtime "
                  "needs and the set serves its branch), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))->capture_default_str();
  cmd->add_option("--min-driver", o->min_driver, "The oldest driver the image must run on, e.g. 535.230.02 (for --forward-compat auto)")
      ->check(driver_version());
  cmd->add_option("--driver-version", o->driver_version, "The fleet's driver, e.g. 535.230.02 (with --min-driver too, the older counts)")
      ->check(driver_version());
  cmd->add_option("--report", o->report_file,
                  "Also write a report: FILE.html (a self-contained page with a treemap of the bytes by class, group and file) or "
                  "FILE.json (classes, groups and why they ship, layers, driver files left out, Python distributions, what --gpu-arch removed)")->check(file_name());
  cmd->add_flag("--json", o->json, "Print the summary as JSON on stdout instead of text (the --report FILE.json fields)");
  cmd->add_flag("-q,--quiet", o->quiet, "No progress and no summary");
  cmd->add_flag("--force", o->force, "Replace OUT even when it is a non-empty directory that is not an OCI layout");
  o->setup.add_to(*cmd);
  cmd->get_option("--base")->description(
      "What the image is built on: scratch (nothing: the bundle carries glibc too), a base profile (debian12, ubuntu24.04, ...: "
      "what it provides is left out), or an image -- an OCI layout DIR[:TAG], oci-archive:, docker-archive: or docker:// -- whose layers ours is appended to");
  add_registry_flags(cmd, o->registry, true);
  cmd->footer(
      "Examples:\n"
      "  cuslim bundle /usr/bin/ssh -o ssh-oci --format oci --tag ssh\n"
      "  cuslim bundle ./app --include /opt/app/data -o app.docker.tar --format docker-archive --tag app:1\n"
      "  cuslim bundle ./infer --base ubuntu24.04 -o infer.tar.zst\n"
      "  cuslim bundle ./infer --base python-oci:3.12 -o infer-oci   # appended to an existing image\n"
      "  cuslim trace --files -o app.trace -- python3 app.py\n"
      "  cuslim bundle $(command -v python3) --trace app.trace --include app.py -o app-oci --report app.json\n"
      "  cuslim bundle ./train --gpu-arch 90 -o train-h100-oci   # GPU code for sm_90 only (H100/H200)\n"
      "  cuslim bundle ./infer --min-driver 535.230.02 -o infer-oci   # CUDA 13 on an R535 fleet: ships cuda-compat-13-0\n"
      "  cuslim bundle ./app -o app-oci --report app.html --json > app.json   # a page to look at, JSON to keep\n"
      "  cuslim bundle ./app -o docker://registry.example:5000/team/app:1 --digestfile app.digest   # pushed, no daemon\n"
      "Reproducible: SOURCE_DATE_EPOCH sets every mtime and the config's created (else 0).\n"
      "OUT: written under a temp name and renamed; an existing OCI layout gets the image added (--tag moves,\n"
      "other tags stay); a non-empty directory that is not one is refused without --force; OUT is never an input.\n"
      "Exit: 0 written; 1 a dependency is missing (or --forward-compat always found no set); 2 usage (including a\n"
      "refused OUT); 3 unreadable input, or OUT written by another run meanwhile;\n"
      "4 a registry could not be reached or refused (TLS, authentication, HTTP errors).");
  cmd->callback([o, &state] { state.exit = run_bundle(*o); });
}

}  // namespace cuslim::cli
