// cuslim deps: the dependency graph glibc's loader would build, without running anything.
#include <unistd.h>

#include "cli/command.h"
#include "cli/deps_render.h"
#include "cli/analysis_flags.h"

namespace cuslim::cli {

namespace {

struct DepsOptions {
  std::vector<std::string> targets;
  std::string format = "tree";
  AnalysisFlags setup;
};

Exit run_deps(const DepsOptions& o) {
  auto a = take(Analysis::make(o.setup.options()));
  auto targets = a.check_targets(o.targets);
  Exit worst = Exit::ok;
  for (auto& e : targets.bad) worst = std::max(worst, static_cast<Exit>(report_error(e)));
  if (targets.ok.empty()) return worst;
  DepGraph g = take(a.resolve(targets.ok));
  if (o.format == "json") render_json(g, std::cout);
  else if (o.format == "list") render_list(g, std::cout);
  else if (o.format == "dot") render_dot(g, std::cout);
  else render_tree(g, std::cout, {isatty(STDOUT_FILENO) == 1 && !getenv("NO_COLOR")});
  return std::max(worst, g.missing.empty() ? Exit::ok : Exit::check_failed);
}

}  // namespace

void add_deps(CLI::App& app, RunState& state) {
  auto o = std::make_shared<DepsOptions>();
  auto* cmd = app.add_subcommand("deps", "Show the shared objects TARGETs load, found exactly as glibc's ld.so would");
  cmd->add_option("targets", o->targets, "ELF programs or libraries (paths inside --root)")->required();
  cmd->add_option("--format", o->format, "tree (like libtree), list (like ldd), json, dot")
      ->check(CLI::IsMember({"tree", "list", "json", "dot"}))
      ->capture_default_str();
  o->setup.add_to(*cmd);
  cmd->footer(
      "Examples:\n"
      "  cuslim deps /usr/bin/ssh\n"
      "  cuslim deps --format json /usr/local/cuda/lib64/libcublas.so.13\n"
      "  cuslim deps --root ./rootfs /usr/bin/python3 --format list\n"
      "  cuslim deps --format dot app | dot -Tsvg > deps.svg\n"
      "Several targets: each bad one is reported, the rest are shown; the exit code is the worst.\n"
      "Exit: 0 all resolved, 1 something is missing, 3 unreadable input.");
  cmd->callback([o, &state] { state.exit = run_deps(*o); });
}

}  // namespace cuslim::cli
