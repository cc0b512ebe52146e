// bundle: resolve, classify, plan, write -- the smallest image that runs the targets.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "bundle/forward_compat_plan.h"
#include "bundle/gpu_prune.h"
#include "bundle/layer_split.h"
#include "bundle/plan.h"
#include "core/root.h"
#include "image/image_reader.h"
#include "image/oci_image.h"
#include "profile/classifier.h"
#include "python/python_keep.h"
#include "report/content_groups.h"
#include "registry/push.h"

namespace cuslim {

enum class BundleFormat { dir, tar, tar_gz, tar_zst, oci, oci_archive, docker_archive };
inline constexpr BundleFormat kBundleFormats[] = {BundleFormat::dir, BundleFormat::tar, BundleFormat::tar_gz, BundleFormat::tar_zst,
                                                  BundleFormat::oci, BundleFormat::oci_archive, BundleFormat::docker_archive};
std::optional<BundleFormat> parse_format(const std::string& s);
BundleFormat format_from_path(const std::string& out);  // by extension; default oci
// Whether OUT itself says its format: a transport (oci:, docker://, ...) or an extension
// format_from_path knows (.docker.tar, .tar.zst, ...). A build's -o that does overrides the spec's format.
bool output_names_format(const std::string& out);
std::string format_name(BundleFormat f);
bool holds_tags(BundleFormat f);  // an image output (oci, oci-archive, docker-archive); a rootfs tree or tar has none
std::vector<std::string> format_names();  // every format, in kBundleFormats order
// --compression as given ("" = not given: gzip) against the output's format: a rootfs output is
// compressed as its format says (tar.gz, tar.zst), so a --compression that disagrees (or any for
// tar and dir) is a usage error rather than ignored. Sets `out`.
Status settle_compression(BundleFormat format, const std::string& given, Compression& out);

// OUT spelled with a transport, as skopeo names them: "oci:DIR[:TAG]", "oci-archive:FILE[:TAG]",
// "docker-archive:FILE[:REF]", "dir:PATH", "docker://HOST[:PORT]/REPO[:TAG|@DIGEST]" (an OCI
// layout written to a temp dir, then pushed). Sets the path, the format and the tag it implies;
// `format_given` (--format) must agree with the transport. A bare OUT is left as it is.
Status settle_output_ref(std::string& out, BundleFormat& format, std::string& tag, bool format_given);

struct BundleRequest {
  std::vector<std::string> targets, includes;  // in-root paths
  std::set<std::string> kept_paths;            // slim: what a keep glob or keep-set matched (the report says so)
  std::vector<std::string> traced;             // objects a trace saw mapped (how: trace)
  std::vector<std::string> traced_files;       // files a trace saw opened (cuslim trace --files)
  std::set<std::string> optional_jit_left_out; // --no-jit: normalized names of JIT distributions taken out of the trace (python_plan.h)
  bool trace_without_files = false;            // traces given, none made with --files (no file events)
  std::vector<std::string> traced_programs;    // programs a trace saw run, as run (a #! script's `env python3` finds the one it ran)
  std::vector<std::string> traced_env;         // K=V the traced runs imply (run_environment.h)
  std::vector<std::string> trace_warnings;     // what reading the traces found wrong (a trace of files the image does not hold)
  std::vector<std::string> traced_path_dirs;   // dirs of the traced runs' PATH that executed programs came from, in PATH order
  std::string traced_cwd;                      // the first trace's working directory (WorkingDir when the image holds it)
  std::vector<std::string> traced_env_dropped; // slim: K=V of the traces left out of the Env (a locale the image has no data for), warned
  PythonKeep python_keep = PythonKeep::package;  // Python distributions the traced files used: whole, or file by file
  bool jit = true;  // a JIT framework that ships brings what it runs at run time (jit profiles)
  PruneRequest prune;  // --gpu-arch: GPU code for other architectures zeroed in the image's copies
  ForwardCompatRequest forward_compat;  // --forward-compat with --driver-version / --min-driver
  std::string out;
  BundleFormat format = BundleFormat::oci;
  Compression compression = Compression::gzip;
  LayerSplit layers = LayerSplit::auto_split;  // --layers: image outputs split (layer_split.h), or one layer (single)
  std::string tag;
  std::string base = "scratch";
  std::vector<std::string> env;  // K=V
  std::optional<std::string> entrypoint;
  std::string entrypoint_from = "--entrypoint";  // how messages name where it was given ("app.yaml: entrypoint:")
  int64_t mtime = 0;
  bool with_driver_needs = true;  // FROM scratch: ship what the injected driver loads from the image
  // slim: the input image's config is kept (Env, Entrypoint, Cmd, WorkingDir, User, Labels) and
  // `history` describes the slimming; no generated passwd/ld.so.conf when the image has them.
  std::optional<ImageConfig> keep_config;
  bool generate_loader_files = true;
  bool keep_setuid = false;
  // slim: files, directories and links keep the input's modes and owners (plan.h SourceAttributes);
  // a bundle from a host normalizes them.
  bool keep_attributes = false;
  // --base IMAGE: our layer is appended to it, what it already holds is left out, its config is
  // merged (its Env and Entrypoint kept unless --env / --entrypoint override them).
  const UnpackedImage* base_image = nullptr;
  // slim: the input image; with --layers auto its bottom layers that are kept whole are reused as
  // they are (same digests), the rest of the plan packed above them (layer_reuse.h).
  const UnpackedImage* input_image = nullptr;
  std::function<void(uint64_t done, uint64_t total)> progress;
  // OUT is docker://: how to reach the registry, and the bytes pushed of the image's total.
  RegistryOptions registry;
  std::function<void(uint64_t done, uint64_t total)> push_progress;
  // OUT's safety: host paths read besides the in-root targets and includes (trace files, --root,
  // the input image), never overwritten; `force` lets a non-empty directory be replaced whole.
  std::vector<std::string> inputs;
  std::vector<std::pair<std::string, std::string>> side_outputs;  // {flag, file}: --report, checked with OUT
  bool force = false;
  // Reports (--report): group what ships and say why each group ships (BundleResult::groups).
  bool report_contents = false;
};

// What the JIT step added for one framework present in the bundle.
struct JitAdded {
  std::string framework, consequence;
  std::vector<std::string> found;    // "ptxas: /path"
  std::vector<std::string> missing;  // needs nothing in the source root meets
  uint64_t files = 0, bytes = 0;     // what it added to the plan
};

struct BundleResult {
  BundleFormat format = BundleFormat::oci;  // what was written
  Plan plan;
  uint64_t files = 0, bytes = 0;
  std::map<ObjectClass, uint64_t> bytes_by_class;
  std::vector<std::pair<std::string, uint64_t>> largest;  // ten largest files
  uint64_t left_to_base = 0;                              // files the base image already holds
  std::vector<DistributionReport> python;  // the Python distributions the traced run's site dirs hold
  std::vector<JitAdded> jit;               // JIT toolchains of the frameworks that ship
  PruneReport prune;                       // what --gpu-arch removed, per file
  std::vector<ForwardCompatShipped> forward_compat;  // the cuda-compat sets the image carries
  std::optional<WrittenImage> image;
  std::optional<LayerBlob> layer;  // the (top) layer cuslim wrote
  std::vector<std::pair<std::string, LayerBlob>> layers;  // every layer cuslim wrote, bottom first, by group name
  std::vector<LayerBlob> base_layers;  // --base IMAGE: its layers, below ours
  std::vector<LayerBlob> reused_layers;  // slim: input layers kept whole, below ours (same digests)
  std::vector<std::optional<std::string>> reused_groups;  // their groups, where the input's history names them (cuslim wrote them)
  std::optional<PushResult> pushed;  // OUT was docker://...: what the push sent
  ImageConfig config;
  // With report_contents: what ships, by class and group, with the reason (slim adds the dropped groups).
  std::vector<ContentGroup> groups;
};

// Resolves and classifies the targets, ELF includes and traced objects through `analysis`,
// plans and writes OUT atomically. With base scratch, the driver's own needs are resolved as the
// programs' dlopen of libcuda.so.1 would: they ship even when no program names them.
Result<BundleResult> bundle(const Analysis& analysis, const BundleRequest& req);

// Adds what trace files (cuslim trace) saw: mapped objects (minus the programs), files worth
// packing, the environment of the run (locale defaulting to C.UTF-8) and, for a Python
// interpreter, its whole `encodings` package (what start-up needs in any locale). On a non-host
// root only objects present in it count.
Status add_trace_files(BundleRequest& req, const std::vector<std::string>& trace_files, const Root& root);

// SOURCE_DATE_EPOCH, validated: a non-negative integer, else an error; unset: 0.
Result<int64_t> source_date_epoch();

}  // namespace cuslim
