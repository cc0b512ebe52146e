// cuslim trace -o FILE -- CMD [ARGS...]: run a program under the LD_AUDIT library and record
// every object the loader maps (DT_NEEDED and dlopen alike, in every thread and child process)
// and every name a dlopen asked for in vain.
#include <map>

#include "cli/command.h"
#include "core/fs.h"
#include "trace/traced_run.h"

namespace cuslim::cli {

namespace {

struct TraceOptions {
  std::string out;
  std::vector<std::string> cmd;
  bool quiet = false, files = false, warm_cache = false;
};

void summary(const Trace& t, const std::string& out, bool files) {
  auto by_class = take(opened_by_class(t));
  std::cerr << "cuslim trace: " << t.programs.size() << " program(s), " << t.pids.size() << " process(es), " << t.opened.size()
            << " objects mapped -> " << out << "\n";
  for (auto& [cls, paths] : by_class) {
    std::cerr << "  " << to_string(cls) << " (" << paths.size() << "):";
    for (auto& p : paths) std::cerr << " " << p;
    std::cerr << "\n";
  }
  if (files) std::cerr << "  files: " << t.files.size() << " opened or run, " << t.looked_at.size() << " only looked at, " << packable_files(t).size() << " worth packing\n";
  if (!t.failed.empty()) {
    std::cerr << "  asked for, not found:";
    for (auto& f : t.failed) std::cerr << " " << f;
    std::cerr << "\n";
  }
}

Exit run_trace(const TraceOptions& o) {
  std::string out = take(absolute_path(o.out));
  int rc = take(run_traced_on_host({.argv = o.cmd, .trace_file = out, .files = o.files, .warm_cache = o.warm_cache}));
  auto t = take(read_trace(out));
  if (!o.quiet) summary(t, out, o.files);
  return static_cast<Exit>(rc);
}

}  // namespace

void add_trace(CLI::App& app, RunState& state) {
  auto o = std::make_shared<TraceOptions>();
  auto* cmd = app.add_subcommand("trace", "Run a program and record every object the loader maps (dlopen included), for --trace");
  cmd->add_option("-o,--out", o->out, "Trace file (JSON lines)")->required()->check(file_name());
  cmd->add_flag("-q,--quiet", o->quiet, "No summary");
  cmd->add_flag("--warm-cache", o->warm_cache, "Keep the JIT cache dirs (Triton, Inductor, CuPy, Numba, JAX, CUDA); default: fresh, empty ones, so a cold start is traced");
  cmd->add_flag("--files", o->files, "Also record every file opened, executed or stat'ed (ptrace; no strace needed)");
  cmd->add_option("cmd", o->cmd, "The command, after --")->required();
  cmd->footer(
      "Examples:\n"
      "  cuslim trace -o app.trace -- ./app --selftest\n"
      "  cuslim bundle ./app --trace app.trace -o app-oci\n"
      "  cuslim trace --files -o py.trace -- python3 app.py   # Python modules, data, certificates too\n"
      "Exit: the program's exit code; before it runs: 2 usage (no command, a refused -o), 3 unreadable input,\n"
      "127 the command is not found (126: not executable), and no trace is written.");
  cmd->callback([o, &state] { state.exit = run_trace(*o); });
}

}  // namespace cuslim::cli
