// Closures the bundle steps share: the traced run's loaded objects (what a later resolve matches
// as the loader would), optional objects resolved one by one, and the names nothing answered.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "analysis/analysis.h"
#include "bundle/plan.h"
#include "core/root.h"
#include "loader/dep_graph.h"

namespace cuslim {

// The traced run's objects by soname and file name: what its processes had loaded, so a module
// a cold path imports matches them as the loader would instead of searching for other copies.
std::map<std::string, std::string> traced_loaded(const Root& root, const std::vector<std::string>& traced);

// An in-root path that is an ELF file (resolved inside the root, never through the host's links).
bool is_elf_in(const Root& root, const std::string& inside);

// Resolves many optional objects (a distribution's extension modules, a toolchain's programs):
// one that cannot be resolved (truncated, another machine's ELF) is a warning, not the end.
Result<DepGraph> resolve_each_or_warn(const Analysis& analysis, const std::vector<std::string>& elfs,
                                      const std::map<std::string, std::string>& loaded, PlanBuilder& builder);

// The one warning for held-back files (profiles' link_only, profiler_only) left out of an image:
// "N link-only libraries WHAT (a.so, b.so): nothing loads them unless a program links them, and
// nothing that ships does" + `tail`; "N profiler-only files WHAT (...): only a profiler or an
// instrumentation pass loads them, and no traced run did; --include ships them" + `tail`. Empty
// when `files` is.
std::string held_back_warning(HeldBack kind, const std::vector<std::string>& files, const std::string& what, const std::string& tail = "");

// The names an object needs that nothing answered, comma-separated.
std::string missing_names(const DepGraph& g, const std::string& needed_by);

}  // namespace cuslim
