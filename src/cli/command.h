// What every subcommand file provides: a registration function that adds its CLI11 subcommand.
// The callback fills an options struct, calls the library and renders; errors travel up as
// cuslim::Error and are printed once by main.
#pragma once

#include <CLI/CLI.hpp>
#include <algorithm>
#include <functional>
#include <iostream>
#include <string>
#include <string_view>

#include "cli/progress.h"
#include "core/error.h"
#include "core/terminal_text.h"
#include "prune/gpu_arch.h"
#include "profile/cuda_compat.h"

namespace cuslim::cli {

// The exit code the chosen subcommand produced (set by its callback).
struct RunState {
  Exit exit = Exit::ok;
};

// Thrown by callbacks; main prints "cuslim: <message>" and exits with the code.
struct Failure {
  Error error;
};

[[noreturn]] inline void fail(const Error& e) { throw Failure{e}; }

// An empty value ('' from an unset $VAR) is a usage error for every option that takes one: it was
// read as "not given" (--tag '', --entrypoint '', -j '') or as "/" (--include ''). Not for a
// command's own arguments (run IMAGE -- sh -c '') nor where '' means something (--ld-library-path).
inline void refuse_empty_values(CLI::App& app) {
  static const std::string_view kMayBeEmpty[] = {"cmd", "--ld-library-path", "--env"};
  for (auto* cmd : app.get_subcommands({}))
    for (auto* opt : cmd->get_options({}))
      if (opt->get_type_size_max() > 0 && std::find(std::begin(kMayBeEmpty), std::end(kMayBeEmpty), opt->get_name()) == std::end(kMayBeEmpty))
        opt->check(CLI::Validator([](std::string& v) { return v.empty() ? std::string("an empty value") : std::string(); }, "", "non-empty"));
}

// A count or a number of seconds: a whole number, 0 or more ("-3" or "x" is a usage error that
// says so, not CLI11's range of doubles).
inline CLI::Validator whole_number() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) return "'" + s + "' is not a whole number (0 or more)";
        return s.size() <= 9 ? "" : "'" + s + "' is out of range (0 to 999999999)";
      },
      "N");
}

// A file to write (-o, --report, --junit, --digestfile): an empty name (an unset $VAR) is a usage
// error, never an output silently skipped.
inline CLI::Validator file_name() {
  return CLI::Validator([](std::string& s) -> std::string { return s.empty() ? "an empty name: give a file" : ""; }, "FILE");
}

// A driver version: two or three numbers ("580.65.06"); "", "575.51.x" or "580.65.06.1" is a
// usage error that says so.
inline CLI::Validator driver_version() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        return Version::parse_driver(s) ? "" : "'" + s + "' is not a driver version like 580.65.06";
      },
      "VERSION");
}

// --gpu-arch LIST: checked when given (an empty value too), with parse_gpu_archs's words.
inline CLI::Validator gpu_arch_list() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        auto archs = parse_gpu_archs(s);
        if (archs.ok()) return "";
        std::string m = archs.error().message();
        return m.rfind("--gpu-arch", 0) == 0 && m.find(": ") != std::string::npos ? m.substr(m.find(": ") + 2) : m;
      },
      "LIST");
}

// "cuslim: warning: <text>" (or "notice") on stderr, control bytes shown as \xNN.
inline void print_warning(std::string_view text, const char* kind = "warning") {
  std::cerr << "cuslim: " << kind << ": " << terminal_safe(text) << "\n";
}

// Prints "cuslim: <message>" once, after whatever was written to stdout; returns the exit code.
inline int report_error(const Error& e) {
  end_progress_line();
  std::cout.flush();
  std::cerr << "cuslim: " << terminal_safe(e.message()) << "\n";
  return static_cast<int>(e.code());
}
template <class T>
T take(Result<T> r) {
  if (!r.ok()) fail(r.error());
  return std::move(r).value();
}

void add_deps(CLI::App& app, RunState& state);
void add_profiles(CLI::App& app, RunState& state);
void add_driver(CLI::App& app, RunState& state);
void add_inspect(CLI::App& app, RunState& state);
void add_bundle(CLI::App& app, RunState& state);
void add_build(CLI::App& app, RunState& state);
void add_run(CLI::App& app, RunState& state);
void add_trace(CLI::App& app, RunState& state);
void add_slim(CLI::App& app, RunState& state);
void add_verify(CLI::App& app, RunState& state);
void add_report(CLI::App& app, RunState& state);

}  // namespace cuslim::cli
