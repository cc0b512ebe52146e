// cuslim: a thin CLI over the library. Parses, dispatches, prints an error once.
// The one error boundary: whatever escapes a subcommand -- a cuslim Error, or an exception from
// the standard library or a dependency -- becomes "cuslim: <file>: <what>: <why>" and an exit
// code of the contract, never std::terminate (unwinding removes every temp file and staging dir).
#include <filesystem>
#include <iostream>
#include <new>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "cli/command.h"
#include "core/signal_cleanup.h"

#ifndef CUSLIM_VERSION
#define CUSLIM_VERSION "dev"
#endif

int main(int argc, char** argv) {
  using namespace cuslim;
  CLI::App app{"cuslim: the smallest image that still runs your CUDA program, and the proof that it does.\n"
               "Walks the ELF graph as glibc's ld.so would, sorts every object into driver | system |\n"
               "cuda | toolkit | app, and packs only what must ship.",
               "cuslim"};
  app.set_version_flag("--version", CUSLIM_VERSION);
  app.require_subcommand(1);
  app.footer("Exit codes: 0 success; 1 a check failed or a dependency is missing; 2 usage error;\n"
             "3 unreadable or invalid input; 4 a registry could not be reached or refused.\nErrors: 'cuslim: <file>: <what>: <why>' on stderr.");
  install_signal_cleanup();  // interrupted runs remove their temp outputs
  cli::RunState state;
  cli::add_deps(app, state);
  cli::add_inspect(app, state);
  cli::add_bundle(app, state);
  cli::add_build(app, state);
  cli::add_slim(app, state);
  cli::add_run(app, state);
  cli::add_trace(app, state);
  cli::add_verify(app, state);
  cli::add_driver(app, state);
  cli::add_profiles(app, state);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : static_cast<int>(Exit::usage);
  } catch (const cli::Failure& f) {
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
  return static_cast<int>(state.exit);
}
