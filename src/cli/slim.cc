// cuslim slim IMAGE -o OUT: keep what the image's program needs, daemonless and CUDA-aware.
#include <filesystem>
#include <iomanip>

#include "bundle/bundle.h"
#include "bundle/slim.h"
#include "cli/command.h"
#include "cli/resolve_setup.h"
#include "cli/run_setup.h"
#include "trace/trace_file.h"

namespace cuslim::cli {

namespace {

struct SlimOptions {
  std::string image, out, format, compression = "gzip", tag, from_tag;
  std::vector<std::string> targets, keep, traces;
  bool quiet = false, no_keep_set = false, keep_setuid = false, probe = false;
  std::vector<std::string> probe_cmd;
  std::string platform = "linux/amd64";
};

std::string mb(uint64_t b) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1) << b / 1e6 << " MB";
  return s.str();
}

void report(const std::map<std::string, ClassCount>& before, const BundleResult& r, const SlimSelection& sel, std::ostream& out) {
  uint64_t total = 0, files = 0;
  for (auto& [c, n] : before) total += n.bytes, files += n.files;
  out << "slim: " << mb(total) << " (" << files << " files) -> " << mb(r.bytes) << " (" << r.files << " files)";
  if (r.bytes) out << ", " << std::fixed << std::setprecision(1) << static_cast<double>(total) / static_cast<double>(r.bytes) << "x smaller";
  out << "\n  class     before                 kept\n";
  for (auto& [c, n] : before) {
    auto kept = r.bytes_by_class.count(c) ? r.bytes_by_class.at(c) : 0;
    out << "  " << std::left << std::setw(9) << c << std::setw(22) << (std::to_string(n.files) + " files, " + mb(n.bytes)) << mb(kept) << "\n";
  }
  out << "  largest kept:\n";
  for (auto& [p, size] : r.largest) out << "    " << std::setw(10) << mb(size) << p << "\n";
  for (auto& d : sel.dropped_driver) out << "  dropped driver library: " << d << "\n";
  for (auto& d : r.plan.dropped_driver) out << "  left to the host driver: " << d << "\n";
  if (r.image) out << "  manifest " << r.image->manifest.str() << "\n";
}

// --probe: run the image's program (or CMD) in the sandbox under the audit library, the host
// driver injected when there is one; returns the in-image objects it mapped.
std::vector<std::string> probe(const SlimOptions& o, const UnpackedImage& img, const std::string& staging, const Root& root) {
  auto lib = audit_library();
  if (!lib) fail(Error(Exit::bad_input, "--probe: libcuslim-audit.so not found beside the cuslim binary"));
  std::string trace_dir = staging + "/probe-trace";
  std::filesystem::create_directories(trace_dir);
  std::filesystem::permissions(trace_dir, std::filesystem::perms::all);
  auto prepared = take(prepare_unpacked(img, "auto", staging + "/probe"));
  auto& spec = prepared.spec;
  if (!o.probe_cmd.empty()) spec.argv = o.probe_cmd;
  spec.binds.push_back({*lib, "/.cuslim/libcuslim-audit.so", true});
  spec.binds.push_back({trace_dir, "/.cuslim-trace", false});
  spec.env.push_back("LD_AUDIT=/.cuslim/libcuslim-audit.so");
  spec.env.push_back("CUSLIM_TRACE_FILE=/.cuslim-trace/trace");
  int rc = take(run_sandbox(spec));
  if (rc != 0) std::cerr << "cuslim: warning: --probe: the program exited " << rc << "; keeping what it loaded until then\n";
  auto t = take(read_trace(trace_dir + "/trace"));
  std::vector<std::string> out;
  for (auto& p : t.opened)
    if (!t.programs.count(p) && p.rfind("/.cuslim", 0) != 0 && root.stat(p)) out.push_back(p);
  if (!o.quiet) std::cerr << "cuslim: --probe: the run mapped " << t.opened.size() << " objects, " << out.size() << " of them from the image\n";
  return out;
}

Exit run_slim(const SlimOptions& o) {
  auto staging = take(Staging::make());
  UnpackOptions uo;
  uo.tag = o.from_tag;
  uo.platform = o.platform;
  uo.keep_setuid = o.keep_setuid;
  auto img = take(unpack_image(o.image, staging.path(), uo));
  for (auto& s : img.skipped) std::cerr << "cuslim: note: " << s << "\n";
  ResolveSetup setup;
  setup.root = img.rootfs;
  setup.base = "scratch";
  for (auto& e : img.config.env)
    if (e.rfind("LD_LIBRARY_PATH=", 0) == 0) setup.ld_library_path = e.substr(16);
  auto ctx = take(setup.make());
  auto set = take(setup.profile_set());
  std::vector<std::string> keep = o.keep;
  if (!o.no_keep_set)
    for (auto* name : {"glibc", "pytorch"}) {
      auto p = take(set.resolved(name));
      keep.insert(keep.end(), p.keep.begin(), p.keep.end());
    }
  auto sel = take(select_for_slim(*ctx.root, img, *ctx.classifier, o.targets, keep));
  for (auto& d : sel.dropped_driver) std::cerr << "cuslim: warning: " << d << ": driver library in the input, dropped (it breaks on other hosts)\n";
  auto before = count_by_class(*ctx.root, *ctx.classifier);
  BundleRequest req;
  for (auto& tf : o.traces) {  // objects a traced run of the image mapped (paths inside the image)
    auto t = take(read_trace(tf));
    for (auto& p : t.opened)
      if (!t.programs.count(p) && ctx.root->stat(p)) req.traced.push_back(p);
    for (auto& f : packable_files(t)) req.traced_files.push_back(f);
  }
  if (o.probe)
    for (auto& p : probe(o, img, staging.path(), *ctx.root)) req.traced.push_back(p);
  req.targets = sel.targets;
  req.includes = sel.includes;
  req.out = o.out;
  req.format = o.format.empty() ? format_from_path(o.out) : *parse_format(o.format);
  req.compression = o.compression == "zstd" ? Compression::zstd : Compression::gzip;
  req.tag = o.tag;
  req.base = "scratch";
  req.mtime = take(source_date_epoch());
  req.keep_config = img.config;
  req.keep_setuid = o.keep_setuid;
  req.keep_config->history = "cuslim slim: kept " + std::to_string(sel.targets.size()) + " programs' closures and " +
                             std::to_string(sel.includes.size()) + " kept paths";
  if (before.count("cuda"))
    for (auto& p : ctx.classifier->active())
      if (p.kind == "driver") req.driver_needs.insert(req.driver_needs.end(), p.image_needs.begin(), p.image_needs.end());
  auto r = take(bundle(*ctx.root, [&](const std::vector<std::string>& t, const std::vector<std::string>& d) { return ctx.resolve(t, d); }, req));
  for (auto& w : r.plan.warnings) std::cerr << "cuslim: warning: " << w << "\n";
  if (!o.quiet) report(before, r, sel, std::cout);
  return Exit::ok;
}

}  // namespace

void add_slim(CLI::App& app, RunState& state) {
  auto o = std::make_shared<SlimOptions>();
  auto* cmd = app.add_subcommand("slim", "Slim an existing image to what its program needs (daemonless, CUDA-aware, hostile layers refused)");
  cmd->add_option("image", o->image, "OCI layout dir, oci-archive, docker-archive, rootfs tarball or rootfs dir")->required();
  cmd->add_option("-o,--out", o->out, "Output (any bundle format)")->required();
  cmd->add_option("--target", o->targets, "Also keep this program and its closure (repeatable)")->allow_extra_args(false);
  cmd->add_option("--keep", o->keep, "Also keep paths matching this glob ('*' crosses '/'; repeatable)")->allow_extra_args(false);
  cmd->add_option("--trace", o->traces, "A trace (cuslim trace) of the image's program: what it mapped is kept (repeatable)")->allow_extra_args(false);
  cmd->add_flag("--probe", o->probe, "Run the image's program (or the CMD after --) in the sandbox under trace and keep what it loaded");
  cmd->add_option("cmd", o->probe_cmd, "With --probe: the command to run instead of Entrypoint + Cmd (after --)");
  cmd->add_flag("--no-keep-set", o->no_keep_set, "Do not keep the profiles' keep-sets (certificates, passwd, time zones, ...)");
  cmd->add_option("--format", o->format, "dir | tar | tar.gz | tar.zst | oci | oci-archive | docker-archive (default: from OUT)")
      ->check(CLI::IsMember({"dir", "tar", "tar.gz", "tar.zst", "oci", "oci-archive", "docker-archive"}));
  cmd->add_option("--compression", o->compression, "gzip | zstd")->check(CLI::IsMember({"gzip", "zstd"}))->capture_default_str();
  cmd->add_option("--tag", o->tag, "Tag of the slimmed image");
  cmd->add_option("--from-tag", o->from_tag, "Pick the input manifest with this ref name");
  cmd->add_flag("-q,--quiet", o->quiet, "No report");
  cmd->add_option("--platform", o->platform, "Platform to pick from a multi-platform image index")->capture_default_str();
  cmd->add_flag("--keep-setuid", o->keep_setuid, "Keep setuid/setgid bits of the input's files (stripped by default)");
  cmd->footer(
      "Examples:\n"
      "  cuslim slim app-oci -o app-slim --tag app:slim\n"
      "  cuslim slim python.docker.tar -o py-slim --keep '/usr/lib/python3.11/*'\n"
      "  cuslim slim py-oci -o py-slim --probe -- /usr/bin/python3 /app/main.py\n"
      "Exit: 0 written; 1 a kept program's dependency is missing; 3 unreadable or hostile input.");
  cmd->callback([o, &state] { state.exit = run_slim(*o); });
}

}  // namespace cuslim::cli
