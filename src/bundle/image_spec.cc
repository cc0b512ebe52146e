#include "bundle/image_spec.h"

#include <yaml-cpp/yaml.h>

#include <set>

namespace cuslim {

Result<ImageSpec> read_image_spec(const std::string& file) {
  static const std::set<std::string> known = {"name", "targets", "include", "out", "format", "compression",
                                              "tag", "base", "entrypoint", "env", "root", "description", "trace"};
  ImageSpec s;
  try {
    YAML::Node n = YAML::LoadFile(file);
    if (!n.IsMap()) return bad_input(file + ": an image spec must be a map");
    for (const auto& kv : n) {
      std::string k = kv.first.as<std::string>();
      if (!known.count(k))
        return bad_input(file + ":" + std::to_string(kv.first.Mark().line + 1) + ":" + std::to_string(kv.first.Mark().column + 1) +
                         ": unknown key '" + k + "'");
    }
    auto str = [&](const char* k, std::string& v) { if (n[k]) v = n[k].as<std::string>(); };
    auto list = [&](const char* k, std::vector<std::string>& v) { if (n[k]) v = n[k].as<std::vector<std::string>>(); };
    str("name", s.name);
    str("out", s.out);
    str("format", s.format);
    str("compression", s.compression);
    str("tag", s.tag);
    str("base", s.base);
    str("root", s.root);
    list("targets", s.targets);
    list("include", s.include);
    list("env", s.env);
    list("trace", s.trace);
    if (n["entrypoint"]) s.entrypoint = n["entrypoint"].as<std::string>();
  } catch (const YAML::BadFile&) {
    return Error::from_errno(file, errno);
  } catch (const YAML::Exception& e) {
    return bad_input(file + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (s.name.empty()) return bad_input(file + ": name: required");
  if (s.out.empty()) s.out = "out/" + s.name;
  if (s.tag.empty()) s.tag = s.name;
  return s;
}

}  // namespace cuslim
