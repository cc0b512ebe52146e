// What the NVIDIA container stack would inject, as sandbox binds: the host driver's compute and
// utility libraries read-only into the image's lib dir (/usr/lib/x86_64-linux-gnu when it has
// /etc/debian_version, else /usr/lib64) with their soname links, the device nodes, and an
// ld.so.cache that knows both the image's libraries and the driver's.
#pragma once

#include <string>
#include <vector>

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

// `rootfs`: the image's root (host dir); `staging`: where the merged ld.so.cache is written.
Result<DriverInjection> plan_injection(const HostDriver& driver, const std::string& rootfs, const std::string& staging);

}  // namespace cuslim
