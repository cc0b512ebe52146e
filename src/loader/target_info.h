// What `deps` says about a target before its tree: its machine, ELF class and type, its
// interpreter, and whether the root can load it at all (an AArch64 program against an x86-64
// root finds none of its libraries there). Also an object's own search paths (-vv).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/root.h"
#include "elf/elf_file.h"
#include "loader/ld_cache.h"

namespace cuslim {

struct TargetInfo {
  int machine = 0, elf_class = 0, type = 0;
  std::optional<std::string> interp;
  bool pie = false;  // DF_1_PIE: a program even without an interpreter (static-pie: ldconfig)
  std::optional<int> root_machine;  // the machine of the root's own programs (/bin/sh, ...)
  bool multilib = false;            // another machine the root serves too (libc6-i386 on an x86-64 root)
  bool foreign() const { return root_machine && *root_machine != machine && !multilib; }
};

// Reads the target (an in-root path) and the root's machine.
Result<TargetInfo> target_info(const Root& root, const std::string& target);
// The same for a target already read, with the root's machine already known (root_machine()).
TargetInfo target_info(const ElfFile& elf, std::optional<int> root_machine);

// Whether the root holds a C library for objects of this machine and class, as its loader would
// find it (the ld.so.cache's entries of that ABI, else the ABI's default dirs): a multilib root
// (libc6-i386 on x86-64) loads such objects although its own programs are of another machine.
bool root_loads(const Root& root, const std::optional<LdCache>& cache, int machine, int elf_class);

// The machine of the root's own programs: the first of /bin/sh, /usr/bin/env, /bin/busybox, ... that is ELF.
std::optional<int> root_machine(const Root& root);

// "x86-64 ELF64 program, interpreter /lib64/ld-linux-x86-64.so.2";
// "AArch64 ELF64 program, interpreter /lib/ld-linux-aarch64.so.1; this root resolves x86-64 (none
// of its libraries can load here)".
std::string describe(const TargetInfo& t);
// The same as `deps --format json` writes it per target: {machine, elf_class, type, interpreter,
// root_machine, foreign, summary} (README, "deps JSON").
nlohmann::json to_json(const TargetInfo& t);

// An object's own DT_RPATH and DT_RUNPATH ("rpath /a:/b; runpath $ORIGIN/../lib"), "" when none.
std::string own_search_paths(const Root& root, const std::string& inside);

}  // namespace cuslim
