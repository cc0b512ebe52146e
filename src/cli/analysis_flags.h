// The flags every graph-walking subcommand shares (--root, --ld-library-path, --hwcaps, ...),
// filled into the library's AnalysisOptions.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "analysis/analysis.h"

namespace cuslim::cli {

struct AnalysisFlags {
  std::string root = "/";
  std::string ld_library_path;
  bool env_ld_library_path = false;
  std::string hwcaps;  // comma list, "none", or empty for the running CPU
  int threads = 0;
  std::vector<std::string> profiles;
  std::string base = "glibc";
  bool no_dlopen = false;

  void add_to(CLI::App& cmd);
  AnalysisOptions options() const;
};

}  // namespace cuslim::cli
