// Preparing an image to run: unpack it into a staging dir and build the sandbox spec, with the
// host driver injected per the GPU mode (run, verify --gpu and slim --probe share it).
#pragma once

#include <functional>

#include <optional>
#include <string>
#include <vector>

#include "core/staging.h"
#include "image/image_reader.h"
#include "sandbox/driver_injection.h"
#include "sandbox/image_cache.h"
#include "sandbox/sandbox.h"

namespace cuslim {

enum class GpuMode {
  auto_,  // inject the host driver when there is one
  on,     // fail without one
  off,    // never
};
std::optional<GpuMode> parse_gpu_mode(const std::string& s);  // "auto" | "on" | "off"

struct PreparedRun {
  UnpackedImage image;
  SandboxSpec spec;
  std::optional<HostDriver> driver;
  std::optional<DriverInjection> injection;
  std::optional<CompatChoice> forward_compat;  // the image carries a cuda-compat set: the hook's choice
  std::vector<std::string> notes;
  UniqueFd cache_lock;  // the image cache entry in use (shared lock), when the image came from it
};

// `unpack`: the manifest's tag, the progress of reading the image (and of pulling a docker://
// one), the registry settings. `driver_root`: where to look for the driver ("/" the host; `run
// --driver-root DIR` another root, e.g. a copy of an older driver's files: its libraries are
// injected from there). `cache`: take the unpacked image from (or put it into) this image cache,
// used read-only through an overlay; null: unpack into `staging`.
Result<PreparedRun> prepare_run(const std::string& image, const UnpackOptions& unpack, GpuMode gpu, const std::string& staging,
                                const std::string& driver_root = "/", const ImageCacheOptions* cache = nullptr);

// The same for an image already unpacked; its rootfs is used through an overlay (left as it is).
Result<PreparedRun> prepare_unpacked(UnpackedImage image, GpuMode gpu, const std::string& staging, const std::string& driver_root = "/");

}  // namespace cuslim
