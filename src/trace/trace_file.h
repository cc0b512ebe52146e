// A trace file: the JSON lines libcuslim-audit.so appends ("exec", "open", "search"), read back
// as the objects a run mapped and the names it asked for in vain.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/object_class.h"

namespace cuslim {

struct Trace {
  std::set<std::string> programs;  // executables run (main programs)
  std::set<std::string> opened;    // objects mapped (paths as the loader opened them)
  std::set<std::string> failed;    // names searched for that nothing answered
  std::set<std::string> files;     // files opened or executed (--files)
  std::set<std::string> executed;  // of those, the ones executed, by the path the run gave (a venv's bin/python3, not its target)
  std::set<std::string> looked_at; // files only stat'ed, access'ed or readlink'ed (--files): not a use
  // Files the loader opened while searching for a name and never mapped (a dlopen RTLD_NOLOAD
  // probe opens the candidate to compare it with what is loaded; a wrong-class candidate): not a use.
  std::set<std::string> probed;
  std::set<std::string> searched;  // names the loader was asked for (la_objsearch)
  std::set<int> pids;
  std::map<std::string, std::string> env;  // the recorded variables of the run (trace_env.h)
  std::string cwd;  // the traced command's working directory (traces before it: empty)
};

// A name or path that is not valid UTF-8 cannot be a JSON string: trace lines carry it readable
// (U+FFFD) in its field and exact, as hex, in "<field>_hex"; read_trace takes the hex.
Result<Trace> read_trace(const std::string& file);


// Moves from `files.files` to `files.probed` every object file the loader opened while searching
// a name `loader` records (its basename) and that `loader` never reports mapped: a dlopen
// RTLD_NOLOAD probe opens the candidate to compare it with what is loaded; a wrong-class
// candidate is opened and skipped. (The loader reports a mapped object by the path it opened,
// made absolute by the audit library.) `files` and `loader` may be one trace.
void drop_loader_probes(Trace& files, const Trace& loader);

// The traced files worth packing: files opened or run, outside /proc, /sys, /dev and /tmp (what
// a run only looked at -- a stat, an access check -- is not a use and is not packed).
std::vector<std::string> packable_files(const Trace& t);

// The mapped objects of a trace by class, as the built-in profiles sort them (base glibc).
Result<std::map<ObjectClass, std::vector<std::string>>> opened_by_class(const Trace& t);

// The audit library beside the cuslim binary (build tree or install), if any.
std::optional<std::string> audit_library();

}  // namespace cuslim
