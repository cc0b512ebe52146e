// The glibc ld.so search order for one needed name, as data (glibc elf/dl-load.c: RPATH chain, LD_LIBRARY_PATH, RUNPATH, ld.so.cache, default dirs).
// search_plan() is pure: given the loading object, its chain of loaders and the environment it
// returns the ordered {dir, how} list; Resolver walks that list against a Root.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "elf/elf_file.h"
#include "loader/loader_abi.h"

namespace cuslim {

// Where a needed name was found; also the step kind of a search plan.
enum class How {
  direct,           // the name has a slash, or the object is a root of the graph
  rpath,            // DT_RPATH of the loader chain
  ld_library_path,  // --ld-library-path
  runpath,          // the loading object's own DT_RUNPATH
  ld_so_cache,      // the root's /etc/ld.so.cache
  ld_so_conf,       // the root's ld.so.conf dirs (only when the root has no cache)
  default_path,     // the compiled-in system dirs
  dlopen_profile,   // a run-time dlopen edge from a profile
  trace,            // seen by `cuslim trace`
};
std::string_view how_name(How how);  // the JSON spelling: "ld.so.cache", "default", ...

struct SearchStep {
  How how;
  std::string dir;    // empty for the ld.so.cache step
  std::string owner;  // the object whose DT_RPATH/DT_RUNPATH gave this dir, else empty
  bool nodeflib = false;  // cache step of a DF_1_NODEFLIB loader: hits under a default dir are dropped
  bool operator==(const SearchStep&) const = default;
};

// One object of the loader chain, as the plan sees it.
struct PlanObject {
  const ElfFile* elf = nullptr;
  std::string path;    // the in-root path it was loaded through
  std::string origin;  // $ORIGIN: the directory of `path` (for the main program, of its realpath)
};

struct LoaderEnv {
  const LoaderAbi* abi = nullptr;
  std::vector<std::string> ld_library_path;  // split, tokens unexpanded
  std::vector<std::string> hwcaps;           // active glibc-hwcaps subdirs, best first
  std::vector<std::string> legacy_hwcaps;    // glibc <= 2.36: legacy subdirs (tls/x86_64, ...), best first
  bool has_cache = false;                    // the root has a usable ld.so.cache
  std::vector<std::string> conf_dirs;        // ld.so.conf dirs, used only without a cache
};

// LD_LIBRARY_PATH as glibc splits it (elf/dl-load.c, _dl_init_paths): at ':' and at ';'.
std::vector<std::string> ld_library_path_dirs(std::string_view value);

// Expands $ORIGIN, $LIB, $PLATFORM (and ${...}) in one path element. Returns "" when a known
// token has no value: the loader then drops the element.
std::string expand_tokens(std::string_view element, std::string_view origin, const LoaderAbi& abi);

// chain[0] is the loading object, chain[i+1] the object that loaded chain[i], up to the root of
// the graph. `main` is the executable (DT_RPATH fallback). Each directory appears once per active
// glibc-hwcaps subdir, then once per legacy hwcap subdir (glibc <= 2.36), then bare, as in open_path().
std::vector<SearchStep> search_plan(const std::vector<PlanObject>& chain, const PlanObject& main, const LoaderEnv& env);

}  // namespace cuslim
