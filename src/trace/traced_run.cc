#include "trace/traced_run.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <cstdlib>

#include "core/atomic_file.h"
#include "core/atomic_output.h"
#include "core/exec_path.h"
#include "core/fs.h"
#include "core/output_guard.h"
#include "core/path.h"
#include "core/hex.h"
#include "core/staging.h"
#include "image/utf8_names.h"
#include "sandbox/signal_forwarding.h"
#include "sandbox/run_setup.h"
#include "trace/run_environment.h"
#include "trace/file_tracer.h"

extern "C" char** environ;

namespace cuslim {

namespace {

constexpr const char* kTraceFileVar = "CUSLIM_TRACE_FILE=";
constexpr const char* kAuditVar = "LD_AUDIT=";

std::vector<std::string> own_environment() {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  return env;
}

Result<std::string> audit_library_or_error() {
  auto lib = audit_library();
  if (!lib) return Error(Exit::bad_input, "libcuslim-audit.so not found beside the cuslim binary");
  return *lib;
}

// fork + execvpe + wait: the program's exit code, 128 + signal when killed.
Result<int> run_plain(const std::vector<std::string>& argv, const std::vector<std::string>& env, SignalForwarding& forwarding) {
  std::vector<char*> a, e;
  for (auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  for (auto& s : env) e.push_back(const_cast<char*>(s.c_str()));
  e.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return Error::from_errno("fork", errno);
  if (pid == 0) {
    forwarding.restore_in_child();
    // cuslim killed (SIGKILL) ends the program too, as ptrace's EXITKILL does in --files mode; a
    // parent already gone before this line is caught by the check after it.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) _exit(128 + SIGTERM);
    ::execvpe(a[0], a.data(), e.data());
    std::perror(("cuslim: trace: " + argv[0]).c_str());
    _exit(127);
  }
  forwarding.target(pid);
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return Error::from_errno("waitpid", errno);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

// The files the command reads that a trace file must never replace: argv[0] as PATH finds it,
// and every argument that names an existing file. A directory argument (`ls .`, `pytest .`,
// `--data /srv/d`) is not one: a new trace file beside what the program reads replaces nothing
// of it (-o naming that directory itself is refused as any directory is).
std::vector<std::string> command_inputs(const std::vector<std::string>& argv) {
  std::vector<std::string> out;
  for (size_t i = 0; i < argv.size(); ++i)
    if (struct stat st; ::stat(argv[i].c_str(), &st) == 0 && (i == 0 || !S_ISDIR(st.st_mode))) out.push_back(argv[i]);
  if (!argv.empty() && argv[0].find('/') == std::string::npos) {
    const char* p = std::getenv("PATH");
    for (auto& dir : path::split_list(p ? p : kDefaultPath))
      if (std::string cand = path::join(dir.empty() ? "." : dir, argv[0]); ::access(cand.c_str(), X_OK) == 0) {
        out.push_back(cand);
        break;
      }
  }
  return out;
}

}  // namespace

std::vector<std::string> audited_env(const std::vector<std::string>& env, const std::string& audit_lib, const std::string& trace_file) {
  std::vector<std::string> out;
  std::string audit = audit_lib;
  for (auto& kv : env) {
    if (kv.rfind(kAuditVar, 0) == 0) {
      std::string prev = kv.substr(std::string(kAuditVar).size());
      if (!prev.empty()) audit = prev + ":" + audit;
    } else if (kv.rfind(kTraceFileVar, 0) != 0) {
      out.push_back(kv);
    }
  }
  out.push_back(kAuditVar + audit);
  out.push_back(kTraceFileVar + trace_file);
  return out;
}

// The command as execvp finds it (a name with a slash as it is, else along PATH): a command
// that is not there is said before anything runs, as a shell says it (127; 126 not executable).
static Status check_command(const std::string& cmd) {
  auto usable = [](const std::string& p, bool* exists) {
    struct stat st;
    if (::stat(p.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) return false;
    *exists = true;
    return ::access(p.c_str(), X_OK) == 0;
  };
  bool exists = false;
  if (cmd.find('/') != std::string::npos) {
    if (struct stat st; ::stat(cmd.c_str(), &st) == 0 && S_ISDIR(st.st_mode))  // as a shell says it: 126
      return Error(Exit::cannot_execute, "trace: " + cmd + ": is a directory");
    if (usable(cmd, &exists)) return ok_status();
  } else {
    const char* path = std::getenv("PATH");
    for (auto& dir : path::split_list(path ? path : kDefaultPath))
      if (usable(path::join(dir.empty() ? "." : dir, cmd), &exists)) return ok_status();
  }
  if (exists) return Error(Exit::cannot_execute, "trace: " + cmd + ": not executable");
  return Error(Exit::not_found, "trace: " + cmd + ": not found" + (cmd.find('/') != std::string::npos ? "" : " in PATH"));
}

Result<int> run_traced_on_host(const HostTraceRequest& req) {
  if (req.argv.empty()) return Error(Exit::usage, "trace: give the command after --");
  CUSLIM_CHECK(check_command(req.argv[0]));  // no run, no trace file
  CUSLIM_TRY(auto lib, audit_library_or_error());
  if (struct stat st; ::stat(req.trace_file.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    return Error(Exit::usage, req.trace_file + ": a directory: give a trace file name");
  CUSLIM_TRY([[maybe_unused]] auto existing, check_output({.out = req.trace_file, .inputs = command_inputs(req.argv), .has_force_flag = false}));  // a file: replaced
  CUSLIM_CHECK(check_output_place("-o", req.trace_file));
  CUSLIM_CHECK(make_dirs(path::dirname(req.trace_file)));  // as bundle -o out/x makes out/
  // The trace starts with the variables of the run that change what it loads.
  auto own = own_environment();
  std::string header;
  for (auto& kv : own)
    if (auto eq = kv.find('='); eq != std::string::npos && recorded_variable(kv.substr(0, eq)))
      header += nlohmann::json{{"event", "env"}, {"name", kv.substr(0, eq)}, {"value", kv.substr(eq + 1)}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  // ... and the command's working directory: an image that holds it runs the command there.
  if (char cwd[PATH_MAX]; ::getcwd(cwd, sizeof cwd)) {
    nlohmann::json j{{"event", "cwd"}, {"path", std::string(cwd)}};
    if (!valid_utf8(cwd)) j["path_hex"] = to_hex(cwd);  // as file lines carry such names
    header += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  // The trace is written under a temp name beside it and renamed when the run ends: an
  // interrupted trace (SIGINT, SIGTERM, SIGHUP) leaves no partial file a later bundle would read.
  AtomicOutput out(req.trace_file);
  if (auto st = write_file_atomic(out.temp(), header, Durability::rename_only); !st.ok()) return out.as_out(st.error());
  // Cold JIT caches (fresh dirs, removed afterwards) unless the user wants the warm ones.
  std::optional<Staging> caches;
  if (!req.warm_cache) {
    CUSLIM_TRY(auto s, Staging::make());
    caches.emplace(std::move(s));
    own = with_cold_caches(own, caches->path());
    for (auto& c : cache_variables()) CUSLIM_CHECK(make_dirs(caches->path() + "/" + c));  // there and empty, as a real cache dir is
  }
  auto env = audited_env(own, lib, out.temp());
  // Ctrl-C and a CI timeout's SIGTERM are the program's to handle: the terminal signals it
  // directly (cuslim shares its process group), a signal sent to cuslim alone is passed on; the
  // trace is written when the program ends, whatever its status.
  SignalForwarding forwarding;
  forwarding.leave_terminal_signals();
  // ptrace for files, the audit library for the loader
  CUSLIM_TRY(int rc, req.files ? trace_files(req.argv, env, out.temp(), &forwarding) : run_plain(req.argv, env, forwarding));
  // A process the program left behind still holds the file (without --files cuslim does not wait
  // for it): the trace that is committed is a copy, which nothing writes into once cuslim is done.
  CUSLIM_TRY(auto text, read_regular_file(out.temp(), uint64_t{1} << 34));
  if (auto st = write_file_atomic(out.temp(), text, Durability::rename_only); !st.ok()) return out.as_out(st.error());
  CUSLIM_CHECK(out.commit());
  return rc;
}

Result<ProbeResult> probe_image(const UnpackedImage& img, const std::vector<std::string>& cmd, const std::string& staging, const Root& root) {
  auto lib = audit_library_or_error();
  if (!lib.ok()) return lib.error().wrap("--probe");
  std::string trace_dir = staging + "/probe-trace";
  CUSLIM_CHECK(make_dirs(trace_dir));
  CUSLIM_CHECK(set_mode(trace_dir, 0777));  // the sandboxed program may run as another user
  CUSLIM_CHECK(write_file_atomic(trace_dir + "/trace", "", Durability::rename_only));  // the audit library only appends
  CUSLIM_CHECK(set_mode(trace_dir + "/trace", 0666));
  CUSLIM_TRY(auto prepared, prepare_unpacked(img, GpuMode::auto_, staging + "/probe"));
  auto& spec = prepared.spec;
  if (!cmd.empty()) spec.argv = cmd;
  spec.binds.push_back({*lib, "/.cuslim/libcuslim-audit.so", true});
  spec.binds.push_back({trace_dir, "/.cuslim-trace", false});
  spec.env = audited_env(spec.env, "/.cuslim/libcuslim-audit.so", "/.cuslim-trace/trace");
  spec.stdout_fd = STDERR_FILENO;  // the program's output is not slim's: stdout stays the summary (or --json)
  ProbeResult r;
  // The files, from the program's exec on (the sandbox's own set-up sees host paths).
  std::string files_trace = staging + "/probe-files";
  std::string error_file = staging + "/probe-error";  // the traced child's error, for the parent
  auto sandboxed = [&] {
    auto rc = run_sandbox(spec);
    if (!rc.ok()) (void)write_file_atomic(error_file, rc.error().message(), Durability::rename_only);
    return rc.value_or(125);
  };
  CUSLIM_TRY(r.exit_code, trace_files_of(sandboxed, files_trace, true));
  if (std::ifstream in(error_file); in) return Error(Exit::check_failed, "--probe: " + std::string(std::istreambuf_iterator<char>(in), {}));
  CUSLIM_TRY(auto t, read_trace(trace_dir + "/trace"));
  CUSLIM_TRY(auto f, read_trace(files_trace));
  drop_loader_probes(f, t);  // the loader's view is in the other trace
  r.mapped = t.opened.size();
  for (auto& p : t.opened)
    if (!t.programs.count(p) && p.rfind("/.cuslim", 0) != 0 && root.stat(p)) r.in_image.push_back(p);
  for (auto& p : packable_files(f))
    if (p.rfind("/.cuslim", 0) != 0 && root.stat(p)) r.files.push_back(p);
  return r;
}

}  // namespace cuslim
