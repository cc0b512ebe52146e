#include "sandbox/driver_injection.h"

#include <unistd.h>

#include <fstream>
#include <set>

#include "core/path.h"
#include "elf/elf_file.h"
#include "loader/ld_cache.h"
#include "loader/ld_cache_writer.h"

namespace cuslim {

Result<DriverInjection> plan_injection(const HostDriver& driver, const std::string& rootfs, const std::string& staging) {
  DriverInjection inj;
  inj.libdir = ::access((rootfs + "/etc/debian_version").c_str(), F_OK) == 0 ? "/usr/lib/x86_64-linux-gnu" : "/usr/lib64";
  Root host("/");
  std::vector<CacheLib> cache;
  std::set<std::string> driver_sonames;
  for (auto& lib : driver.libraries) {
    if (lib.capability != "compute" && lib.capability != "utility") continue;
    auto real = host.realpath(lib.path);
    if (!real) continue;
    std::string name = path::basename(*real);
    inj.binds.push_back({*real, path::join(inj.libdir, name), true});
    inj.libraries.push_back(*real);
    auto elf = ElfFile::read(*real, *real, ElfFile::Parts::loader);
    std::string soname = elf.ok() && elf->soname ? *elf->soname : name;
    if (soname != name) inj.symlinks.push_back({path::join(inj.libdir, soname), name});
    if (soname == "libcuda.so.1") inj.symlinks.push_back({path::join(inj.libdir, "libcuda.so"), soname});  // as libnvidia-container does
    cache.push_back({soname, path::join(inj.libdir, soname), 0x0303});
    driver_sonames.insert(soname);
  }
  // The image's own entries stay; a driver soname the image also lists is the host's now.
  if (auto old = LdCache::read(rootfs + "/etc/ld.so.cache", "/etc/ld.so.cache"); old.ok())
    for (auto& e : old->entries())
      if (!driver_sonames.count(e.key) && e.hwcaps_subdir.empty()) cache.push_back({e.key, e.value, e.flags});
  std::string cache_file = staging + "/ld.so.cache";
  std::ofstream(cache_file, std::ios::binary) << write_ld_cache(cache);
  inj.binds.push_back({cache_file, "/etc/ld.so.cache", true});
  inj.devices = driver.devices;
  return inj;
}

}  // namespace cuslim
