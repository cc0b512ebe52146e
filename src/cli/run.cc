// cuslim run IMAGE|BUNDLE [--gpu auto|on|off] [-- CMD...]: run a bundle the way a GPU node would,
// with the host driver injected as the NVIDIA container stack does -- and nothing else.
#include <unistd.h>


#include "cli/command.h"
#include "cli/registry_flags.h"
#include "prune/gpu_arch.h"
#include "sandbox/gpu_query.h"
#include "sandbox/run_setup.h"

namespace cuslim::cli {

namespace {

struct RunOptions {
  std::string image, gpu = "auto", tag, driver_root = "/";
  std::vector<std::string> cmd;
  bool verbose = false, no_arch_check = false, no_cache = false;
  std::shared_ptr<RegistryOptions> registry = std::make_shared<RegistryOptions>();
};

Exit run_run(const RunOptions& o) {
  auto staging = take(Staging::make());
  ImageCacheOptions cache;
  if (!o.no_cache) cache = take(default_image_cache());  // its size limit is read only when it is used
  UnpackOptions unpack{.tag = o.tag, .progress = progress_line("unpacking", false), .registry = *o.registry,
                       .pull_progress = progress_line("pulling", false)};
  auto prepared = take(prepare_run(o.image, unpack, *parse_gpu_mode(o.gpu), staging.path(), o.driver_root, o.no_cache ? nullptr : &cache));
  end_progress_line();
  for (auto& n : prepared.notes)
    if (o.verbose || n.rfind("forward compat:", 0) == 0 || n.rfind("warning:", 0) == 0) std::cerr << "cuslim: " << terminal_safe(n) << "\n";  // which libcuda, always said
  // An image pruned (--gpu-arch) for other GPUs is refused before it fails obscurely inside.
  if (!o.no_arch_check && prepared.driver && !prepared.driver->libcuda.empty() && prepared.image.config.labels.count(kGpuArchLabel)) {
    auto gpus = gpu_compute_capabilities(prepared.driver->libcuda);
    if (!gpus.ok()) std::cerr << "cuslim: warning: cannot check the image's --gpu-arch against this host: " << gpus.error().message() << "\n";
    else take(check_pruned_for(prepared.image.config.labels, *gpus, o.image));
  }
  auto spec = prepared.spec;
  if (!o.cmd.empty()) spec.argv = o.cmd;
  int rc = take(run_sandbox(spec));
  return static_cast<Exit>(rc);
}

}  // namespace

void add_run(CLI::App& app, RunState& state) {
  auto o = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand("run", "Run an image or bundle in a sandbox with the host GPU driver injected (no Docker)");
  cmd->add_option("image", o->image, "OCI layout dir (DIR[:TAG|:@N]), oci-archive (FILE[:TAG|:@N]), docker-archive (FILE[:REF|:@N]), docker://HOST/REPO[:TAG|@DIGEST], rootfs tarball or rootfs dir (@N: the N-th image, from 0)")->required();
  cmd->add_option("--gpu", o->gpu, "auto: inject the host driver when there is one; on: fail without one; off: never")
      ->check(CLI::IsMember({"auto", "on", "off"}))->capture_default_str();
  cmd->add_option("--tag", o->tag, "Pick the manifest with this ref name in an OCI index (default: the only one; IMAGE:TAG works too)");
  cmd->add_flag("-v,--verbose", o->verbose, "Say what was injected");
  cmd->add_option("--driver-root", o->driver_root, "Inject the driver found in this root instead of the host's (e.g. an older driver's files)");
  cmd->add_flag("--no-cache", o->no_cache,
                 "Unpack the image afresh into a temp dir (default: reuse the unpacked copy in the image cache, "
                 "$CUSLIM_CACHE_DIR or ~/.cache/cuslim, limit $CUSLIM_RUN_CACHE_MAX bytes, 20 GB)");
  cmd->add_flag("--no-arch-check", o->no_arch_check, "Run an image pruned (--gpu-arch) for other GPUs anyway");
  cmd->add_option("cmd", o->cmd, "Command to run instead of the image's Entrypoint + Cmd (after --)");
  add_registry_flags(cmd, o->registry, false);
  cmd->footer(
      "Examples:\n"
      "  cuslim run out/smoke-driver\n"
      "  cuslim run app.docker.tar -- /usr/bin/app --selftest\n"
      "  cuslim run --gpu off ./rootfs -- /bin/sh -c 'ls /'\n"
      "  cuslim run --no-cache app.tar.zst               # unpack afresh (the second run of an image reuses its unpacked copy)\n"
      "  cuslim run --driver-root /srv/driver-535 app-oci   # which libcuda: the image's cuda-compat or that driver's\n"
      "An image with a cuda-compat set: run uses it only when the driver's branch is listed in its note and the driver is\n"
      "older (the NVIDIA hook's rule), else the driver's own libcuda, and says which on stderr.\n"
      "Exit: the program's exit code; 127 when the program is not in the image, 126 when it cannot be executed;\n"
      "1 when the sandbox cannot start (--gpu on without a driver, an image pruned for other GPUs than this host's, ...);\n"
      "before the program runs: 2 usage, 3 unreadable or hostile image, 4 a registry failed.");
  cmd->callback([o, &state] { state.exit = run_run(*o); });
}

}  // namespace cuslim::cli
