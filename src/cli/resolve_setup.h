// The options every graph-walking subcommand shares (--root, --ld-library-path, --hwcaps, ...)
// and the resolver they configure.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/root.h"
#include "loader/resolver.h"
#include "profile/classifier.h"

namespace cuslim::cli {

// A configured root + resolver, kept alive together.
struct ResolveContext {
  std::unique_ptr<Root> root;
  std::unique_ptr<Resolver> resolver;
  std::shared_ptr<Classifier> classifier;
  bool dlopen = true;
  // Resolves (with profile dlopen edges) and classifies.
  Result<DepGraph> resolve(const std::vector<std::string>& targets, const std::vector<std::string>& root_dlopens = {}) const;
};

struct ResolveSetup {
  std::string root = "/";
  std::string ld_library_path;
  bool env_ld_library_path = false;
  std::string hwcaps;  // comma list, "none", or empty for the running CPU
  int threads = 0;
  std::vector<std::string> profiles;  // --profile FILE
  std::string base = "glibc";
  bool no_dlopen = false;

  void add_options(CLI::App& cmd);
  Result<ProfileSet> profile_set() const;
  Result<ResolveContext> make() const;
};

}  // namespace cuslim::cli
