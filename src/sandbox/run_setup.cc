#include "sandbox/run_setup.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "core/fs.h"
#include "core/path.h"
#include "core/exec_path.h"
#include "profile/profile_set.h"

namespace cuslim {

std::optional<GpuMode> parse_gpu_mode(const std::string& s) {
  if (s == "auto") return GpuMode::auto_;
  if (s == "on") return GpuMode::on;
  if (s == "off") return GpuMode::off;
  return std::nullopt;
}

Result<PreparedRun> prepare_run(const std::string& image, const std::string& tag, GpuMode gpu, const std::string& staging,
                                const std::function<void(uint64_t, uint64_t)>& progress) {
  CUSLIM_CHECK(make_dirs(staging));
  CUSLIM_TRY(auto unpacked, unpack_image(image, staging, UnpackOptions{.tag = tag, .progress = progress}));
  bool overlay = unpacked.kind == ImageKind::rootfs_dir;  // never write into the input
  CUSLIM_TRY(auto p, prepare_unpacked(std::move(unpacked), gpu, staging));
  if (!overlay) p.spec.overlay_upper.clear();
  return p;
}

Result<PreparedRun> prepare_unpacked(UnpackedImage image, GpuMode gpu, const std::string& staging) {
  PreparedRun p;
  CUSLIM_CHECK(make_dirs(staging));
  p.image = std::move(image);
  auto& s = p.spec;
  CUSLIM_TRY(s.rootfs, canonical_path(p.image.rootfs));
  s.overlay_upper = staging + "/overlay";
  s.user_namespace = ::geteuid() != 0;
  s.argv = p.image.config.entrypoint;
  s.argv.insert(s.argv.end(), p.image.config.cmd.begin(), p.image.config.cmd.end());
  s.env = p.image.config.env;
  if (s.env.empty()) s.env.push_back(std::string("PATH=") + kDefaultPath);
  if (!p.image.config.working_dir.empty()) s.cwd = p.image.config.working_dir;
  if (gpu == GpuMode::off) return p;
  CUSLIM_TRY(auto set, ProfileSet::builtin());
  CUSLIM_TRY(auto classifier, Classifier::make(set, "glibc"));
  Root host("/");
  DriverSearch search;
  std::optional<LdCache> cache;
  if (auto c = LdCache::read("/etc/ld.so.cache", "/etc/ld.so.cache"); c.ok()) cache = std::move(*c);
  if (cache) search.ld_cache = &*cache;
  if (const char* llp = std::getenv("LD_LIBRARY_PATH")) search.ld_library_path = path::split_list(llp);
  CUSLIM_TRY(p.driver, find_host_driver(host, classifier, search));
  if (!p.driver) {
    if (gpu == GpuMode::on) return Error(Exit::check_failed, "--gpu on: no NVIDIA driver on this host (cuslim driver says where it looked)");
    p.notes.push_back("no NVIDIA driver on this host: running without GPU injection");
    return p;
  }
  CUSLIM_TRY(p.injection, plan_injection(*p.driver, s.rootfs, staging));
  s.binds = p.injection->binds;
  s.symlinks = p.injection->symlinks;
  s.devices = p.injection->devices;
  p.notes.push_back("injected driver " + p.driver->version_text + ": " + std::to_string(p.injection->libraries.size()) + " libraries into " +
                    p.injection->libdir + ", " + std::to_string(s.devices.size()) + " device nodes");
  return p;
}

}  // namespace cuslim
