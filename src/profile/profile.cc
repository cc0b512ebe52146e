#include "profile/profile.h"

#include <yaml-cpp/yaml.h>

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

Error at(const std::string& file, const YAML::Mark& m, const std::string& what) {
  return bad_input(file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": " + what);
}

Result<std::vector<std::string>> strings(const YAML::Node& n, const std::string& file, const std::string& key) {
  std::vector<std::string> out;
  if (!n) return out;
  if (!n.IsSequence()) return at(file, n.Mark(), key + ": expected a list of strings");
  for (const auto& item : n) {
    if (!item.IsScalar()) return at(file, item.Mark(), key + ": expected a string");
    out.push_back(item.as<std::string>());
  }
  return out;
}

Result<ClassRule> parse_rule(const YAML::Node& n, const std::string& file) {
  if (!n.IsMap()) return at(file, n.Mark(), "classify: each rule must be a map");
  ClassRule r;
  std::string cls = n["class"] && n["class"].IsScalar() ? n["class"].as<std::string>() : "";
  auto parsed = parse_object_class(cls);
  if (!parsed) return at(file, n.Mark(), "classify: class must be one of driver, system, cuda, toolkit, app (got '" + cls + "')");
  r.cls = *parsed;
  r.rule = n["rule"] ? n["rule"].as<std::string>() : cls;
  r.capability = n["capability"] ? n["capability"].as<std::string>() : "";
  CUSLIM_TRY(r.names, strings(n["names"], file, "names"));
  CUSLIM_TRY(r.paths, strings(n["paths"], file, "paths"));
  auto lit = [](const std::string& g) { auto at = g.find_first_of("*?[\\"); return at == std::string::npos ? g.size() : at; };
  for (auto& g : r.names) r.name_lits.push_back(lit(g));
  for (auto& g : r.paths) r.path_lits.push_back(lit(g));
  if (n["regex"]) {
    r.regex_text = n["regex"].as<std::string>();
    try {
      r.regex.emplace(r.regex_text, std::regex::ECMAScript | std::regex::optimize);
    } catch (const std::regex_error& e) {
      return at(file, n["regex"].Mark(), std::string("regex: ") + e.what());
    }
  }
  if (r.names.empty() && r.paths.empty() && !r.regex) return at(file, n.Mark(), "classify: a rule needs names, paths or regex");
  return r;
}

Result<DlopenRule> parse_dlopen(const YAML::Node& n, const std::string& file) {
  if (!n.IsMap()) return at(file, n.Mark(), "dlopen: each edge must be a map with from and to");
  DlopenRule d;
  CUSLIM_TRY(d.from, strings(n["from"], file, "from"));
  if (!n["to"] || !n["to"].IsSequence()) return at(file, n.Mark(), "dlopen: to must be a list of name lists");
  for (const auto& group : n["to"]) {
    CUSLIM_TRY(auto names, strings(group, file, "to"));
    d.to.push_back(std::move(names));
  }
  return d;
}

Status parse_into(const YAML::Node& root, const std::string& file, Profile& p) {
  if (!root.IsMap()) return at(file, root.Mark(), "a profile must be a map");
  if (!root["name"] || !root["name"].IsScalar()) return at(file, root.Mark(), "name: required");
  p.name = root["name"].as<std::string>();
  std::string kind = root["kind"] && root["kind"].IsScalar() ? root["kind"].as<std::string>() : "base";
  auto parsed_kind = parse_profile_kind(kind);
  if (!parsed_kind) return at(file, root["kind"].Mark(), "kind: must be one of base, cuda, driver, framework (got '" + kind + "')");
  p.kind = *parsed_kind;
  p.description = root["description"] ? root["description"].as<std::string>() : "";
  p.glibc = root["glibc"] ? root["glibc"].as<std::string>() : "";
  CUSLIM_TRY(p.extends, strings(root["extends"], file, "extends"));
  CUSLIM_TRY(p.provides, strings(root["provides"], file, "provides"));
  CUSLIM_TRY(p.devices, strings(root["devices"], file, "devices"));
  CUSLIM_TRY(p.firmware, strings(root["firmware"], file, "firmware"));
  CUSLIM_TRY(p.library_dirs, strings(root["library_dirs"], file, "library_dirs"));
  CUSLIM_TRY(p.wheel_lib_dirs, strings(root["wheel_lib_dirs"], file, "wheel_lib_dirs"));
  CUSLIM_TRY(p.image_needs, strings(root["image_needs"], file, "image_needs"));
  CUSLIM_TRY(p.keep, strings(root["keep"], file, "keep"));
  if (auto c = root["classify"]) {
    if (!c.IsSequence()) return at(file, c.Mark(), "classify: expected a list of rules");
    for (const auto& n : c) {
      CUSLIM_TRY(auto r, parse_rule(n, file));
      p.rules.push_back(std::move(r));
    }
  }
  if (auto d = root["dlopen"]) {
    if (!d.IsSequence()) return at(file, d.Mark(), "dlopen: expected a list");
    for (const auto& n : d) {
      CUSLIM_TRY(auto e, parse_dlopen(n, file));
      p.dlopen.push_back(std::move(e));
    }
  }
  if (auto b = root["binaries"]) {
    if (!b.IsMap()) return at(file, b.Mark(), "binaries: expected a map of capability to names");
    for (const auto& kv : b) {
      CUSLIM_TRY(auto names, strings(kv.second, file, "binaries"));
      p.binaries[kv.first.as<std::string>()] = names;
    }
  }
  if (auto m = root["cuda_major_by_soname"]) {
    if (!m.IsMap()) return at(file, m.Mark(), "cuda_major_by_soname: expected a map");
    for (const auto& fam : m)
      for (const auto& kv : fam.second) p.cuda_major_by_soname[fam.first.as<std::string>()][kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  return ok_status();
}

}  // namespace

Result<Profile> Profile::parse(const std::string& text, const std::string& file) {
  Profile p;
  p.file = file;
  try {
    YAML::Node root = YAML::Load(text);
    CUSLIM_CHECK(parse_into(root, file, p));
  } catch (const YAML::Exception& e) {  // yaml-cpp reports syntax and conversion errors by throwing
    return at(file, e.mark, e.msg);
  }
  return p;
}

}  // namespace cuslim
