// Analysis: everything a graph-walking command needs, assembled once from plain options -- the
// root, the loader model (Resolver), the profiles in force (built-in + --profile files, each
// parsed once), the Classifier with its dlopen edges, and what the host driver loads from an
// image. bundle, slim, verify and deps all take one.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/root.h"
#include "loader/resolver.h"
#include "profile/classifier.h"
#include "profile/profile_set.h"

namespace cuslim {

struct AnalysisOptions {
  std::string root = "/";
  std::string root_label;  // how messages name the root ("image app-oci"); "" for its dir
  std::vector<std::string> ld_library_path;  // the LD_LIBRARY_PATH to model
  std::optional<std::vector<std::string>> hwcaps;  // glibc-hwcaps subdirs; nullopt: the running CPU's
  int threads = 0;
  std::vector<std::string> profile_files;  // --profile FILE
  std::string base = "glibc";              // the base profile (what counts as class system)
  bool dlopen = true;                      // follow the profiles' run-time dlopen edges
};

// Files a kept tree leaves out: profiles' link_only (file-name globs: libraries only a program
// linking them loads) and profiler_only (files only a profiler or an instrumentation pass loads).
enum class HeldBack { link_only, profiler_only };
struct HeldBackBy {
  HeldBack kind;
  std::string profile;
};

class Analysis {
 public:
  static Result<Analysis> make(const AnalysisOptions& opts);

  // Resolves the targets as the loader would (with profile dlopen edges) and classifies the
  // graph. `root_dlopens` are names each target dlopens (as libcuda.so.1's needs would be).
  // `loaded`: objects already in the process (soname -> in-root path; Resolver::resolve).
  Result<DepGraph> resolve(const std::vector<std::string>& targets, const std::vector<std::string>& root_dlopens = {},
                           const std::map<std::string, std::string>& loaded = {}) const;

  // Splits targets into those that are readable ELF files in the root and an error for each
  // other one, so a command can report every bad target and go on with the rest (as libtree does).
  struct Targets {
    std::vector<std::string> ok;
    std::vector<Error> bad;
  };
  Targets check_targets(const std::vector<std::string>& targets) const;
  // An object of the root (a target as check_targets takes it) as the resolver parsed it: read
  // once, whoever asks.
  std::shared_ptr<const Result<ElfFile>> object(const std::string& target) const;
  // The in-root path a target names, as the graph's roots carry it ("./ssh" in /work on the host:
  // "/work/ssh").
  std::string target_path(const std::string& target) const;

  const Root& root() const { return *root_; }
  const Classifier& classifier() const { return *classifier_; }
  const Resolver& resolver() const { return *resolver_; }
  const ProfileSet& profiles() const { return *profiles_; }
  // Libraries the injected host driver loads from the image (libm, libdl, ... for libcuda).
  const std::vector<std::string>& driver_needs() const { return driver_needs_; }
  // The keep-set globs of every profile that asks slim to keep it (certificates, passwd, ...).
  std::vector<std::string> slim_keep_set() const;
  // Python distributions profiles name as run-time companions of another (torch -> triton, ...):
  // normalized distribution name -> (companion, profile).
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> python_companions() const;
  // Whether a kept tree (a Python distribution, slim's keep-sets) leaves this file out unless what
  // ships loads it or a trace saw it loaded, and which profile says so.
  std::optional<HeldBackBy> held_back(const std::string& inside) const;
  // The JIT frameworks the active profiles describe (what each runs at run time).
  std::vector<const JitFramework*> jit_frameworks() const;

 private:
  std::unique_ptr<Root> root_;
  std::unique_ptr<ProfileSet> profiles_;
  std::shared_ptr<Classifier> classifier_;
  std::unique_ptr<Resolver> resolver_;
  std::vector<std::string> driver_needs_;
  bool dlopen_ = true;
  int threads_ = 0;
};

}  // namespace cuslim
