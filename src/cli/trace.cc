// cuslim trace -o FILE -- CMD [ARGS...]: run a program under the LD_AUDIT library and record
// every object the loader maps (DT_NEEDED and dlopen alike, in every thread and child process)
// and every name a dlopen asked for in vain.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "cli/command.h"
#include "profile/classifier.h"
#include "profile/profile_set.h"
#include "trace/file_tracer.h"
#include "trace/trace_file.h"

namespace cuslim::cli {

namespace {

struct TraceOptions {
  std::string out;
  std::vector<std::string> cmd;
  bool quiet = false, files = false;
};

extern "C" char** environ;

Exit run_trace(const TraceOptions& o) {
  if (o.cmd.empty()) fail(Error(Exit::usage, "trace: give the command after --"));
  auto lib = audit_library();
  if (!lib) fail(Error(Exit::bad_input, "libcuslim-audit.so not found beside the cuslim binary"));
  std::string out = std::filesystem::absolute(o.out).string();
  { std::ofstream truncate(out, std::ios::trunc); if (!truncate) fail(Error::from_errno(out, errno)); }
  int rc = 0;
  if (o.files) {  // ptrace for file accesses, the audit library for the loader's view
    std::vector<std::string> env;
    std::string audit = *lib;
    for (char** e = environ; *e; ++e) {
      std::string kv = *e;
      if (kv.rfind("LD_AUDIT=", 0) == 0) audit = kv.substr(9) + ":" + audit;
      else if (kv.rfind("CUSLIM_TRACE_FILE=", 0) != 0) env.push_back(kv);
    }
    env.push_back("LD_AUDIT=" + audit);
    env.push_back("CUSLIM_TRACE_FILE=" + out);
    rc = take(trace_files(o.cmd, env, out));
  } else {
  pid_t pid = ::fork();
  if (pid < 0) fail(Error::from_errno("fork", errno));
  if (pid == 0) {
    std::string audit = *lib;
    if (const char* prev = std::getenv("LD_AUDIT"); prev && *prev) audit = std::string(prev) + ":" + audit;
    ::setenv("LD_AUDIT", audit.c_str(), 1);
    ::setenv("CUSLIM_TRACE_FILE", out.c_str(), 1);
    std::vector<char*> argv;
    for (auto& a : o.cmd) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    std::perror(("cuslim: trace: " + o.cmd[0]).c_str());
    _exit(127);
  }
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  auto t = take(read_trace(out));
  if (!o.quiet) {
    auto set = take(ProfileSet::builtin());
    auto c = take(Classifier::make(set, "glibc"));
    std::map<std::string, std::vector<std::string>> by_class;
    for (auto& p : t.opened) by_class[c.classify(p, p, std::nullopt, "").cls].push_back(p);
    std::cerr << "cuslim trace: " << t.programs.size() << " program(s), " << t.pids.size() << " process(es), " << t.opened.size()
              << " objects mapped -> " << out << "\n";
    for (auto& [cls, paths] : by_class) {
      std::cerr << "  " << cls << " (" << paths.size() << "):";
      for (auto& p : paths) std::cerr << " " << p;
      std::cerr << "\n";
    }
    if (o.files) std::cerr << "  files: " << t.files.size() << " accessed, " << packable_files(t).size() << " worth packing\n";
    if (!t.failed.empty()) {
      std::cerr << "  asked for, not found:";
      for (auto& f : t.failed) std::cerr << " " << f;
      std::cerr << "\n";
    }
  }
  return static_cast<Exit>(rc);
}

}  // namespace

void add_trace(CLI::App& app, RunState& state) {
  auto o = std::make_shared<TraceOptions>();
  auto* cmd = app.add_subcommand("trace", "Run a program and record every object the loader maps (dlopen included), for --trace");
  cmd->add_option("-o,--out", o->out, "Trace file (JSON lines)")->required();
  cmd->add_flag("-q,--quiet", o->quiet, "No summary");
  cmd->add_flag("--files", o->files, "Also record every file opened, executed or stat'ed (ptrace; no strace needed)");
  cmd->add_option("cmd", o->cmd, "The command, after --")->required();
  cmd->footer(
      "Examples:\n"
      "  cuslim trace -o app.trace -- ./app --selftest\n"
      "  cuslim bundle ./app --trace app.trace -o app-oci\n"
      "  cuslim trace --files -o py.trace -- python3 app.py   # Python modules, data, certificates too\n"
      "Exit: the program's exit code.");
  cmd->callback([o, &state] { state.exit = run_trace(*o); });
}

}  // namespace cuslim::cli
