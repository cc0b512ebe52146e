// cuslim: a thin CLI over the library. Parses, dispatches, prints an error once.
// The one error boundary: whatever escapes a subcommand -- a cuslim Error, or an exception from
// the standard library or a dependency -- becomes "cuslim: <file>: <what>: <why>" and an exit
// code of the contract, never std::terminate (unwinding removes every temp file and staging dir).
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <cstring>
#include <regex>
#include <iostream>
#include <new>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>

#include "cli/command.h"
#include "core/yaml_schema.h"
#include "core/signal_cleanup.h"

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

namespace {

// CLI11's usage errors in cuslim's form, "cuslim: <what>: <why>", with where to look next:
// "cuslim: unknown command 'foo'; see cuslim --help", "cuslim: bundle: --out is required; see cuslim bundle --help".
int usage_error(CLI::App& app, const CLI::ParseError& e, int argc, char** argv) {
  std::string first = argc > 1 ? argv[1] : "";
  bool known = false;
  std::string closest;
  for (auto* sub : app.get_subcommands({})) {
    known |= sub->get_name() == first;
    if (!first.empty() && cuslim::edit_distance(first, sub->get_name()) <= 2) closest = sub->get_name();
  }
  if (first.size() > 1 && first[0] == '-' && !known) {
    std::cerr << "cuslim: unknown option '" << first << "' (options follow the command: cuslim COMMAND [OPTIONS]); see cuslim --help\n";
    return static_cast<int>(cuslim::Exit::usage);
  }
  if (first.empty() || (first[0] != '-' && !known)) {
    std::cerr << "cuslim: " << (first.empty() ? "no command given" : "unknown command '" + first + "'")
              << (closest.empty() ? "" : " (did you mean '" + closest + "'?)") << "; see cuslim --help\n";
    return static_cast<int>(cuslim::Exit::usage);
  }
  std::string sub = known ? first : "";
  // A mistyped option is the cause of whatever CLI11 says first ("--ouput x" leaves --out unset:
  // "--out is required"): name it, and the option it most likely meant.
  CLI::App* cmd = nullptr;
  for (auto* c : app.get_subcommands({}))
    if (known && c->get_name() == sub) cmd = c;
  if (cmd)
    for (int i = 2; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "--") break;  // the program's own arguments follow (trace, run)
      if (arg.size() < 2 || arg[0] != '-' || std::isdigit(static_cast<unsigned char>(arg[1]))) continue;
      std::string name = arg.substr(0, arg.find('='));
      if (name.size() > 2 && name[1] != '-') name = name.substr(0, 2);  // -oDIR, -vv
      if (cmd->get_option_no_throw(name) || name == "-h" || name == "--help") continue;
      std::string meant;
      size_t best = 3;  // suggest within an edit distance of 2
      for (auto* opt : cmd->get_options())
        for (auto& lname : opt->get_lnames())
          if (size_t d = cuslim::edit_distance(name, "--" + lname); d < best) best = d, meant = "--" + lname;
      std::cerr << "cuslim: " << sub << ": unknown option " << name << (meant.empty() ? "" : " (did you mean " + meant + "?)")
                << "; see cuslim " << sub << " --help\n";
      return static_cast<int>(cuslim::Exit::usage);
    }
  std::string why = e.what();
  if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
  // CLI11's words for a stray argument: name what it is.
  for (const char* lead : {"the following argument was not expected: ", "the following arguments were not expected: "})
    if (why.rfind(lead, 0) == 0) {
      std::string arg = why.substr(std::strlen(lead));
      why = (arg.size() > 1 && arg[0] == '-' ? "unknown option " : "unexpected argument(s) ") + arg;
    }
  // "targets is required" (a positional, by its internal name): say which argument is missing.
  if (const std::string tail = " is required"; why.size() > tail.size() && why.ends_with(tail) && why[0] != '-' && cmd) {
    std::string name = why.substr(0, why.size() - tail.size());
    if (auto* opt = cmd->get_option_no_throw(name); opt && opt->get_positional()) {
      std::string upper = name;
      for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      why = "missing " + upper + " (" + opt->get_description() + ")";
    }
  }
  // "--gpu-arch: 1 required TEXT:LIST missing" and "--gpu-arch: At Most 1 required but received 2":
  // a missing value, an option given twice, said so.
  static const std::regex missing_value("(-[-A-Za-z0-9_]+): [0-9]+ required (\\S+) missing");
  static const std::regex too_many("(-[-A-Za-z0-9_]+): At Most ([0-9]+) required but received ([0-9]+)");
  if (std::smatch m; std::regex_match(why, m, missing_value))
    why = m[1].str() + ": needs a value (" + m[2].str() + ")";
  else if (std::regex_match(why, m, too_many))
    why = m[1].str() + ": given " + m[3].str() + " times; give it once (a list is comma-separated where the option takes one)";
  // "could not convert: --threads = x": the option and the value, as the other usage errors.
  if (const std::string lead = "could not convert: "; why.rfind(lead, 0) == 0 && why.find(" = ") != std::string::npos) {
    auto eq = why.find(" = ");
    why = why.substr(lead.size(), eq - lead.size()) + " '" + why.substr(eq + 3) + "': not a valid value";
  }
  std::cerr << "cuslim: " << (sub.empty() ? "" : sub + ": ") << why << "; see cuslim " << (sub.empty() ? "" : sub + " ") << "--help\n";
  return static_cast<int>(cuslim::Exit::usage);
}

// A usage error a command found after parsing (a bad --env, --gpu-arch or -o): in the same form
// as CLI11's, "cuslim: bundle: --env 'FOO': expected K=V; see cuslim bundle --help".
int command_usage_error(CLI::App& app, const cuslim::Error& e) {
  std::string sub;
  for (auto* c : app.get_subcommands()) sub = c->get_name();  // the command that ran
  std::string msg = e.message();
  if (sub.empty()) return cuslim::cli::report_error(e);
  bool named = msg.rfind(sub + ":", 0) == 0 || msg.rfind(sub + " ", 0) == 0;
  return cuslim::cli::report_error(cuslim::Error(cuslim::Exit::usage, (named ? "" : sub + ": ") + msg + "; see cuslim " + sub + " --help"));
}

}  // namespace

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
    return usage_error(app, e, argc, argv);
  } catch (const cli::Failure& f) {
    if (f.error.code() == Exit::usage) return command_usage_error(app, f.error);
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
