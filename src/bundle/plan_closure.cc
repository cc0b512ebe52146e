#include "bundle/plan_closure.h"

#include "core/path.h"
#include "elf/elf_file.h"

namespace cuslim {

// The traced run's objects by soname and file name: what its processes had loaded, so a module
// a cold path imports matches them as the loader would instead of searching for other copies.
std::map<std::string, std::string> traced_loaded(const Root& root, const std::vector<std::string>& traced) {
  std::map<std::string, std::string> out;
  for (auto& p : traced) {
    out.emplace(path::basename(p), p);
    auto real = root.realpath(p);
    if (!real) continue;
    if (auto elf = ElfFile::read(root.host_path(*real), p, ElfFile::Parts::loader); elf.ok() && elf->soname) out.emplace(*elf->soname, p);
  }
  return out;
}

// An in-root path that is an ELF file (resolved inside the root, never through the host's links).
bool is_elf_in(const Root& root, const std::string& inside) {
  auto real = root.realpath(inside);
  return real && has_elf_magic(root.host_path(*real));
}

// Resolves many optional objects (a distribution's extension modules, a toolchain's programs):
// one that cannot be resolved (truncated, another machine's ELF) is a warning, not the end.
Result<DepGraph> resolve_each_or_warn(const Analysis& analysis, const std::vector<std::string>& elfs,
                                      const std::map<std::string, std::string>& loaded, PlanBuilder& builder) {
  if (auto g = analysis.resolve(elfs, {}, loaded); g.ok()) return g;
  DepGraph all;
  for (auto& e : elfs) {
    auto g = analysis.resolve({e}, {}, loaded);
    if (!g.ok()) {
      builder.warn(e + ": not resolved, its dependencies are not added: " + g.error().message());
      continue;
    }
    builder.add_graph(*g, false);
    all.missing.insert(all.missing.end(), g->missing.begin(), g->missing.end());
  }
  return all;
}

// The names an object needs that nothing answered, comma-separated.
std::string held_back_warning(HeldBack kind, const std::vector<std::string>& files, const std::string& what, const std::string& tail) {
  if (files.empty()) return "";
  std::string names;
  for (auto& f : files) names += (names.empty() ? "" : ", ") + path::basename(f);
  const bool one = files.size() == 1;
  const std::string it = one ? "it" : "them", n = std::to_string(files.size());
  if (kind == HeldBack::profiler_only)
    return n + " profiler-only file" + (one ? " " : "s ") + what + " (" + names + "): only a profiler or an instrumentation pass loads " + it +
           ", and no traced run did; --include ships " + it + tail;
  return n + " link-only librar" + (one ? "y " : "ies ") + what + " (" + names + "): nothing loads " + it + " unless a program links " + it +
         ", and nothing that ships does" + tail;
}

std::string missing_names(const DepGraph& g, const std::string& needed_by) {
  std::string out;
  for (auto& m : g.missing)
    if (m.needed_by == needed_by) out += (out.empty() ? "" : ", ") + m.name;
  return out;
}

}  // namespace cuslim
