// What the NVIDIA container stack would inject, as sandbox binds: the host driver's compute and
// utility libraries read-only into the image's lib dir (/usr/lib/x86_64-linux-gnu when it has
// /etc/debian_version, else /usr/lib64) with their soname links, the device nodes, and an
// ld.so.cache that knows both the image's libraries and the driver's. When the NVIDIA hook's rule
// picks the image's cuda-compat set (forward_compat.h), the cache answers the set's sonames
// (libcuda.so.1, libnvidia-ptxjitcompiler.so.1, ...) with the set's files instead of the host's.
#pragma once

#include <string>
#include <vector>

#include "profile/forward_compat.h"
#include "sandbox/host_driver.h"
#include "sandbox/sandbox.h"

namespace cuslim {

struct DriverInjection {
  std::string libdir;
  std::vector<BindMount> binds;
  std::vector<Symlink> symlinks;
  std::vector<std::string> devices;
  std::vector<std::string> libraries;  // host paths injected
};

// `driver_root`: where the driver was found (the host, or --driver-root); `rootfs`: the image's
// root (host dir); `staging`: where the merged ld.so.cache is written; `compat`: the image's set
// to prefer (nullptr: the host driver answers every driver soname).
Result<DriverInjection> plan_injection(const HostDriver& driver, const Root& driver_root, const std::string& rootfs, const std::string& staging,
                                       const CompatSet* compat = nullptr);

}  // namespace cuslim
