#include "sandbox/driver_injection.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "core/atomic_file.h"
#include "core/path.h"
#include "elf/elf_file.h"
#include "loader/ld_cache.h"
#include "loader/ld_cache_writer.h"
#include "loader/loader_abi.h"

namespace cuslim {

namespace {

// The compat set's sonames, answered by its files (as the hook's 00-compat entry makes them).
void prefer_compat(const CompatSet& set, const std::string& rootfs, int32_t flags, std::vector<CacheLib>& cache, std::set<std::string>& sonames) {
  Root image(rootfs);
  for (auto& f : set.files) {
    auto st = image.stat(f);
    if (!st || !S_ISREG(st->st_mode)) continue;
    auto elf = ElfFile::read(image.host_path(f), f, ElfFile::Parts::loader);
    if (!elf.ok() || !elf->soname || !sonames.insert(*elf->soname).second) continue;
    std::string by_soname = path::join(set.real_dir, *elf->soname);
    cache.push_back({*elf->soname, image.stat(by_soname) ? by_soname : f, flags});
  }
}

}  // namespace

Result<DriverInjection> plan_injection(const HostDriver& driver, const Root& driver_root, const std::string& rootfs, const std::string& staging,
                                       const CompatSet* compat) {
  DriverInjection inj;
  const LoaderAbi* abi = native_loader_abi(Root(rootfs));
  if (!abi) return Error(Exit::check_failed, "no loader ABI known for this machine: cannot inject the host driver");
  inj.libdir = abi->package_lib_dir;
  std::vector<CacheLib> cache;
  std::set<std::string> driver_sonames;
  if (compat) prefer_compat(*compat, rootfs, abi->cache_flags.front(), cache, driver_sonames);
  for (auto& lib : driver.libraries) {
    if (lib.capability != "compute" && lib.capability != "utility") continue;
    auto real = driver_root.realpath(lib.path);
    if (!real) continue;
    std::string name = path::basename(*real), from = driver_root.host_path(*real);
    inj.binds.push_back({from, path::join(inj.libdir, name), true});
    inj.libraries.push_back(from);
    auto elf = ElfFile::read(from, *real, ElfFile::Parts::loader);
    std::string soname = elf.ok() && elf->soname ? *elf->soname : name;
    if (soname != name) inj.symlinks.push_back({path::join(inj.libdir, soname), name});
    if (soname == "libcuda.so.1") inj.symlinks.push_back({path::join(inj.libdir, "libcuda.so"), soname});  // as libnvidia-container does
    if (driver_sonames.insert(soname).second) cache.push_back({soname, path::join(inj.libdir, soname), abi->cache_flags.front()});
  }
  // The image's own entries stay; a driver soname the image also lists is the host's now.
  if (auto old = LdCache::read(rootfs + "/etc/ld.so.cache", "/etc/ld.so.cache"); old.ok())
    for (auto& e : old->entries())
      if (!driver_sonames.count(std::string(e.key)) && e.hwcaps_subdir.empty()) cache.push_back({std::string(e.key), std::string(e.value), e.flags, e.hwcap});
  std::string cache_file = staging + "/ld.so.cache";
  CUSLIM_CHECK(write_file_atomic(cache_file, write_ld_cache(cache), Durability::rename_only));
  inj.binds.push_back({cache_file, "/etc/ld.so.cache", true});
  inj.devices = driver.devices;
  return inj;
}

}  // namespace cuslim
