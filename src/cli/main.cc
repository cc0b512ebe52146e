// cuslim: a thin CLI over the library. Parses, dispatches, prints an error once.
// The one error boundary: whatever escapes a subcommand -- a cuslim Error, or an exception from
// the standard library or a dependency -- becomes "cuslim: <file>: <what>: <why>" and an exit
// code of the contract, never std::terminate (unwinding removes every temp file and staging dir).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <cstring>
#include <iostream>
#include <new>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

#include "cli/command.h"
#include "cli/usage_error.h"
#include "core/signal_cleanup.h"
#include "core/std_fds.h"

#ifndef CUSLIM_VERSION
#define CUSLIM_VERSION "dev"
#endif

// The checked build (scripts/checked-build, ASan's leak checker): what glibc itself keeps for the
// life of the process is not cuslim's leak. With LOCPATH set, glibc's locale loader builds its
// search path with argz_add_sep and keeps it in a static. Built in, not an LSAN_OPTIONS file: the
// tests run cuslim under `env -i` too.
#if defined(__SANITIZE_ADDRESS__)
#define CUSLIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CUSLIM_ASAN 1
#endif
#endif
#ifdef CUSLIM_ASAN
extern "C" const char* __lsan_default_suppressions() { return "leak:argz_add_sep\n"; }
#endif

// What was printed must have reached standard output: a full disk or a closed descriptor behind a
// redirection is an error (exit 3), not a silently cut JSON document (coreutils' close_stdout).
// A reader that went away (`| head`) is not: the output was not wanted further.
static int checked_stdout(int code) {
  errno = 0;
  std::cout.flush();
  int err = errno;
  bool failed = !std::cout.good();
  if (errno = 0; std::fflush(stdout) != 0 || std::ferror(stdout)) failed = true, err = errno ? errno : err;
  if (!failed || err == EPIPE) return code;
  std::string why = err ? std::strerror(err) : "write error (output lost)";
  std::cerr << "cuslim: standard output: " << why << "\n";
  return code == 0 ? static_cast<int>(cuslim::Exit::bad_input) : code;
}

int main(int argc, char** argv) {
  using namespace cuslim;
  hold_closed_std_fds();  // before any file is opened
  CLI::App app{"cuslim: the smallest image that still runs your CUDA program, and the proof that it does.\n"
               "Walks the ELF graph as glibc's ld.so would, sorts every object into driver | system |\n"
               "cuda | toolkit | jit | forward-compat | app, and packs only what must ship.",
               "cuslim"};
  app.set_version_flag("--version", CUSLIM_VERSION);
  app.require_subcommand(1);
  app.footer("Examples:\n"
             "  cuslim deps ./train                                  # what it loads, by class, as ld.so would\n"
             "  cuslim bundle ./train -o train-oci --tag v1          # the smallest image that runs it\n"
             "  cuslim trace --files -o app.trace -- python3 app.py  # what a Python program really uses\n"
             "  cuslim bundle \"$(command -v python3)\" --trace app.trace --include app.py -o app-oci\n"
             "  cuslim slim pytorch-devel-oci -o slim-oci --trace app.trace   # slim an existing image\n"
             "  cuslim verify --gpu app-oci                          # prove it on a GPU node\n"
             "  cuslim run app-oci -- python3 app.py                 # run it with only the host driver\n"
             "Each command: cuslim COMMAND --help.\n"
             "Exit codes: 0 success; 1 a check failed or a dependency is missing; 2 usage error;\n"
             "3 unreadable or invalid input; 4 a registry could not be reached or refused.\nErrors: 'cuslim: <file>: <what>: <why>' on stderr.");
  install_signal_cleanup();  // interrupted runs remove their temp outputs
  cli::RunState state;
  // The commands in --help order. Building a command's options costs more than most `deps` runs,
  // so when argv[1] names one, only that one is built (its --help and errors are the same).
  using Add = void (*)(CLI::App&, cli::RunState&);
  static constexpr std::pair<const char*, Add> kCommands[] = {
      {"deps", cli::add_deps},   {"inspect", cli::add_inspect}, {"bundle", cli::add_bundle}, {"build", cli::add_build},
      {"slim", cli::add_slim},   {"run", cli::add_run},         {"trace", cli::add_trace},   {"verify", cli::add_verify},
      {"report", cli::add_report}, {"driver", cli::add_driver}, {"profiles", cli::add_profiles}};
  auto named = std::find_if(std::begin(kCommands), std::end(kCommands),
                            [&](const auto& c) { return argc > 1 && std::strcmp(argv[1], c.first) == 0; });
  for (const auto& [name, add] : kCommands)
    if (named == std::end(kCommands) || named->first == name) add(app, state);
  cli::refuse_empty_values(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    return cli::usage_error(app, e, argc, argv);
  } catch (const cli::Failure& f) {
    if (f.error.code() == Exit::usage) return cli::command_usage_error(app, f.error);
    return cli::report_error(f.error);
  } catch (const std::filesystem::filesystem_error& e) {
    std::string file = e.path1().empty() ? "filesystem" : e.path1().string();
    return cli::report_error(bad_input(file + ": " + e.code().message()));
  } catch (const nlohmann::json::exception& e) {
    return cli::report_error(bad_input(std::string("JSON input: ") + e.what()));
  } catch (const std::bad_alloc&) {
    return cli::report_error(bad_input("memory: out of memory (input too large?)"));
  } catch (const std::exception& e) {
    return cli::report_error(bad_input(std::string("input: ") + e.what()));
  }
  return checked_stdout(static_cast<int>(state.exit));
}
