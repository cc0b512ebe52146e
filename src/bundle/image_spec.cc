#include "bundle/image_spec.h"

#include <yaml-cpp/yaml.h>

#include "bundle/bundle.h"
#include "core/fs.h"
#include "image/image_reader.h"
#include "image/transport_spelling.h"
#include "profile/cuda_compat.h"
#include "profile/profile_set.h"
#include "prune/gpu_arch.h"

namespace cuslim {

namespace {

// A base is a built-in profile's name or an image (a path that exists, or a transport).
std::string known_base(const std::string& v) {
  if (names_image(v)) return "";
  auto set = ProfileSet::builtin();
  const Profile* named = set.ok() ? set->find(v) : nullptr;
  if (named && named->kind == ProfileKind::base) return "";
  std::string known;
  if (set.ok())
    for (auto* p : set->all())
      if (p->kind == ProfileKind::base) known += (known.empty() ? "" : ", ") + p->name;
  if (named) return "the profile '" + v + "' is not a base profile (bases: " + known + ")";
  return "neither a built-in base profile (" + known + ") nor an image that exists";
}

// name (the default tag) and tag: an OCI ref.name, as --tag takes it.
std::string valid_tag(const std::string& v) {
  if (v.empty()) return "empty";
  return check_oci_tag("", v).ok() ? "" : "not a valid tag (letters and digits joined by . _ - : @ + or /)";
}

// A path or a program: empty (an unset variable in a templated spec) is refused, as the flags' ''.
SchemaNode path_string() {
  return schema::checked("a path", [](const std::string& v) { return v.empty() ? "empty" : ""; });
}

}  // namespace

const SchemaNode& image_spec_schema() {
  using namespace schema;
  static const SchemaNode s =
      map({required("name", checked("an image name (an OCI ref.name)", valid_tag)), optional("description", string()), optional("targets", list(path_string())),
           optional("include", list(path_string())), optional("out", path_string()), optional("format", one_of(format_names())),
           optional("compression", one_of({"gzip", "zstd"})), optional("layers", one_of({"auto", "single"})), optional("tag", checked("a tag (an OCI ref.name)", valid_tag)),
           optional("base", checked("a base profile (scratch, glibc, debian12, ...) or an image", known_base)),
           optional("entrypoint", path_string()), optional("env", list(env_entry())), optional("root", path_string()),
           optional("trace", list(path_string())), optional("python_keep", one_of({"package", "file"})), optional("jit", one_of({"true", "false"})),
           optional("gpu_arch", one_or_list(checked("compute capabilities such as 90 or 80,90",
                                        [](const std::string& v) { return parse_gpu_archs(v).ok() ? "" : "not a list of compute capabilities"; }))),
           optional("prune_nvidia", one_of({"true", "false"})), optional("forward_compat", one_of({"auto", "always", "never"})),
           optional("min_driver", checked("a driver version like 580.65.06",
                                          [](const std::string& v) { return Version::parse_driver(v) ? "" : "not a driver version"; }))});
  return s;
}

namespace {

// Reads a document image_spec_schema() accepted.
ImageSpec spec_of(const YAML::Node& n) {
  ImageSpec s;
  auto str = [&](const char* k, std::string& v) { if (n[k]) v = n[k].Scalar(); };
  auto list = [&](const char* k, std::vector<std::string>& v) { if (n[k]) v = n[k].as<std::vector<std::string>>(); };
  str("name", s.name);
  str("out", s.out);
  str("format", s.format);
  str("compression", s.compression);
  str("layers", s.layers);
  str("tag", s.tag);
  str("base", s.base);
  str("root", s.root);
  list("targets", s.targets);
  list("include", s.include);
  list("env", s.env);
  list("trace", s.trace);
  if (n["entrypoint"]) s.entrypoint = n["entrypoint"].Scalar();
  str("python_keep", s.python_keep);
  if (n["jit"]) s.jit = n["jit"].Scalar() == "true";
  if (n["gpu_arch"] && n["gpu_arch"].IsSequence())  // [80, 90]: the flag's 80,90
    for (const auto& cc : n["gpu_arch"]) s.gpu_arch += (s.gpu_arch.empty() ? "" : ",") + cc.Scalar();
  else
    str("gpu_arch", s.gpu_arch);
  if (n["prune_nvidia"]) s.prune_nvidia = n["prune_nvidia"].Scalar() == "true";
  str("forward_compat", s.forward_compat);
  str("min_driver", s.min_driver);
  s.tag_given = !s.tag.empty();
  if (s.tag.empty()) s.tag = s.name;
  return s;
}

}  // namespace

Result<ImageSpec> read_image_spec(const std::string& file) {
  CUSLIM_TRY(auto text, read_regular_file(file));  // a directory or a fifo: said, not read as empty YAML
  if (text.find('\0') != std::string::npos)
    return bad_input(file + ": holds a NUL byte at offset " + std::to_string(text.find('\0')) + ": not a YAML text file");
  try {
    if (yaml_has_second_document(text)) return bad_input(file + ": holds more than one YAML document (---); a spec is one (one build per file)");
    YAML::Node n = YAML::Load(text);
    CUSLIM_CHECK(validate(n, image_spec_schema(), file));
    ImageSpec s = spec_of(n);
    if (n["prune_nvidia"] && s.gpu_arch.empty())  // as the flag: --no-prune-nvidia requires --gpu-arch
      return bad_input(file + ":" + std::to_string(n["prune_nvidia"].Mark().line + 1) + ":" +
                        std::to_string(n["prune_nvidia"].Mark().column + 1) + ": prune_nvidia needs gpu_arch (it says whether --gpu-arch prunes NVIDIA's libraries)");
    s.file = file;
    for (const auto& kv : n)
      s.at[kv.first.Scalar()] = file + ":" + std::to_string(kv.second.Mark().line + 1) + ":" + std::to_string(kv.second.Mark().column + 1);
    return s;
  } catch (const YAML::Exception& e) {  // yaml-cpp reports syntax errors by throwing
    std::string why = e.msg == "bad file" ? "nested too deeply (or unreadable)" : e.msg;  // its depth guard's words
    return bad_input(file + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1) + ": " + why);
  }
}

}  // namespace cuslim
