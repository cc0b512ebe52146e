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

namespace cuslim::cli {

// A configured root + resolver, kept alive together.
struct ResolveContext {
  std::unique_ptr<Root> root;
  std::unique_ptr<Resolver> resolver;
  Result<DepGraph> resolve(const std::vector<std::string>& targets) const;
};

struct ResolveSetup {
  std::string root = "/";
  std::string ld_library_path;
  bool env_ld_library_path = false;
  std::string hwcaps;  // comma list, "none", or empty for the running CPU
  int threads = 0;

  void add_options(CLI::App& cmd);
  Result<ResolveContext> make() const;
};

}  // namespace cuslim::cli
