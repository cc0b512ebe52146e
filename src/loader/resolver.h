// Resolver: walks the DT_NEEDED graph of each target exactly as glibc's ld.so would inside a
// Root — breadth-first load order, already-loaded objects matched by name or soname, the search
// plan of search_plan.h probed against the root, candidates of another class/machine skipped.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/root.h"
#include "loader/dep_graph.h"
#include "loader/elf_cache.h"
#include "loader/ld_cache.h"
#include "loader/ld_so_conf.h"
#include "loader/legacy_hwcaps.h"
#include "loader/open_verify.h"
#include "loader/search_plan.h"

namespace cuslim {

struct ResolveOptions {
  std::vector<std::string> ld_library_path;         // split; never taken from cuslim's environment
  std::optional<std::vector<std::string>> hwcaps;   // glibc-hwcaps subdirs; default: the running CPU's
  int threads = 0;                                  // 0: one per core
  std::optional<std::string> glibc;                 // the root's glibc version; default: read from its libc
  std::optional<std::vector<std::string>> legacy_hwcaps;  // legacy hwcap subdirs; default: the CPU's when glibc <= 2.36
  // Names that are leaves (never descended, never missing): the driver class. Set by classification.
  std::function<bool(const std::string& name)> is_leaf;
};

// Extra run-time (dlopen) names a loaded object pulls in, from profiles or traces: the first of
// `any` that resolves wins; none resolving is not an error (a dlopen may fail gracefully).
struct ExtraEdge {
  std::vector<std::string> any;
  How how = How::dlopen_profile;
  // When set, a candidate the search finds is taken only if this accepts it (in-root realpath and
  // parsed object): it returns "" to accept, else why the loading library would refuse it (a cuDNN
  // for CUDA 12 refusing CUDA 13's libnvrtc.so). A refused one is passed over for the next
  // alternative; when none is taken, the graph's passed_over says so.
  std::function<std::string(const std::string& realpath, const ElfFile& elf)> accept;
  bool required = false;  // nothing found is the graph's dlopen_unmet (the loading library fails without it)
};
using ExtraEdges =
    std::function<std::vector<ExtraEdge>(const std::string& path, const std::string& realpath, const ElfFile& elf)>;

struct SharedSearches;  // resolver.cc: search answers every target's walk can reuse

class Resolver {
 public:
  Resolver(const Root& root, ResolveOptions opts);
  ~Resolver();

  // Loads the root's ld.so.cache and ld.so.conf; errors name the file.
  Status init();

  // Resolves every target (in-root paths) into one graph. A target that cannot be read is an error.
  // `loaded`: objects already in the process (soname or name -> in-root path), as a traced
  // Python process holds its libraries before it imports an extension module: a needed name one
  // of them answers is that object, as the loader's match against its link map would give, not a
  // search (which might find another copy elsewhere).
  Result<DepGraph> resolve(const std::vector<std::string>& targets, const ExtraEdges& extra = {},
                           const std::map<std::string, std::string>& loaded = {});

  const Root& root() const { return root_; }
  const std::optional<LdCache>& ld_cache() const { return ld_cache_; }
  const LdSoConf& ld_so_conf() const { return conf_; }  // read only when the root has no ld.so.cache
  ElfCache& elf_cache() { return elf_cache_; }

 private:
  friend struct TargetWalk;
  const LoaderAbi* abi_for(int machine, int elf_class);
  LoaderEnv env_for(const LoaderAbi* abi);
  std::mutex abi_mu_;
  std::map<std::pair<int, int>, const LoaderAbi*> abis_;
  std::map<const LoaderAbi*, LoaderEnv> envs_;
  const Root& root_;
  ResolveOptions opts_;
  ElfCache elf_cache_;
  std::optional<LdCache> ld_cache_;
  std::optional<std::string> glibc_;
  LoaderRules rules_;  // which candidates that glibc refuses (by its version)
  LegacyCacheBits legacy_cache_;
  LdSoConf conf_;
  std::unique_ptr<SharedSearches> shared_;
};

}  // namespace cuslim
