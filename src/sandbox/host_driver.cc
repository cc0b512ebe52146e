#include "sandbox/host_driver.h"

#include <dirent.h>

#include <algorithm>
#include <regex>
#include <set>

#include "core/path.h"
#include "elf/elf_file.h"
#include "profile/inspection.h"

namespace cuslim {

namespace {

// The driver profiles in force, as one: a user's driver-kind profile that only adds a rule does
// not hide the built-in one's search dirs and binaries (their lists are joined).
std::optional<Profile> driver_profile(const Classifier& c) {
  std::optional<Profile> merged;
  for (auto& p : c.active()) {
    if (p.kind != ProfileKind::driver) continue;
    if (!merged) {
      merged = p;
      continue;
    }
    for (auto& d : p.library_dirs)
      if (std::find(merged->library_dirs.begin(), merged->library_dirs.end(), d) == merged->library_dirs.end()) merged->library_dirs.push_back(d);
    for (auto& [cap, bins] : p.binaries)
      for (auto& b : bins)
        if (auto& to = merged->binaries[cap]; std::find(to.begin(), to.end(), b) == to.end()) to.push_back(b);
  }
  return merged;
}

// "libcuda.so.580.65.06" -> "580.65.06" for the given library stem.
std::optional<std::string> driver_suffix(const std::string& file, const std::string& stem) {
  static const std::regex ver(R"(^[0-9]{3}\.[0-9]+(\.[0-9]+)?$)");
  std::string prefix = stem + ".so.";
  if (file.rfind(prefix, 0) != 0) return std::nullopt;
  std::string v = file.substr(prefix.size());
  if (!std::regex_match(v, ver)) return std::nullopt;
  return v;
}

// Dirs to look in, in the toolkit's order: fixed locations, LD_LIBRARY_PATH, then the cache.
std::vector<std::string> candidate_dirs(const Profile& p, const DriverSearch& s) {
  std::vector<std::string> dirs = {"/"};
  dirs.insert(dirs.end(), p.library_dirs.begin(), p.library_dirs.end());
  dirs.insert(dirs.end(), s.ld_library_path.begin(), s.ld_library_path.end());
  if (s.ld_cache)
    for (auto& e : s.ld_cache->entries())
      if (e.key.starts_with("libcuda.so") || e.key.starts_with("libnvidia-ml.so")) dirs.push_back(path::dirname(std::string(e.value)));
  std::vector<std::string> unique;
  for (auto& d : dirs)
    if (std::find(unique.begin(), unique.end(), d) == unique.end()) unique.push_back(d);
  return unique;
}

std::optional<std::pair<std::string, std::string>> find_versioned(const Root& root, const std::vector<std::string>& dirs,
                                                                   const std::string& stem) {
  for (auto& d : dirs) {
    auto* names = root.list_dir(d);
    if (!names) continue;
    std::vector<std::string> hits;
    for (auto& [n, type] : *names)
      if (driver_suffix(n, stem)) hits.push_back(n);
    if (hits.empty()) continue;
    // Several versions (an upgrade's leftovers): the one STEM.so.1 leads to is what the loader
    // loads; without that link, the newest by number (535.104.05 over 535.54.03, not by text).
    if (auto real = root.realpath(path::join(d, stem + ".so.1")); real.ok())
      if (auto v = driver_suffix(path::basename(*real), stem); v && root.stat(*real)) return std::make_pair(*real, *v);
    auto number = [&](const std::string& n) { return Version::parse(*driver_suffix(n, stem)).value_or(Version{}); };
    std::sort(hits.begin(), hits.end(), [&](auto& a, auto& b) { return std::pair(number(a), a) < std::pair(number(b), b); });
    return std::make_pair(path::join(d, hits.back()), *driver_suffix(hits.back(), stem));
  }
  return std::nullopt;
}

void collect_libraries(const Root& root, const Classifier& c, const std::vector<std::string>& dirs, HostDriver& d) {
  std::string suffix = ".so." + d.version_text;
  std::set<std::string> seen;
  for (auto& dir : dirs) {
    auto* names = root.list_dir(dir);
    if (!names) continue;
    bool holds = false;
    std::vector<std::string> sorted;
    for (auto& [n, type] : *names) sorted.push_back(n);
    std::sort(sorted.begin(), sorted.end());
    for (auto& n : sorted) {
      bool versioned = n.size() > suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0;
      if (!versioned && n.rfind("libnvidia-nvvm70.so.", 0) != 0) continue;
      auto real = root.realpath(path::join(dir, n));
      if (!real || !seen.insert(*real).second) continue;
      holds = true;
      auto cls = c.classify(path::join(dir, n), *real, std::nullopt, n);
      d.libraries.push_back({path::join(dir, n), cls.capability.empty() ? "compute" : cls.capability});
    }
    if (holds) d.library_dirs.push_back(dir);
  }
}

void collect_nodes(const Root& root, const Profile& p, HostDriver& d) {
  for (auto* dir : {"/dev", "/dev/nvidia-caps"})
    if (auto* names = root.list_dir(dir)) {
      std::vector<std::string> found;
      for (auto& [n, type] : *names)
        if (n.rfind("nvidia", 0) == 0 && type != DT_DIR) found.push_back(path::join(dir, n));
      std::sort(found.begin(), found.end());
      d.devices.insert(d.devices.end(), found.begin(), found.end());
    }
  std::string fw = "/lib/firmware/nvidia/" + d.version_text;
  if (auto* names = root.list_dir(fw))
    for (auto& [n, type] : *names)
      if (n.rfind("gsp", 0) == 0) d.firmware.push_back(path::join(fw, n));
  std::sort(d.firmware.begin(), d.firmware.end());
  for (auto& [cap, bins] : p.binaries)
    for (auto& b : bins)
      for (auto* dir : {"/usr/bin", "/usr/local/nvidia/bin", "/usr/sbin", "/bin", "/usr/local/bin"})
        if (auto* names = root.list_dir(dir); names && names->count(b)) {
          d.binaries.push_back(path::join(dir, b));
          break;
        }
}

}  // namespace

Result<std::optional<HostDriver>> find_host_driver(const Root& root, const Classifier& c, const DriverSearch& s) {
  auto p = driver_profile(c);
  if (!p) return bad_input("no driver profile (kind: driver) is loaded");
  auto dirs = candidate_dirs(*p, s);
  auto hit = find_versioned(root, dirs, "libcuda");
  bool compute = hit.has_value();
  if (!hit) hit = find_versioned(root, dirs, "libnvidia-ml");  // a utility-only install: versioned by NVML
  if (!hit) return std::optional<HostDriver>{};
  HostDriver d;
  if (compute) d.libcuda = hit->first;  // empty: no compute library (libcuda) was found
  d.version = *Version::parse(hit->second);
  d.version_text = hit->second;
  if (auto real = compute ? root.realpath(d.libcuda) : Result<std::string>(bad_input("no libcuda")); real.ok()) {  // the fwd-compat note is libcuda's
    if (auto elf = ElfFile::read(root.host_path(*real), d.libcuda, ElfFile::Parts::all); elf.ok()) {
      d.fwd_compat = fwd_compat_note(*elf);
      if (d.fwd_compat && d.fwd_compat->contains("CUDA version") && (*d.fwd_compat)["CUDA version"].is_string())
        d.cuda_version = Version::parse((*d.fwd_compat)["CUDA version"].get<std::string>());
    }
  }
  collect_libraries(root, c, dirs, d);
  collect_nodes(root, *p, d);
  return std::optional<HostDriver>(std::move(d));
}

Result<std::optional<HostDriver>> find_host_driver(const Analysis& analysis, const std::vector<std::string>& ld_library_path) {
  DriverSearch search{.ld_library_path = ld_library_path};
  if (analysis.resolver().ld_cache()) search.ld_cache = &*analysis.resolver().ld_cache();
  return find_host_driver(analysis.root(), analysis.classifier(), search);
}

nlohmann::json to_json(const HostDriver& d) {
  nlohmann::json libs = nlohmann::json::array();
  for (auto& l : d.libraries) libs.push_back({{"path", l.path}, {"capability", l.capability}});
  return {{"found", true},
          {"version", d.version_text},
          {"cuda_version", d.cuda_version ? nlohmann::json(d.cuda_version->str(2)) : nlohmann::json(nullptr)},
          {"libcuda", d.libcuda},
          {"fwd_compat", d.fwd_compat ? *d.fwd_compat : nlohmann::json(nullptr)},
          {"library_dirs", d.library_dirs},
          {"libraries", libs},
          {"devices", d.devices},
          {"firmware", d.firmware},
          {"binaries", d.binaries}};
}

}  // namespace cuslim
