// cuslim profiles [list | show NAME | classify PATH...]: the YAML profiles in force.
#include <yaml-cpp/yaml.h>

#include "cli/command.h"
#include <nlohmann/json.hpp>

#include "core/path.h"
#include "profile/classifier.h"
#include "profile/embedded_profiles.h"
#include "profile/profile_set.h"

namespace cuslim::cli {

namespace {

struct ProfilesOptions {
  std::string action = "list";
  std::vector<std::string> names;
  std::vector<std::string> files;
  std::string base = "glibc";
  bool base_given = false;  // --base is classify's: with list or show it would be ignored
  bool json = false;
};

// classify PATH...: the class and rule of each path (in-root paths; nothing is read).
Exit classify_paths(const ProfileSet& set, const std::vector<std::string>& user, const ProfilesOptions& o) {
  if (o.names.empty()) fail(Error(Exit::usage, "profiles classify: which paths?"));
  auto c = take(Classifier::make(set, o.base, user));
  nlohmann::json out = nlohmann::json::array();
  for (auto& p : o.names) {
    auto k = c.classify(p, p, std::nullopt, path::basename(p));
    if (o.json) out.push_back({{"path", p}, {"class", to_string(k.cls)}, {"rule", k.rule}, {"jit_when", k.jit_when}});
    else {
      std::cout << p << "\t" << to_string(k.cls) << "\t" << (k.rule.empty() ? "-" : k.rule);
      if (!k.jit_when.empty()) {
        std::cout << "\t(run-time when one of these ships:";
        for (auto& w : k.jit_when) std::cout << " " << w;
        std::cout << "; toolkit otherwise)";
      }
      std::cout << "\n";
    }
  }
  if (o.json) std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  return Exit::ok;
}

Exit run_profiles(const ProfilesOptions& o) {
  auto set = take(ProfileSet::builtin());
  std::vector<std::string> user = take(set.add_files(o.files));
  if (o.action == "classify") return classify_paths(set, user, o);
  if (o.base_given) fail(Error(Exit::usage, "profiles " + o.action + ": --base is for classify (it names the base profile paths are classified against)"));
  if (o.action == "list") {
    if (!o.names.empty()) fail(Error(Exit::usage, "profiles list takes no NAME (got '" + o.names[0] + "'; show one with: cuslim profiles show NAME)"));
    nlohmann::json out = nlohmann::json::array();
    for (auto* p : set.all())
      if (o.json) out.push_back({{"name", p->name}, {"kind", to_string(p->kind)}, {"description", p->description}, {"file", p->file}});
      else std::cout << p->name << "\t" << to_string(p->kind) << "\t" << p->description << "\n";
    if (o.json) std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return Exit::ok;
  }
  if (o.json) fail(Error(Exit::usage, "profiles show has no JSON form (--json is for list and classify): the profile's YAML file is its machine-readable form"));
  if (o.names.empty()) fail(Error(Exit::usage, "profiles show: which profile? (cuslim profiles list)"));
  if (o.names.size() > 1) fail(Error(Exit::usage, "profiles show: one profile at a time (got " + std::to_string(o.names.size()) + ")"));
  Profile p = take(set.resolved(o.names[0]));
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
    if (!r.regex_text.empty()) std::cout << "/" << r.regex_text << "/";
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
  for (auto& j : p.jit) {
    std::cout << "jit\t" << j.name << " (when:";
    for (auto& w : j.when) std::cout << " " << w;
    if (!j.requires_.empty()) std::cout << "; with:";
    for (auto& w : j.requires_) std::cout << " " << w;
    if (!j.optional_for.empty()) std::cout << "; optional for:";
    for (auto& w : j.optional_for) std::cout << " " << w;
    std::cout << ")\t";
    for (auto& f : j.files) std::cout << f << " ";
    std::cout << "\n";
    for (auto& n : j.needs) std::cout << "jit-needs\t" << j.name << "\t" << n.what << "\n";
  }
  for (auto& [cap, bins] : p.binaries)
    for (auto& b : bins) std::cout << "binary\t" << cap << "\t" << b << "\n";
  return Exit::ok;
}

}  // namespace

void add_profiles(CLI::App& app, RunState& state) {
  auto o = std::make_shared<ProfilesOptions>();
  auto* cmd = app.add_subcommand("profiles", "List the YAML profiles (driver, cuda, bases, frameworks) or show one");
  cmd->add_option("action", o->action, "list | show | classify")->check(CLI::IsMember({"list", "show", "classify"}))->capture_default_str();
  cmd->add_option("name", o->names, "show: the profile (extends merged in); classify: in-root paths");
  auto* base = cmd->add_option("--base", o->base, "classify: the base profile (what counts as class system)")->capture_default_str();
  cmd->add_flag("--json", o->json, "list, classify: JSON output");
  cmd->add_option("--profile", o->files, "Extra YAML profile file (repeatable)")->allow_extra_args(false);
  cmd->footer("Examples:\n  cuslim profiles list\n  cuslim profiles show nvidia-driver\n  cuslim profiles --profile my.yaml show mybase\n"
      "  cuslim profiles classify /venv/lib/python3.12/site-packages/triton/backends/nvidia/bin/ptxas /usr/local/cuda/bin/nvcc\n"
      "Exit: 0; 2 unknown profile or action; 3 unreadable or invalid profile.");
  cmd->callback([o, base, &state] {
    o->base_given = base->count() > 0;
    state.exit = run_profiles(*o);
  });
}

}  // namespace cuslim::cli
