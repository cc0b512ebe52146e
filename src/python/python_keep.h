// Package-granular keeping for Python: a module imported means its distribution is needed
// (distributions import lazily, so a cold path of the same program imports modules a traced run
// never touched). Every distribution a traced run used is kept whole -- minus tests directories,
// other Python versions' __pycache__ files and files the caller leaves out (toolkit, driver) --
// with the distributions profiles name as its run-time companions; the others are dropped.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/root.h"
#include "python/distribution.h"

namespace cuslim {

enum class PythonKeep {
  package,  // every used distribution whole (the default)
  file,     // only the files the traced run opened
};
std::optional<PythonKeep> parse_python_keep(const std::string& s);  // "package" | "file"

struct PythonKeepOptions {
  PythonKeep mode = PythonKeep::package;
  // distribution key -> (companion distribution, profile that names it)
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> companions;
  // Files that never ship this way (toolkit-class files, driver files): true to leave out.
  std::function<bool(const std::string&)> leave_out;
  // Distributions kept only when the traced run itself used them, never as a companion or a
  // requirement of another (--no-jit: the JIT compiler torch brings, triton): key -> why not.
  std::map<std::string, std::string> only_if_used;
};

struct DistributionReport {
  std::string name, version, site;
  bool kept = false;
  // "imported by the trace", "loaded by the trace" (libraries, data: no module), "the interpreter's
  // standard library, used by the trace", "named by profile P (with D)", "closure of Y" (nothing
  // imported it; objects that ship need its libraries), "not imported", or, for one of
  // only_if_used another brought, "not kept: <why not> (named by profile P (with D))"
  std::string reason;
  uint64_t files = 0, bytes = 0;  // kept: what ships; dropped: what it holds
  uint64_t left_out = 0;     // files of a kept distribution left out (tests, other caches, toolkit)
};

struct PythonSelection {
  std::vector<std::string> files;                 // in-root files to ship
  // Metadata files the trace read of distributions that do not ship (an entry-point scan reads
  // every one's entry_points.txt): left out too, or the image would say they are installed.
  std::vector<std::string> orphan_metadata;
  std::vector<DistributionReport> distributions;  // every distribution of the site dirs involved, in index order
  std::shared_ptr<const DistributionIndex> index; // who owns which file
};

// `used`: the files a traced run opened or ran (in-root paths).
// `kept`, when given, receives the normalized names of the kept distributions before any file is
// filtered (opts.leave_out may read it).
// The top-level package directories of imported modules that no distribution owns (an
// application's own package on PYTHONPATH or beside its script): imports are lazy there too, so
// package mode ships them whole. A module outside any package (a lone script) is not one.
// `path_dirs`: sys.path directories known to hold such packages (the scripts' own directories,
// PYTHONPATH): below one, a namespace package (PEP 420, no __init__.py) is a package too, its
// top directory the one just below the sys.path directory.
// A module directly in a sys.path directory (util.py beside the script), or a package of it,
// brings that directory's other modules (*.py): an import on another path may need them.
std::vector<std::string> unowned_packages(const Root& root, const std::vector<std::string>& used, const DistributionIndex& index,
                                          const std::vector<std::string>& path_dirs = {});

// The directories of the scripts a traced run ran (sys.path[0]): of the unowned .py files it
// opened outside any regular package and outside site dirs, the directories no other such
// directory holds (a script's namespace package nsp/a.py sits below the script's own directory).
std::vector<std::string> traced_script_dirs(const Root& root, const std::vector<std::string>& used, const DistributionIndex& index);

PythonSelection select_python(const Root& root, const std::vector<std::string>& used, const PythonKeepOptions& opts,
                              std::set<std::string>* kept = nullptr);

// Distributions the trace never used whose files ship anyway because an object that ships needs
// them (a kept package's extension module -> an nvidia-* wheel's library): kept, "closure of Y"
// (Y the distribution, or the program, that needed them first), counting the files that ship.
// `shipped`: every in-root path that ships; `needed_by`: a shipped library -> the object that
// first needed it.
void credit_closures(PythonSelection& sel, const Root& root, const std::vector<std::string>& shipped,
                     const std::map<std::string, std::string>& needed_by);

}  // namespace cuslim
