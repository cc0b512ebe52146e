#include "bundle/bundle_job.h"

#include <sys/stat.h>

#include <optional>

#include "core/fs.h"
#include "core/output_guard.h"
#include "core/path.h"
#include "core/staging.h"
#include "core/yaml_schema.h"
#include "prune/gpu_arch.h"
#include "registry/registry_ref.h"

namespace cuslim {

namespace {

// Relative host paths from the working directory; paths in a foreign root are in-root paths.
Status absolutize(std::vector<std::string>& paths, const AnalysisOptions& ao) {
  bool host = ao.root.empty() || ao.root == "/";
  for (auto& p : paths) {
    if (host && !p.empty() && p[0] != '/') {
      CUSLIM_TRY(p, absolute_path(p));
    }
    // "../venv/bin/python" -> "/work/venv/bin/python" (an Entrypoint, an image path): its
    // directory resolved as the kernel would walk "..", the file's own name kept (a venv's
    // python is a link that must stay one).
    if (host && (p.find("/../") != std::string::npos || p.find("/./") != std::string::npos))
      if (auto dir = canonical_path(path::dirname(p)); dir.ok()) p = path::join(*dir, path::basename(p));
  }
  return ok_status();
}

Status settle_format(BundleJob& job) {
  auto& r = job.request;
  if (r.out.empty()) return Error(Exit::usage, "-o OUT is required");
  if (job.format.empty()) r.format = format_from_path(r.out);
  else if (auto f = parse_format(job.format)) r.format = *f;
  else {
    std::string names;
    for (auto& n : format_names()) names += (names.empty() ? "" : ", ") + n;
    return Error(Exit::usage, "--format '" + job.format + "': not a format (allowed: " + names + ")");
  }
  CUSLIM_CHECK(settle_output_ref(r.out, r.format, r.tag, !job.format.empty()));
  if (auto l = parse_layer_split(job.layers)) r.layers = *l;
  else return Error(Exit::usage, "--layers '" + job.layers + "': not a layer split (allowed: auto, single)");
  CUSLIM_CHECK(settle_compression(r.format, job.compression, r.compression));
  if (!job.gpu_arch.empty()) {
    CUSLIM_TRY(r.prune.archs, parse_gpu_archs(job.gpu_arch));
  }
  for (auto& kv : r.env)
    if (!is_env_entry(kv)) return Error(Exit::usage, "--env '" + kv + "': expected K=V (K: a letter or _, then letters, digits or _)");
  return ok_status();
}

// --forward-compat and the driver it is judged against: the older of --driver-version and --min-driver.
Status settle_forward_compat(BundleJob& job) {
  auto& fc = job.request.forward_compat;
  auto mode = parse_forward_compat_mode(job.forward_compat);
  if (!mode) return Error(Exit::usage, "--forward-compat '" + job.forward_compat + "': not a mode (allowed: auto, always, never)");
  fc.mode = *mode;
  for (auto [flag, text] : {std::pair<std::string, const std::string*>{"--driver-version", &job.driver_version}, {"--min-driver", &job.min_driver}}) {
    if (text->empty()) continue;
    auto v = Version::parse_driver(*text);
    if (!v || v->major < 100) return Error(Exit::usage, flag + " '" + *text + "': not a driver version like 535.230.02");
    if (!fc.driver || *v < *fc.driver) fc.driver = v, fc.driver_text = "driver " + *text + " (" + flag + ")";
  }
  return ok_status();
}

// Whether `inside` is a symlink that leads nowhere (include keeps it as the link it is).
bool dangling_link(const Root& root, const std::string& inside) {
  auto parent = root.realpath(path::dirname(inside));
  struct stat st;
  return parent.ok() && ::lstat(root.host_path(path::join(*parent, path::basename(inside))).c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

// A spec's paths and its out/format, checked before any work so that an error names the spec
// and its key (the same checks later would name the flags bundle has for them).
Status check_spec_inputs(const ImageSpec& spec, const std::string& where, bool out_from_spec) {
  struct stat st;
  if (::stat(spec.root.c_str(), &st) != 0) return Error::from_errno(spec.root, errno).wrap(where + ": root");
  if (!S_ISDIR(st.st_mode)) return bad_input(where + ": root: " + spec.root + ": not a directory");
  Root root(spec.root);
  for (auto [key, list] : {std::pair{"targets", &spec.targets}, {"include", &spec.include}})
    for (auto p : *list) {
      if (p.empty()) return bad_input(where + ": " + key + ": an empty path");
      if (p[0] != '/' && root.is_host()) {  // from the working directory, as bundle takes it
        CUSLIM_TRY(p, absolute_path(p));
      }
      if (p[0] != '/') continue;  // a foreign root's relative path: said by bundle
      auto st = root.stat(p);
      if (!st && !dangling_link(root, p)) return bad_input(where + ": " + key + ": " + p + ": not found" + (root.is_host() ? "" : " in " + spec.root));
      if (st && S_ISDIR(st->st_mode) && key == std::string("targets"))
        return bad_input(where + ": targets: " + p + ": a directory, not a program (the spec's include: ships a directory whole)");
    }
  for (auto& t : spec.trace) {
    if (::stat(t.c_str(), &st) != 0 || ::access(t.c_str(), R_OK) != 0) return Error::from_errno(t, errno).wrap(where + ": trace");
    if (S_ISDIR(st.st_mode)) return bad_input(where + ": trace: " + t + ": a directory, not a trace file");
  }
  // The spec's out: (with its format:) is the spec's error at the key's FILE:LINE:COL, exit 3, in
  // the spec's words (it has no --format to leave out).
  if (out_from_spec && (spec.format.empty() || parse_format(spec.format))) {
    std::string out = spec.out, tag;
    BundleFormat format = spec.format.empty() ? format_from_path(out) : *parse_format(spec.format);
    if (auto st = settle_output_ref(out, format, tag, !spec.format.empty()); !st.ok()) {
      std::string m = st.error().message();
      if (auto at = m.find("--format says"); at != std::string::npos) m.replace(at, 13, "its format: says");
      if (auto at = m.find("leave --format out"); at != std::string::npos) m.replace(at, 18, "leave format: out");
      return bad_input(spec.where("out") + ": " + m);
    }
  }
  return ok_status();
}

// What the spec gives that the output cannot take -- its tag (or name, the default tag) where a
// docker-archive needs a docker reference, a compression a rootfs output does not have -- is the
// spec's error at the key's FILE:LINE:COL (exit 3), not a flag's (exit 2: the user gave none).
Status check_spec_settings(const ImageSpec& spec, const BundleJob& job) {
  std::string out = job.request.out, tag = job.request.tag, no_tag;
  auto format = job.format.empty() ? format_from_path(out) : parse_format(job.format).value_or(BundleFormat::oci);
  std::string out_plain = out;
  auto plain_format = format;
  if (!settle_output_ref(out_plain, plain_format, no_tag, !job.format.empty()).ok()) return ok_status();  // OUT's own error: said later
  if (!tag.empty())
    if (auto st = settle_output_ref(out, format, tag, !job.format.empty()); !st.ok()) {
      std::string m = st.error().message();
      if (m.rfind(job.request.out + ": ", 0) == 0) m.erase(0, job.request.out.size() + 2);
      return bad_input(spec.where(spec.tag_given ? "tag" : "name") + ": " + m + " (the tag of " + job.request.out + ")");
    }
  Compression c;
  if (!job.compression.empty())
    if (auto st = settle_compression(plain_format, job.compression, c); !st.ok())
      return bad_input(spec.where("compression") + ": '" + job.compression + "': a " + format_name(plain_format) + " output (" + job.request.out +
                       ") is compressed as its format says; compression: sets the layers of image outputs (oci, oci-archive, docker-archive, docker://)");
  return ok_status();
}

}  // namespace

Result<BundleJob> job_from_spec(const ImageSpec& spec, const std::string& out) {
  const std::string where = spec.file.empty() ? "image spec " + spec.name : spec.file;  // how errors name the spec
  BundleJob job;
  job.analysis.root = spec.root;
  job.analysis.base = spec.base;
  job.request.targets = spec.targets;
  job.request.includes = spec.include;
  job.request.env = spec.env;
  job.request.out = out.empty() ? spec.out : out;
  if (!spec.file.empty()) job.request.inputs.push_back(spec.file);  // -o never over the spec itself
  job.request.entrypoint = spec.entrypoint;
  job.request.entrypoint_from = where + ": entrypoint:";
  job.traces = spec.trace;
  job.request.python_keep = parse_python_keep(spec.python_keep).value_or(PythonKeep::package);
  job.request.jit = spec.jit;
  // -o overrides the spec's out, and its format too when it names one (x.docker.tar, oci:DIR).
  job.format = !out.empty() && output_names_format(out) ? "" : spec.format;
  job.compression = spec.compression;
  // The spec's tag, or its name where it writes none -- unless OUT names a tag (docker://R/app:1,
  // oci:DIR:T), which then wins over the name, or OUT is a rootfs tree or tar, which holds none
  // (a spec's own `tag:` with its own rootfs `out:` is refused; with -o a rootfs, -o chose).
  job.request.tag = spec.tag;
  std::string o = job.request.out, out_tag;
  auto f = job.format.empty() ? format_from_path(o) : parse_format(job.format).value_or(BundleFormat::oci);
  bool settled = settle_output_ref(o, f, out_tag, !job.format.empty()).ok();
  if (!spec.tag_given && (!settled || !out_tag.empty() || !holds_tags(f))) job.request.tag.clear();
  if (spec.tag_given && !out.empty() && settled && !holds_tags(f)) job.request.tag.clear();
  job.layers = spec.layers;
  job.gpu_arch = spec.gpu_arch;
  job.request.prune.nvidia = spec.prune_nvidia;
  job.forward_compat = spec.forward_compat;
  job.min_driver = spec.min_driver;
  if (spec.targets.empty() && spec.include.empty())
    return bad_input(where + ": targets and include are both empty: nothing to pack");
  if (job.request.out.empty()) return bad_input(where + ": out: required (where to write the image; or -o OUT)");
  CUSLIM_CHECK(check_spec_inputs(spec, where, out.empty()));
  CUSLIM_CHECK(check_spec_settings(spec, job));
  return job;
}

Result<BundleResult> bundle_job(BundleJob job) {
  CUSLIM_CHECK(settle_format(job));
  CUSLIM_CHECK(settle_forward_compat(job));
  auto& req = job.request;
  if (!is_registry_ref(req.out)) CUSLIM_CHECK(check_output_place("-o", req.out));  // before any work
  // --base: a profile name, or an existing image our layer is appended to.
  std::string base_path;
  if (names_image(job.analysis.base)) {
    base_path = job.analysis.base;
    job.analysis.base = "scratch";
  }
  req.base = base_path.empty() ? job.analysis.base : base_path;
  CUSLIM_TRY(auto analysis, Analysis::make(job.analysis));
  CUSLIM_CHECK(absolutize(req.targets, job.analysis));
  CUSLIM_CHECK(absolutize(req.includes, job.analysis));
  CUSLIM_CHECK(add_trace_files(req, job.traces, Root("/")));
  req.inputs.insert(req.inputs.end(), job.traces.begin(), job.traces.end());
  req.inputs.insert(req.inputs.end(), job.analysis.profile_files.begin(), job.analysis.profile_files.end());  // --profile FILE
  if (!base_path.empty()) req.inputs.push_back(parse_image_ref(base_path).path);
  CUSLIM_TRY(req.mtime, source_date_epoch());
  std::optional<Staging> base_staging;
  std::optional<UnpackedImage> base_image;
  if (!base_path.empty()) {
    CUSLIM_TRY(auto s, Staging::make());
    base_staging.emplace(std::move(s));
    UnpackOptions uo{.registry = req.registry, .pull_progress = job.pull_progress};
    CUSLIM_TRY(base_image, unpack_image(base_path, base_staging->path(), uo));
    req.base_image = &*base_image;
  }
  // The output's directory exists (a build spec may name out/x/y).
  if (!is_registry_ref(req.out)) {
    CUSLIM_TRY(auto out_abs, absolute_path(req.out));
    CUSLIM_CHECK(make_dirs(path::dirname(out_abs)));
  }
  return bundle(analysis, req);
}

}  // namespace cuslim
