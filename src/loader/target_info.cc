#include "loader/target_info.h"

#include <elf.h>

#include "elf/elf_file.h"
#include "loader/loader_abi.h"

namespace cuslim {

namespace {

Result<ElfFile> read_in_root(const Root& root, const std::string& inside) {
  CUSLIM_TRY(auto real, root.realpath(inside));
  return ElfFile::read(root.host_path(real), inside, ElfFile::Parts::loader);
}

std::string type_name(const TargetInfo& t) {
  if (t.type == ET_EXEC || (t.type == ET_DYN && t.interp)) return "program";
  if (t.type == ET_DYN && t.pie) return "static-pie program";
  if (t.type == ET_DYN) return "shared object";
  return "ELF type " + std::to_string(t.type);
}

}  // namespace

bool root_loads(const Root& root, const std::optional<LdCache>& cache, int machine, int elf_class) {
  const LoaderAbi* abi = find_loader_abi(machine, elf_class, root);
  if (!abi) return false;
  auto is_libc = [&](const std::string& inside) {
    auto real = root.realpath(inside);
    if (!real.ok() || !has_elf_magic(root.host_path(*real))) return false;
    auto elf = ElfFile::read(root.host_path(*real), inside, ElfFile::Parts::loader);
    return elf.ok() && elf->machine == machine && elf->elf_class == elf_class;
  };
  if (cache)
    if (auto hit = cache->lookup("libc.so.6", abi->cache_flags, {}); hit && is_libc(*hit)) return true;
  for (auto& d : abi->default_dirs)
    if (is_libc(d + "/libc.so.6")) return true;
  return false;
}

std::optional<int> root_machine(const Root& root) {
  for (const char* p : {"/bin/sh", "/usr/bin/sh", "/usr/bin/env", "/bin/busybox", "/bin/ls", "/usr/bin/ls"}) {
    auto real = root.realpath(p);
    if (!real.ok() || !has_elf_magic(root.host_path(*real))) continue;
    if (auto elf = ElfFile::read(root.host_path(*real), p, ElfFile::Parts::loader); elf.ok()) return elf->machine;
  }
  return std::nullopt;
}

Result<TargetInfo> target_info(const Root& root, const std::string& target) {
  CUSLIM_TRY(auto elf, read_in_root(root, target));
  auto info = target_info(elf, root_machine(root));
  if (info.root_machine && *info.root_machine != info.machine) {
    std::optional<LdCache> cache;
    if (auto real = root.realpath("/etc/ld.so.cache"); real.ok())
      if (auto c = LdCache::read(root.host_path(*real), "/etc/ld.so.cache"); c.ok()) cache = std::move(*c);
    info.multilib = root_loads(root, cache, info.machine, info.elf_class);
  }
  return info;
}

TargetInfo target_info(const ElfFile& elf, std::optional<int> root_machine) {
  return TargetInfo{.machine = elf.machine, .elf_class = elf.elf_class, .type = elf.type, .interp = elf.interp,
                    .pie = (elf.flags_1 & DF_1_PIE) != 0, .root_machine = root_machine};
}

std::string describe(const TargetInfo& t) {
  std::string s = machine_name(t.machine) + (t.elf_class == ELFCLASS32 ? " ELF32 " : " ELF64 ") + type_name(t);
  if (t.interp) s += ", interpreter " + *t.interp;
  if (t.foreign()) s += "; this root resolves " + machine_name(*t.root_machine) + " (none of its libraries can load here)";
  return s;
}

nlohmann::json to_json(const TargetInfo& t) {
  using nlohmann::json;
  return {{"machine", machine_name(t.machine)},
          {"elf_class", t.elf_class == ELFCLASS32 ? 32 : 64},
          {"type", type_name(t)},
          {"interpreter", t.interp ? json(*t.interp) : json(nullptr)},
          {"root_machine", t.root_machine ? json(machine_name(*t.root_machine)) : json(nullptr)},
          {"foreign", t.foreign()},
          {"summary", describe(t)}};
}

std::string own_search_paths(const Root& root, const std::string& inside) {
  auto elf = read_in_root(root, inside);
  if (!elf.ok()) return "";
  std::string s;
  if (elf->rpath) s += "rpath " + *elf->rpath;
  if (elf->runpath) s += (s.empty() ? "" : "; ") + std::string("runpath ") + *elf->runpath;
  return s;
}

}  // namespace cuslim
