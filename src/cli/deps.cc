// cuslim deps: the dependency graph glibc's loader would build, without running anything.
#include <unistd.h>

#include <map>

#include "cli/analysis_flags.h"
#include "cli/command.h"
#include "loader/target_info.h"
#include "report/deps_views.h"

namespace cuslim::cli {

namespace {

struct DepsOptions {
  std::vector<std::string> targets;
  std::string format = "tree";
  int verbosity = 0, max_depth = 0;
  AnalysisFlags setup;
};

Exit run_deps(const DepsOptions& o) {
  auto a = take(Analysis::make(o.setup.options()));
  auto targets = a.check_targets(o.targets);
  Exit worst = Exit::ok;
  for (auto& e : targets.bad) worst = std::max(worst, static_cast<Exit>(report_error(e)));
  if (targets.ok.empty()) {  // a machine reader still gets a document: the empty graph
    if (o.format == "json") render_json(DepGraph{}, {}, std::cout);
    else if (o.format == "dot") render_dot(DepGraph{}, std::cout);
    return worst;
  }
  // A target of another machine than the root's finds nothing there: said once, before the tree.
  std::map<std::string, TargetInfo> infos;  // keyed as the graph's roots are
  const auto machine = root_machine(a.root());
  for (auto& t : targets.ok)
    if (auto elf = a.object(t); elf->ok()) {  // read once: check_targets read it, resolve reuses it
      auto& info = infos[a.target_path(t)] = target_info(elf->value(), machine);
      if (machine && *machine != info.machine) info.multilib = root_loads(a.root(), a.resolver().ld_cache(), info.machine, info.elf_class);
      if (info.foreign()) std::cerr << "cuslim: " << terminal_safe(t + ": " + describe(info)) << "\n";
    }
  if (o.max_depth && o.format != "tree") std::cerr << "cuslim: deps: --max-depth applies to the tree view; --format " << o.format << " shows the whole graph\n";
  DepGraph g = take(a.resolve(targets.ok));
  for (auto& p : g.passed_over) print_warning(describe(p));
  for (auto& m : g.dlopen_unmet) print_warning(describe_unmet(m));
  if (o.format == "json") render_json(g, infos, std::cout);
  else if (o.format == "list") render_list(g, std::cout);
  else if (o.format == "dot") render_dot(g, std::cout);
  else {
    DepsViewOptions ro{.color = isatty(STDOUT_FILENO) == 1 && !getenv("NO_COLOR"), .verbosity = o.verbosity, .max_depth = o.max_depth};
    ro.header = [&](const std::string& root) { return infos.count(root) ? describe(infos.at(root)) : ""; };
    ro.search_paths = [&](const std::string& path) { return own_search_paths(a.root(), path); };
    render_tree(g, std::cout, ro);
  }
  return std::max(worst, g.missing.empty() ? Exit::ok : Exit::check_failed);
}

}  // namespace

void add_deps(CLI::App& app, RunState& state) {
  auto o = std::make_shared<DepsOptions>();
  auto* cmd = app.add_subcommand("deps", "Show the shared objects TARGETs load, found exactly as glibc's ld.so would");
  cmd->add_option("targets", o->targets, "ELF programs or libraries (paths inside --root)")->required();
  auto* format = cmd->add_option("--format", o->format, "tree (like libtree), list (like ldd), json, dot")
                     ->check(CLI::IsMember({"tree", "list", "json", "dot"}))
                     ->capture_default_str();
  cmd->add_flag_callback("--json", [o] { o->format = "json"; }, "The same as --format json (as --json on the other commands)")->excludes(format);
  cmd->add_flag("-v,--verbose", o->verbosity,
                "Tree: -v shows the system and driver libraries (folded into one line by default); -vv also repeats "
                "(each object is shown once by default) and each object's own RPATH/RUNPATH");
  cmd->add_option("--max-depth", o->max_depth,
                  "Tree: show this many levels below each target (default: 0, no limit but the view's own 1000); '...' marks a cut (the tree view only: "
                  "list, json and dot always hold the whole graph)")
      ->check(whole_number());
  o->setup.add_to(*cmd);
  cmd->footer(
      "Examples:\n"
      "  cuslim deps /usr/bin/ssh                     # each object once; system and driver libraries folded\n"
      "  cuslim deps -v /usr/bin/ssh                  # ... shown\n"
      "  cuslim deps -vv --max-depth 2 /usr/bin/ssh   # repeats too, with each object's RPATH/RUNPATH\n"
      "  cuslim deps --format json /usr/local/cuda/lib64/libcublas.so.13\n"
      "  cuslim deps --root ./rootfs /usr/bin/python3 --format list\n"
      "  cuslim deps --format dot app | dot -Tsvg > deps.svg\n"
      "Several targets: each bad one is reported, the rest are shown; the exit code is the worst.\n"
      "Exit: 0 all resolved, 1 something is missing, 2 usage, 3 unreadable input.");
  cmd->callback([o, &state] { state.exit = run_deps(*o); });
}

}  // namespace cuslim::cli
