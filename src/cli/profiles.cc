// cuslim profiles [list | show NAME]: the YAML profiles in force.
#include <yaml-cpp/yaml.h>

#include "cli/command.h"
#include "profile/embedded_profiles.h"
#include "profile/profile_set.h"

namespace cuslim::cli {

namespace {

struct ProfilesOptions {
  std::string action = "list";
  std::string name;
  std::vector<std::string> files;
};

Exit run_profiles(const ProfilesOptions& o) {
  auto set = take(ProfileSet::builtin());
  for (auto& f : o.files) take(set.add_file(f));
  if (o.action == "list") {
    for (auto* p : set.all()) std::cout << p->name << "\t" << to_string(p->kind) << "\t" << p->description << "\n";
    return Exit::ok;
  }
  if (o.name.empty()) fail(Error(Exit::usage, "profiles show: which profile? (cuslim profiles list)"));
  Profile p = take(set.resolved(o.name));
  std::cout << "# " << p.name << " (" << to_string(p.kind) << ") from " << p.file << "\n# " << p.description << "\n";
  if (!p.extends.empty()) {
    std::cout << "# extends:";
    for (auto& e : p.extends) std::cout << " " << e;
    std::cout << " (merged below)\n";
  }
  for (auto& r : p.rules) {
    std::cout << to_string(r.cls) << "\t" << r.rule << (r.capability.empty() ? "" : " [" + r.capability + "]") << "\t";
    for (auto& n : r.names) std::cout << n << " ";
    for (auto& n : r.paths) std::cout << n << " ";
    if (r.regex) std::cout << "/" << r.regex_text << "/";
    std::cout << "\n";
  }
  for (auto& n : p.provides) std::cout << "system\tprovides\t" << n << "\n";
  for (auto& d : p.dlopen) {
    std::cout << "dlopen\t";
    for (auto& f : d.from) std::cout << f << " ";
    std::cout << "->";
    for (auto& g : d.to) {
      std::cout << " ";
      for (size_t i = 0; i < g.size(); ++i) std::cout << (i ? "|" : "") << g[i];
    }
    std::cout << "\n";
  }
  for (auto& d : p.devices) std::cout << "device\t" << d << "\n";
  for (auto& f : p.firmware) std::cout << "firmware\t" << f << "\n";
  for (auto& [cap, bins] : p.binaries)
    for (auto& b : bins) std::cout << "binary\t" << cap << "\t" << b << "\n";
  return Exit::ok;
}

}  // namespace

void add_profiles(CLI::App& app, RunState& state) {
  auto o = std::make_shared<ProfilesOptions>();
  auto* cmd = app.add_subcommand("profiles", "List the YAML profiles (driver, cuda, bases, frameworks) or show one");
  cmd->add_option("action", o->action, "list | show")->check(CLI::IsMember({"list", "show"}))->capture_default_str();
  cmd->add_option("name", o->name, "Profile to show (extends merged in)");
  cmd->add_option("--profile", o->files, "Extra YAML profile file (repeatable)")->allow_extra_args(false);
  cmd->footer("Examples:\n  cuslim profiles list\n  cuslim profiles show nvidia-driver\n  cuslim profiles --profile my.yaml show mybase");
  cmd->callback([o, &state] { state.exit = run_profiles(*o); });
}

}  // namespace cuslim::cli
