#include "bundle/locale_plan.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>

#include "bundle/plan.h"
#include "core/path.h"

namespace cuslim {

namespace {

constexpr const char* kLocaleDir = "/usr/lib/locale";

// glibc's _nl_normalize_codeset: letters lower-cased, digits kept, everything else dropped.
std::string normalized(const std::string& name) {
  auto dot = name.find('.');
  if (dot == std::string::npos) return name;
  auto at = name.find('@', dot);
  std::string codeset = name.substr(dot + 1, at == std::string::npos ? std::string::npos : at - dot - 1), out;
  for (unsigned char c : codeset)
    if (std::isalnum(c)) out += static_cast<char>(std::tolower(c));
  return name.substr(0, dot + 1) + out + (at == std::string::npos ? "" : name.substr(at));
}

}  // namespace

std::optional<std::string> locale_data(const Root& root, const std::string& name, const std::string& locpath) {
  if (name.empty() || name == "C" || name == "POSIX" || name.find('/') != std::string::npos) return std::nullopt;
  for (auto& dir : locpath.empty() ? std::vector<std::string>{kLocaleDir} : path::split_list(locpath))
    for (auto& n : {name, normalized(name)})
      if (auto st = root.stat(path::join(dir, n)); !dir.empty() && st && S_ISDIR(st->st_mode)) return path::join(dir, n);
  if (std::string archive = path::join(kLocaleDir, "locale-archive"); locpath.empty() && root.stat(archive)) return archive;
  return std::nullopt;
}

std::string locpath_of(const std::vector<std::string>& env) {
  for (auto& kv : env)
    if (kv.rfind("LOCPATH=", 0) == 0) return kv.substr(8);
  return "";
}

std::vector<std::string> locale_names(const std::vector<std::string>& env) {
  std::vector<std::string> out;
  for (auto& kv : env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
    if ((k == "LANG" || k.rfind("LC_", 0) == 0) && !v.empty() && v != "C" && v != "POSIX" &&
        std::find(out.begin(), out.end(), v) == out.end())
      out.push_back(v);
  }
  return out;
}

Result<std::vector<std::string>> add_locale_data(const Root& root, const std::vector<std::string>& env, PlanBuilder& builder) {
  std::vector<std::string> lacking;
  std::string locpath = locpath_of(env);
  for (auto& name : locale_names(env)) {
    if (auto data = locale_data(root, name, locpath)) CUSLIM_CHECK(builder.add_include(*data));
    else lacking.push_back(name);
  }
  return lacking;
}

}  // namespace cuslim
