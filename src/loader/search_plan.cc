#include "loader/search_plan.h"

#include <algorithm>

#include "core/path.h"

namespace cuslim {

std::string_view how_name(How how) {
  switch (how) {
    case How::direct: return "direct";
    case How::rpath: return "rpath";
    case How::ld_library_path: return "ld_library_path";
    case How::runpath: return "runpath";
    case How::ld_so_cache: return "ld.so.cache";
    case How::ld_so_conf: return "ld.so.conf";
    case How::default_path: return "default";
    case How::dlopen_profile: return "dlopen-profile";
    case How::trace: return "trace";
  }
  return "?";
}

namespace {

struct Token {
  std::string_view name;
  std::string_view value;
};

// Replaces one token at `s[i]=='$'`; returns false when the token is known but has no value.
bool expand_at(std::string_view s, size_t& i, std::string& out, const std::vector<Token>& tokens) {
  for (auto& t : tokens) {
    std::string plain = std::string("$") + std::string(t.name);
    std::string braced = "${" + std::string(t.name) + "}";
    size_t len = 0;
    if (s.substr(i, braced.size()) == braced) len = braced.size();
    else if (s.substr(i, plain.size()) == plain) {
      char next = i + plain.size() < s.size() ? s[i + plain.size()] : '/';
      if (!(std::isalnum(static_cast<unsigned char>(next)) || next == '_')) len = plain.size();
    }
    if (!len) continue;
    if (t.value.empty()) return false;
    out += t.value;
    i += len;
    return true;
  }
  out += s[i++];  // an unknown $X stays as it is
  return true;
}

// Adds `dir` once per active glibc-hwcaps subdir, once per legacy subdir, and then bare.
void add_dir(std::vector<SearchStep>& plan, How how, const std::string& dir, const std::string& owner,
             const LoaderEnv& env) {
  if (dir.empty() || dir[0] != '/') return;  // relative dirs depend on the caller's cwd: not modelled
  std::string d = path::tidy(dir);  // "a/../lib": a's parent is where the link a leads, not lexical
  for (auto& h : env.hwcaps) plan.push_back({how, path::join(d, "glibc-hwcaps/" + h), owner});
  for (auto& h : env.legacy_hwcaps) plan.push_back({how, path::join(d, h), owner});
  plan.push_back({how, d, owner});
}

void add_list(std::vector<SearchStep>& plan, How how, const std::string& list, const PlanObject& owner,
              const LoaderEnv& env) {
  for (auto& elem : path::split_list(list)) {
    std::string dir = expand_tokens(elem, owner.origin, *env.abi);
    add_dir(plan, how, dir, owner.path, env);
  }
}

// DT_RPATH counts only for objects without DT_RUNPATH (glibc drops it in get-dynamic-info.h).
const std::optional<std::string>& effective_rpath(const ElfFile& f) {
  static const std::optional<std::string> none;
  return f.runpath ? none : f.rpath;
}

}  // namespace

std::string expand_tokens(std::string_view element, std::string_view origin, const LoaderAbi& abi) {
  const std::vector<Token> tokens = {{"ORIGIN", origin}, {"PLATFORM", abi.platform}, {"LIB", abi.lib}};
  std::string out;
  for (size_t i = 0; i < element.size();) {
    if (element[i] != '$') {
      out += element[i++];
      continue;
    }
    if (!expand_at(element, i, out, tokens)) return "";
  }
  return out;
}

std::vector<std::string> ld_library_path_dirs(std::string_view value) {
  std::string colons(value);
  std::replace(colons.begin(), colons.end(), ';', ':');
  return path::split_list(colons);
}

std::vector<SearchStep> search_plan(const std::vector<PlanObject>& chain, const PlanObject& main, const LoaderEnv& env) {
  std::vector<SearchStep> plan;
  const PlanObject& loader = chain.front();
  // 1. DT_RPATH of the loader, then of its loaders up the chain, then the executable's
  //    -- all of it only when the loader itself has no DT_RUNPATH.
  if (!loader.elf->runpath) {
    bool main_seen = false;
    for (auto& o : chain) {
      main_seen |= (o.elf == main.elf);
      if (auto& rp = effective_rpath(*o.elf)) add_list(plan, How::rpath, *rp, o, env);
    }
    if (!main_seen && main.elf)
      if (auto& rp = effective_rpath(*main.elf)) add_list(plan, How::rpath, *rp, main, env);
  }
  // 2. LD_LIBRARY_PATH ($ORIGIN there means the executable's directory).
  for (auto& elem : env.ld_library_path) add_dir(plan, How::ld_library_path, expand_tokens(elem, main.origin, *env.abi), "", env);
  // 3. The loader's own DT_RUNPATH (never inherited).
  if (loader.elf->runpath) add_list(plan, How::runpath, *loader.elf->runpath, loader, env);
  // 4. The cache; under DF_1_NODEFLIB its hits inside a default dir are discarded.
  bool nodeflib = loader.elf->nodeflib();
  if (env.has_cache) plan.push_back({How::ld_so_cache, "", "", nodeflib});
  else if (!nodeflib)
    for (auto& d : env.conf_dirs) add_dir(plan, How::ld_so_conf, d, "", env);
  // 5. The default dirs, skipped under DF_1_NODEFLIB.
  if (nodeflib) return plan;
  for (auto& d : env.abi->default_dirs) add_dir(plan, How::default_path, d, "", env);
  return plan;
}

}  // namespace cuslim
