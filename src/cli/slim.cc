// cuslim slim IMAGE -o OUT: keep what the image's program needs, daemonless and CUDA-aware.
#include <filesystem>
#include <sstream>
#include <regex>

#include "bundle/bundle_report.h"
#include "bundle/slim_image.h"
#include "cli/bundle_output.h"
#include "core/path.h"
#include "cli/command.h"
#include "cli/registry_flags.h"
#include "core/output_guard.h"
#include "prune/gpu_arch.h"
#include "report/report_file.h"
#include "report/report_json.h"

namespace cuslim::cli {

namespace {

struct SlimOptions {
  std::string layers = "auto";
  std::string image, out, format, compression, tag, from_tag, python_keep = "package", report_file, gpu_arch;
  std::vector<std::string> targets, keep, traces;
  bool quiet = false, json = false, force = false, no_jit = false, no_keep_set = false, keep_setuid = false, probe = false, no_prune_nvidia = false;
  std::vector<std::string> probe_cmd;
  std::string platform = "linux/amd64";
  std::shared_ptr<RegistryOptions> registry = std::make_shared<RegistryOptions>();
};

Exit run_slim(const SlimOptions& o) {
  if (!o.probe && !o.probe_cmd.empty())  // never silently dropped: "slim IMG /bin/app" means --target
    return static_cast<Exit>(report_error(Error(Exit::usage, "slim: '" + o.probe_cmd.front() +
                                                                 "': a command after IMAGE is run only with --probe; --target PROGRAM keeps a program and its closure")));
  SlimRequest req{.image = o.image, .from_tag = o.from_tag, .platform = o.platform, .targets = o.targets, .keep = o.keep,
                  .traces = o.traces, .keep_set = !o.no_keep_set, .keep_setuid = o.keep_setuid, .probe = o.probe,
                  .probe_cmd = o.probe_cmd, .out = o.out, .tag = o.tag, .force = o.force};
  req.format = o.format.empty() ? format_from_path(o.out) : *parse_format(o.format);
  take(settle_output_ref(req.out, req.format, req.tag, !o.format.empty()));
  take(settle_compression(req.format, o.compression, req.compression));
  req.layers = *parse_layer_split(o.layers);
  req.python_keep = *parse_python_keep(o.python_keep);
  req.jit = !o.no_jit;
  if (!o.gpu_arch.empty()) req.prune.archs = take(parse_gpu_archs(o.gpu_arch));
  req.prune.nvidia = !o.no_prune_nvidia;
  req.prune.measure = req.report_contents = !o.report_file.empty();
  if (!o.report_file.empty()) {
    take(check_report_target("--report", o.report_file, req.out));
    req.side_outputs.emplace_back("--report", o.report_file);
  }
  check_digestfile(*o.registry, req.out, req.side_outputs);
  check_registry_creds(*o.registry, {o.image}, req.out);
  take(check_distinct_outputs(req.side_outputs));
  req.unpack_progress = progress_line("unpacking", o.quiet);
  req.registry = *o.registry;
  req.pull_progress = progress_line("pulling", o.quiet);
  req.push_progress = progress_line("pushing", o.quiet);
  req.pack_progress = progress_line("packing", o.quiet, gzip_hint(req.format, req.compression));
  auto s = take(slim_image(req));
  end_progress_line();
  for (auto& n : s.notes) print_warning(n, "note");
  for (auto& w : s.warnings) print_warning(w);
  for (auto& w : s.bundle.prune.warnings) print_warning(w);
  pruning_notice(s.bundle.prune, !o.quiet && !o.json);
  write_reports([&] { return slim_report(s, o.image, o.out); }, o.report_file, o.json, o.out);
  if (!o.quiet && !o.json) {
    std::ostringstream summary;
    slim_summary(s, summary);
    std::cout << terminal_safe(summary.str());
  }
  report_push(s.bundle.pushed, s.bundle.image ? std::optional<Digest>(s.bundle.image->manifest) : std::nullopt, *o.registry, o.json);
  return Exit::ok;
}

}  // namespace

void add_slim(CLI::App& app, RunState& state) {
  auto o = std::make_shared<SlimOptions>();
  auto* cmd = app.add_subcommand("slim", "Slim an existing image to what its program needs (daemonless, CUDA-aware, hostile layers refused)");
  cmd->add_option("image", o->image,
                  "OCI layout dir, oci-archive, docker-archive, rootfs tarball or rootfs dir; or a transport: oci:DIR[:TAG|:@N], "
                  "oci-archive:FILE[:TAG|:@N], docker-archive:FILE[:REF|:@N], dir:PATH, docker://HOST[:PORT]/REPO[:TAG|@DIGEST] "
                  "(@N: the N-th image, from 0)")->required();
  cmd->add_option("-o,--out", o->out, "Output (any bundle format, or a transport as for IMAGE; docker:// pushes)")->required();
  cmd->add_option("--target", o->targets, "Also keep this program and its closure (repeatable)")->allow_extra_args(false);
  cmd->add_option("--keep", o->keep, "Also keep paths matching this glob, and the tree of a directory it matches ('*' crosses '/'; repeatable)")
      ->allow_extra_args(false)
      ->check(CLI::Validator(
          [](std::string& g) -> std::string {
            if (g.empty()) return "an empty glob keeps nothing: give a path or a pattern such as /etc/ssl/*";
            return path::has_unclosed_bracket(g) ? "'" + g + "': a '[' without its ']' (escape it as \\[ to match a bracket)" : "";
          },
          "GLOB"));
  cmd->add_option("--trace", o->traces, "A trace (cuslim trace) of the image's program: what it mapped is kept (repeatable)")->allow_extra_args(false);
  cmd->add_flag("--probe", o->probe, "Run the image's program (or the CMD after --) in the sandbox under trace and keep what it loaded");
  cmd->add_option("cmd", o->probe_cmd, "With --probe: the command to run instead of Entrypoint + Cmd (after --)");
  cmd->add_option("--python-keep", o->python_keep,
                  "With --trace/--probe: Python distributions the run used are kept whole (package) or file by file (file)")
      ->check(CLI::IsMember({"package", "file"}))->capture_default_str();
  cmd->add_flag("--no-jit", o->no_jit, "Do not add the run-time toolchains of JIT frameworks (Triton's C compiler, XLA's ptxas, ...)");
  cmd->add_option("--report", o->report_file,
                  "Also write a report: FILE.html (a self-contained page: treemaps of what was kept and dropped, each group's reason) or "
                  "FILE.json (before/after by class, groups kept and dropped and why, layers, Python distributions, what --gpu-arch removed)")->check(file_name());
  cmd->add_flag("--json", o->json, "Print the summary as JSON on stdout instead of text (the --report FILE.json fields)");
  cmd->add_option("--gpu-arch", o->gpu_arch, "Prune GPU code in the slimmed image to what these compute capabilities run, e.g. 90 or 80,90 (default: no pruning)")
      ->check(gpu_arch_list());
  cmd->add_flag("--no-prune-nvidia", o->no_prune_nvidia, "With --gpu-arch: leave NVIDIA's libraries (cuBLAS, cuDNN, NCCL, ...) whole")
      ->needs("--gpu-arch");
  cmd->add_flag("--no-keep-set", o->no_keep_set, "Do not keep the profiles' keep-sets (certificates, passwd, time zones, ...)");
  cmd->add_option("--format", o->format, "dir | tar | tar.gz | tar.zst | oci | oci-archive | docker-archive (default: from OUT)")
      ->check(CLI::IsMember({"dir", "tar", "tar.gz", "tar.zst", "oci", "oci-archive", "docker-archive"}));
  cmd->add_option("--layers", o->layers,
                  "Image outputs: auto (default): system, one per CUDA family, one per Python distribution of 32 MB or more, "
                  "frameworks, app (input layers kept whole are reused "
                  "as they are); single: one layer")
      ->check(CLI::IsMember({"single", "auto"}))->capture_default_str();
  cmd->add_option("--compression", o->compression, "Layer compression for oci formats: gzip | zstd (default gzip; zstd packs several times faster)")->check(CLI::IsMember({"gzip", "zstd"}));
  cmd->add_option("--tag", o->tag, "Tag of the slimmed image (default: none)");
  cmd->add_option("--from-tag", o->from_tag, "Pick the input manifest with this ref name (default: the only one; IMAGE:TAG works too)");
  cmd->add_flag("-q,--quiet", o->quiet, "No progress and no summary");
  cmd->add_flag("--force", o->force, "Replace OUT even when it is a non-empty directory that is not an OCI layout");
  cmd->add_option("--platform", o->platform, "Platform to pick from a multi-platform image index: OS/ARCH[/VARIANT]")
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            static const std::regex re("[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?");
            return std::regex_match(s, re) ? "" : "'" + s + "' is not OS/ARCH[/VARIANT] (e.g. linux/amd64, linux/arm64/v8)";
          },
          "OS/ARCH"))
      ->capture_default_str();
  cmd->add_flag("--keep-setuid", o->keep_setuid, "Keep setuid/setgid bits and file capabilities of the input's files (stripped by default, with a warning)");
  add_registry_flags(cmd, o->registry, true);
  cmd->footer(
      "Examples:\n"
      "  cuslim slim app-oci -o app-slim --tag app:slim\n"
      "  cuslim slim python.docker.tar -o py-slim --keep '/usr/lib/python3.11/*'\n"
      "  cuslim slim py-oci -o py-slim --probe -- /usr/bin/python3 /app/main.py\n"
      "  cuslim slim torch-oci -o torch-h200 --gpu-arch 90 --trace train.trace\n"
      "  cuslim slim torch-oci -o torch-slim --report torch-slim.html   # what was kept, what was dropped and why\n"
      "Exit: 0 written; 1 a kept program's dependency is missing; 2 usage (including a refused OUT); 3 unreadable or\n"
      "hostile input; 4 a registry failed.");
  cmd->callback([o, &state] { state.exit = run_slim(*o); });
}

}  // namespace cuslim::cli
