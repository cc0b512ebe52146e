// Usage errors in cuslim's form, "cuslim: <command>: <what>: <why>; see cuslim <command> --help":
// CLI11's parse errors reworded (a mistyped option named with the one it most likely meant, a
// missing positional by its name, an option given twice), and those a command finds after parsing.
#pragma once

#include <CLI/CLI.hpp>

#include "core/error.h"

namespace cuslim::cli {

// A CLI11 parse error (not --help or --version) as cuslim prints it; returns the usage exit code.
int usage_error(CLI::App& app, const CLI::ParseError& e, int argc, char** argv);

// A usage error a command found after parsing (a bad --env, --gpu-arch or -o), in the same form.
int command_usage_error(CLI::App& app, const Error& e);

}  // namespace cuslim::cli
