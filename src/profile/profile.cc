#include "profile/profile.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "core/path.h"
#include "core/yaml_schema.h"

namespace cuslim {

std::string to_string(ProfileKind k) {
  switch (k) {
    case ProfileKind::base: return "base";
    case ProfileKind::cuda: return "cuda";
    case ProfileKind::driver: return "driver";
    case ProfileKind::framework: return "framework";
  }
  return "base";
}

std::optional<ProfileKind> parse_profile_kind(const std::string& s) {
  for (auto k : {ProfileKind::base, ProfileKind::cuda, ProfileKind::driver, ProfileKind::framework})
    if (to_string(k) == s) return k;
  return std::nullopt;
}

namespace {

// A glob list whose '[' classes close and whose {placeholders} are among `placeholders`: a typo
// there matched nothing, in silence.
SchemaNode globs(std::vector<std::string> placeholders) {
  using namespace schema;
  std::string what = "file globs";
  for (size_t i = 0; i < placeholders.size(); ++i) what += (i ? ", " : " (placeholders: ") + placeholders[i] + (i + 1 == placeholders.size() ? ")" : "");
  return list(checked(what, [placeholders](const std::string& g) -> std::string {
    if (path::has_unclosed_bracket(g)) return "a '[' without its ']'";
    for (size_t i = 0; i < g.size(); ++i) {
      if (g[i] != '{') continue;
      size_t end = g.find('}', i);
      if (end == std::string::npos) return "a '{' without its '}'";
      std::string ph = g.substr(i, end - i + 1);
      if (std::find(placeholders.begin(), placeholders.end(), ph) == placeholders.end())
        return "unknown placeholder " + ph + (placeholders.empty() ? " (none is expanded here)" : "");
      i = end;
    }
    return "";
  }));
}

// A profile's name is what --base, extends: and reports say: a word (ubuntu24.04, nvidia-driver),
// not empty, not bytes a terminal would act on.
std::string profile_name_problem(const std::string& v) {
  if (v.empty()) return "empty";
  bool word = std::all_of(v.begin(), v.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'; });
  return word ? "" : "not a profile name";
}

}  // namespace

const SchemaNode& profile_schema() {
  using namespace schema;
  static const SchemaNode s = [] {
    std::vector<std::string> classes, kinds;
    for (auto c : kObjectClasses) classes.push_back(to_string(c));
    for (auto k : {ProfileKind::base, ProfileKind::cuda, ProfileKind::driver, ProfileKind::framework}) kinds.push_back(to_string(k));
    SchemaNode rule = map({required("class", one_of(classes)), optional("rule", string()), optional("capability", string()),
                           optional("names", globs({})), optional("paths", globs({})), optional("regex", regex())},
                          {"names", "paths", "regex"});
    SchemaNode edge = map({required("from", globs({})), required("to", list(globs({"{major}", "{minor}", "{version}", "{cuda_major}", "{cuda_minor}", "{lib_major}", "{lib_minor}", "{lib_version}"}))),
                           optional("same_cuda", one_of({"true", "false"})), optional("cuda_exact", one_of({"true", "false"})),
                           optional("required", one_of({"true", "false"}))});
    const std::vector<std::string> jit_ph = {"{site}", "{prefix}", "{version}"};
    SchemaNode part = map({required("what", string()), optional("any", globs(jit_ph)), optional("programs", strings())}, {"any", "programs"});
    SchemaNode need = map({required("what", string()), optional("any", globs(jit_ph)), optional("programs", strings()), optional("keep", globs(jit_ph)),
                           optional("parts", list(part))},
                          {"any", "programs"});
    SchemaNode jit = map({required("framework", string()), required("when", strings()), optional("requires", strings()), required("consequence", string()),
                          optional("files", globs({})), optional("needs", list(need)),
                          optional("optional_for", strings())});
    SchemaNode fwd = map({required("dirs", strings()), required("package", string()), required("ld_so_conf", string()), optional("injected_dirs", strings())});
    return map({required("name", checked("a profile name (letters, digits, . _ -)", profile_name_problem)), optional("kind", one_of(kinds)), optional("description", string()),
                optional("extends", strings()), optional("glibc", string()), optional("provides", globs({})),
                optional("classify", list(rule)), optional("dlopen", list(edge)), optional("binaries", dict(strings())),
                optional("devices", globs({})), optional("firmware", globs({"{version}"})), optional("library_dirs", strings()),
                optional("wheel_lib_dirs", globs({})), optional("image_needs", strings()), optional("keep", globs({})),
                optional("python_companions", dict(strings())), optional("link_only", globs({})), optional("profiler_only", globs({})), optional("jit", list(jit)), optional("cuda_major_by_soname", dict(dict(string()))),
                optional("forward_compat", fwd)});
  }();
  return s;
}

namespace {

// The readers below take a document profile_schema() accepted: types, enums and regexes hold.
std::vector<std::string> strings(const YAML::Node& n) { return n ? n.as<std::vector<std::string>>() : std::vector<std::string>{}; }

std::string text(const YAML::Node& n, const std::string& fallback = "") { return n ? n.Scalar() : fallback; }

ClassRule parse_rule(const YAML::Node& n) {
  ClassRule r;
  r.cls = *parse_object_class(n["class"].Scalar());
  r.rule = text(n["rule"], n["class"].Scalar());
  r.capability = text(n["capability"]);
  r.names = strings(n["names"]);
  r.paths = strings(n["paths"]);
  auto lit = [](const std::string& g) { auto at = g.find_first_of("*?[\\"); return at == std::string::npos ? g.size() : at; };
  for (auto& g : r.names) r.name_lits.push_back(lit(g));
  for (auto& g : r.paths) r.path_lits.push_back(lit(g));
  if (n["regex"]) r.regex_text = n["regex"].Scalar();  // the schema compiled it once: it is valid
  return r;
}

JitFramework parse_jit(const YAML::Node& n) {
  JitFramework j{.name = n["framework"].Scalar(), .when = strings(n["when"]), .requires_ = strings(n["requires"]), .consequence = n["consequence"].Scalar(), .files = strings(n["files"]),
                 .optional_for = strings(n["optional_for"])};
  for (const auto& need : n["needs"]) {
    JitNeed x{.what = need["what"].Scalar(), .any = strings(need["any"]), .programs = strings(need["programs"]), .keep = strings(need["keep"])};
    for (const auto& part : need["parts"]) x.parts.push_back({.what = part["what"].Scalar(), .any = strings(part["any"]), .programs = strings(part["programs"])});
    j.needs.push_back(std::move(x));
  }
  return j;
}

DlopenRule parse_dlopen(const YAML::Node& n) {
  DlopenRule d;
  d.from = strings(n["from"]);
  for (const auto& group : n["to"]) d.to.push_back(strings(group));
  d.same_cuda = n["same_cuda"] && n["same_cuda"].Scalar() == "true";
  d.cuda_exact = n["cuda_exact"] && n["cuda_exact"].Scalar() == "true";
  d.required = n["required"] && n["required"].Scalar() == "true";
  return d;
}

void parse_into(const YAML::Node& root, Profile& p) {
  p.name = root["name"].Scalar();
  p.kind = *parse_profile_kind(text(root["kind"], "base"));
  p.description = text(root["description"]);
  p.glibc = text(root["glibc"]);
  p.extends = strings(root["extends"]);
  p.provides = strings(root["provides"]);
  p.devices = strings(root["devices"]);
  p.firmware = strings(root["firmware"]);
  p.library_dirs = strings(root["library_dirs"]);
  p.wheel_lib_dirs = strings(root["wheel_lib_dirs"]);
  p.image_needs = strings(root["image_needs"]);
  p.keep = strings(root["keep"]);
  for (const auto& n : root["classify"]) p.rules.push_back(parse_rule(n));
  for (const auto& n : root["dlopen"]) p.dlopen.push_back(parse_dlopen(n));
  for (const auto& kv : root["binaries"]) p.binaries[kv.first.Scalar()] = strings(kv.second);
  for (const auto& n : root["jit"]) p.jit.push_back(parse_jit(n));
  for (const auto& kv : root["python_companions"]) p.python_companions[kv.first.Scalar()] = strings(kv.second);
  p.link_only = strings(root["link_only"]);
  p.profiler_only = strings(root["profiler_only"]);
  if (auto f = root["forward_compat"])
    p.forward_compat = {.dirs = strings(f["dirs"]), .package = f["package"].Scalar(), .ld_so_conf = f["ld_so_conf"].Scalar(),
                        .injected_dirs = strings(f["injected_dirs"])};
  for (const auto& fam : root["cuda_major_by_soname"])
    for (const auto& kv : fam.second) p.cuda_major_by_soname[fam.first.Scalar()][kv.first.Scalar()] = kv.second.Scalar();
}

}  // namespace

Result<Profile> Profile::parse(const std::string& text, const std::string& file) {
  Profile p;
  p.file = file;
  try {
    if (yaml_has_second_document(text)) return bad_input(file + ": holds more than one YAML document (---); a profile file is one");
    YAML::Node root = YAML::Load(text);
    CUSLIM_CHECK(validate(root, profile_schema(), file));
    parse_into(root, p);
  } catch (const YAML::Exception& e) {  // yaml-cpp reports syntax errors by throwing
    // yaml-cpp's depth guard says only "bad file": say what it means.
    std::string why = e.msg == "bad file" ? "nested too deeply (or unreadable)" : e.msg;
    return bad_input(file + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ": " + why);
  }
  return p;
}

bool jit_framework_present(const std::vector<std::string>& when, const std::vector<std::string>& requires_,
                           const std::set<std::string>& present) {
  bool any = false, all = true;
  for (auto& w : when) any = any || present.count(w) > 0;
  for (auto& r : requires_) all = all && present.count(r) > 0;
  return any && all;
}

const std::regex& rule_regex(const ClassRule& r) {
  static std::mutex mu;
  static std::unordered_map<std::string, std::unique_ptr<const std::regex>> compiled;
  std::lock_guard lock(mu);
  auto& re = compiled[r.regex_text];
  if (!re) re = std::make_unique<const std::regex>(r.regex_text, std::regex::ECMAScript | std::regex::optimize);
  return *re;
}

}  // namespace cuslim
