#include "cli/usage_error.h"

#include <cctype>
#include <cstring>
#include <iostream>
#include <regex>
#include <string>

#include "cli/command.h"
#include "core/yaml_schema.h"  // edit_distance

namespace cuslim::cli {

// CLI11's usage errors in cuslim's form, "cuslim: <what>: <why>", with where to look next:
// "cuslim: unknown command 'foo'; see cuslim --help", "cuslim: bundle: --out is required; see cuslim bundle --help".
int usage_error(CLI::App& app, const CLI::ParseError& e, int argc, char** argv) {
  std::string first = argc > 1 ? argv[1] : "";
  bool known = false;
  std::string closest;
  for (auto* sub : app.get_subcommands({})) {
    known |= sub->get_name() == first;
    if (!first.empty() && edit_distance(first, sub->get_name()) <= 2) closest = sub->get_name();
  }
  if (first.size() > 1 && first[0] == '-' && !known) {
    std::cerr << "cuslim: unknown option '" << first << "' (options follow the command: cuslim COMMAND [OPTIONS]); see cuslim --help\n";
    return static_cast<int>(Exit::usage);
  }
  if (first.empty() || (first[0] != '-' && !known)) {
    std::cerr << "cuslim: " << (first.empty() ? "no command given" : "unknown command '" + first + "'")
              << (closest.empty() ? "" : " (did you mean '" + closest + "'?)") << "; see cuslim --help\n";
    return static_cast<int>(Exit::usage);
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
          if (size_t d = edit_distance(name, "--" + lname); d < best) best = d, meant = "--" + lname;
      // `report` writes its page with -o: the other commands' --report is the likely slip.
      if (meant.empty() && name == "--report" && cmd->get_option_no_throw("-o")) meant = "-o";
      std::cerr << "cuslim: " << sub << ": unknown option " << name << (meant.empty() ? "" : " (did you mean " + meant + "?)")
                << "; see cuslim " << sub << " --help\n";
      return static_cast<int>(Exit::usage);
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
  return static_cast<int>(Exit::usage);
}

// A usage error a command found after parsing (a bad --env, --gpu-arch or -o): in the same form
// as CLI11's, "cuslim: bundle: --env 'FOO': expected K=V; see cuslim bundle --help".
int command_usage_error(CLI::App& app, const Error& e) {
  std::string sub;
  for (auto* c : app.get_subcommands()) sub = c->get_name();  // the command that ran
  std::string msg = e.message();
  if (sub.empty()) return cli::report_error(e);
  bool named = msg.rfind(sub + ":", 0) == 0 || msg.rfind(sub + " ", 0) == 0;
  return cli::report_error(Error(Exit::usage, (named ? "" : sub + ": ") + msg + "; see cuslim " + sub + " --help"));
}

}  // namespace cuslim::cli
