// cuslim: a thin CLI over the library. Parses, dispatches, prints an error once.
#include <iostream>

#include "cli/command.h"

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
             "3 unreadable or invalid input. Errors: 'cuslim: <file>: <what>: <why>' on stderr.");
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
    std::cout.flush();
    std::cerr << "cuslim: " << f.error.message() << "\n";
    return static_cast<int>(f.error.code());
  }
  return static_cast<int>(state.exit);
}
