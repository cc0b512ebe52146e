// slim_image: an existing image in, the smallest image that still runs its program out --
// unpack, analyse inside the image, select (entrypoint, targets, keep globs, keep-sets, traces,
// a probe run), then bundle with the image's own config.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "bundle/bundle.h"
#include "bundle/slim.h"

namespace cuslim {

struct SlimRequest {
  std::string image;                 // OCI layout, oci-archive, docker-archive, rootfs tarball or dir
  std::string from_tag;              // input manifest ref name
  std::string platform = "linux/amd64";
  std::vector<std::string> targets;  // extra programs whose closures are kept
  std::vector<std::string> keep;     // extra globs kept
  std::vector<std::string> traces;   // trace files of the image's program
  bool keep_set = true;              // the profiles' keep-sets (certificates, passwd, ...)
  bool keep_setuid = false;
  bool probe = false;                // run the program under the audit library in the sandbox
  std::vector<std::string> probe_cmd;
  // Output: out, format, compression, tag (the rest is filled by slim_image).
  std::string out, tag;
  BundleFormat format = BundleFormat::oci;
  Compression compression = Compression::gzip;
  LayerSplit layers = LayerSplit::auto_split;
  bool force = false;  // a non-empty directory OUT may be replaced whole
  std::vector<std::pair<std::string, std::string>> side_outputs;  // {flag, file}: --report, checked with OUT
  PythonKeep python_keep = PythonKeep::package;
  bool jit = true;  // JIT frameworks kept bring their run-time toolchains
  PruneRequest prune;  // --gpu-arch
  bool report_contents = false;  // reports: kept and dropped groups in bundle.groups
  std::function<void(uint64_t done, uint64_t total)> unpack_progress, pack_progress;  // bytes read / packed
  // docker:// input or output: how to reach the registry, bytes pulled / pushed.
  RegistryOptions registry;
  std::function<void(uint64_t done, uint64_t total)> pull_progress, push_progress;
};

struct SlimResult {
  std::map<ObjectClass, ClassCount> before;
  ClassCount dropped;  // the input's regular files that are not in the output as files
  SlimSelection selection;
  BundleResult bundle;
  std::vector<std::string> notes, warnings;  // for the user, in the order they arose
};

Result<SlimResult> slim_image(const SlimRequest& req);

}  // namespace cuslim
