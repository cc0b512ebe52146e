#include "profile/forward_compat.h"

#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include "core/path.h"
#include "elf/elf_file.h"
#include "profile/cuda_compat.h"
#include "profile/inspection.h"

namespace cuslim {

namespace {

// Expands a dir glob component by component ('*' within one component), inside the root.
std::vector<std::string> expand_dirs(const Root& root, const std::string& glob) {
  std::vector<std::string> found = {"/"};
  for (auto& comp : path::components(glob)) {
    std::vector<std::string> next;
    for (auto& d : found) {
      if (comp.find_first_of("*?[") == std::string::npos) {
        next.push_back(path::join(d, comp));
        continue;
      }
      auto real = root.realpath(d);
      const Root::DirEntries* names = real ? root.list_dir(*real) : nullptr;
      if (!names) continue;
      std::vector<std::string> hits;
      for (auto& [n, type] : *names)
        if (::fnmatch(comp.c_str(), n.c_str(), 0) == 0) hits.push_back(path::join(d, n));
      std::sort(hits.begin(), hits.end());
      next.insert(next.end(), hits.begin(), hits.end());
    }
    found = std::move(next);
  }
  return found;
}

// The note's keys, as the hook reads them (Go's JSON is case-insensitive: "CUDA version" or "CUDA Version").
const nlohmann::json* key(const nlohmann::json& j, const std::string& lower) {
  if (!j.is_object()) return nullptr;
  for (auto it = j.begin(); it != j.end(); ++it) {
    std::string k = it.key();
    std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return std::tolower(c); });
    if (k == lower) return &it.value();
  }
  return nullptr;
}

// Branches and CUDA version from libcuda's .note.cuda.fwd_compatibility, when it has one.
void read_note(const Root& root, CompatSet& s) {
  auto elf = ElfFile::read(root.host_path(s.libcuda), s.libcuda, ElfFile::Parts::all);
  if (!elf.ok()) return;
  auto note = fwd_compat_note(*elf);
  bool has_note = std::any_of(elf->notes.begin(), elf->notes.end(), [](auto& n) { return n.section == ".note.cuda.fwd_compatibility"; });
  if (!note) {
    if (has_note) s.note_problem = "its .note.cuda.fwd_compatibility is not JSON";
    return;
  }
  if (auto* v = key(*note, "cuda version"); v && v->is_string()) s.cuda = Version::parse(v->get<std::string>());
  auto* d = key(*note, "driver");
  if (!d || !d->is_array()) {
    s.note_problem = "its .note.cuda.fwd_compatibility has no \"driver\" list";
    return;
  }
  // A branch is a driver's major: a whole number of three digits (535, 580); anything else in the
  // list is left out and said.
  std::string bad;
  for (auto& b : *d)
    if (b.is_number_integer() && b.get<int64_t>() >= 100 && b.get<int64_t>() <= 9999) s.branches.push_back(static_cast<int>(b.get<int64_t>()));
    else bad += (bad.empty() ? "" : ", ") + b.dump();
  if (!bad.empty()) s.note_problem = "its .note.cuda.fwd_compatibility lists " + bad + " among the driver branches (left out)";
  s.from_note = true;
}

// A set from one dir, if it holds a libcuda.so.<driver version>.
std::optional<CompatSet> read_set(const Root& root, const std::string& dir, const ForwardCompatData& data) {
  static const std::regex libcuda(R"(^libcuda\.so\.([0-9]{3}\.[0-9]+(\.[0-9]+)?)$)");
  auto real = root.realpath(dir);
  if (!real) return std::nullopt;
  auto* names = root.list_dir(*real);
  if (!names) return std::nullopt;
  CompatSet s{.dir = dir, .real_dir = *real};
  for (auto& [n, type] : *names) {
    if (n == "." || n == "..") continue;
    s.files.push_back(path::join(*real, n));
    std::smatch m;
    auto v = std::regex_match(n, m, libcuda) ? Version::parse(m[1].str()) : std::nullopt;
    if (v && (s.libcuda.empty() || *v > s.version)) s.libcuda = path::join(*real, n), s.version = *v, s.version_text = m[1].str();
  }
  if (s.libcuda.empty()) return std::nullopt;
  std::sort(s.files.begin(), s.files.end());
  read_note(root, s);
  if (!s.cuda) {  // /usr/local/cuda-13.0/compat
    std::string parent = path::basename(path::dirname(*real));
    if (parent.rfind("cuda-", 0) == 0) s.cuda = Version::parse(parent.substr(5));
  }
  if (!s.from_note && s.cuda)
    if (auto* row = cuda_major_compat(s.cuda->major)) s.branches = row->forward_compat_branches;
  if (s.cuda) s.package = compat_package(data, *s.cuda);
  return s;
}

std::string branch_list(const std::vector<int>& b) {
  std::string out;
  for (int x : b) out += (out.empty() ? "" : ", ") + std::to_string(x);
  return out.empty() ? "none" : out;
}

}  // namespace

std::string CompatSet::describe() const {
  return real_dir + " (" + (package.empty() ? "cuda-compat" : package) + ", libcuda " + version_text + ", branches " + branch_list(branches) +
         (from_note ? "" : note_problem.empty() ? " from the compat table: no .note.cuda.fwd_compatibility" : " from the compat table") +
         (note_problem.empty() ? "" : "; " + note_problem) + ")";
}

const ForwardCompatData* forward_compat_data(const Classifier& c) {
  for (auto& p : c.active())
    if (!p.forward_compat.empty()) return &p.forward_compat;
  return nullptr;
}

std::vector<CompatSet> find_compat_sets(const Root& root, const ForwardCompatData& data) {
  std::vector<CompatSet> out;
  std::set<std::string> seen;  // real dirs: /usr/local/cuda/compat is usually cuda-13.0's
  for (auto& glob : data.dirs)
    for (auto& dir : expand_dirs(root, glob))
      if (auto s = read_set(root, dir, data); s && seen.insert(s->real_dir).second) out.push_back(std::move(*s));
  std::stable_sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.version > b.version; });
  return out;
}

bool hook_sees(const CompatSet& set, const ForwardCompatData& data) {
  return std::any_of(data.dirs.begin(), data.dirs.end(), [&](auto& d) { return d.find('*') == std::string::npos && d == set.dir; });
}

std::string compat_package(const ForwardCompatData& data, const Version& cuda) {
  std::string out = data.package.empty() ? "cuda-compat-{cuda_major}-{cuda_minor}" : data.package;
  for (auto [k, v] : {std::pair<std::string, int>{"{cuda_major}", cuda.major}, {"{cuda_minor}", cuda.minor}})
    for (size_t at; (at = out.find(k)) != std::string::npos;) out.replace(at, k.size(), std::to_string(v));
  return out;
}

std::string compat_remedy(const ForwardCompatData* data, const Version& cuda, const Version& driver) {
  std::string package = data ? compat_package(*data, cuda) : "cuda-compat";
  if (check_compat(cuda, driver).verdict != CompatVerdict::incompatible) return "the image needs " + package;
  // An older driver of the minimum's own branch (580.65.05 for 13.0's 580.65.06): that branch's
  // sets list it, as NVIDIA's do.
  if (auto need = driver_need(cuda); need && driver.major == need->min.major)
    return "the image needs " + package + " (its note lists branch " + std::to_string(driver.major) + "), or driver " + need->text() + " or newer";
  const CudaMajorCompat* row = cuda_major_compat(cuda.major);
  return "no cuda-compat package serves driver branch " + std::to_string(driver.major) + " for CUDA " + std::to_string(cuda.major) +
         ".x" + (row ? " (forward compatibility covers branches " + branch_list(row->forward_compat_branches) + ")" : "") +
         ": the host needs a newer driver";
}

CompatChoice hook_choice(const CompatSet& set, const Version& host) {
  std::string h = "host driver " + host.str(3), c = "the image's cuda-compat " + set.version_text + " (" + set.real_dir + ")";
  if (!set.from_note) {  // the hook's fallback without a note: majors compared
    if (set.version.major > host.major) return {true, h + " is of an older major than " + c + " (no fwd-compat note): using the compat libraries"};
    return {false, h + " is not of an older major than " + c + " (no fwd-compat note): using the host driver"};
  }
  if (std::find(set.branches.begin(), set.branches.end(), host.major) == set.branches.end())
    return {false, "branch " + std::to_string(host.major) + " of " + h + " is not listed by " + c + " (branches " + branch_list(set.branches) +
                       "): using the host driver"};
  if (!(host < set.version)) return {false, h + " is not older than " + c + ": using the host driver"};
  return {true, h + " (branch " + std::to_string(host.major) + ", listed) is older than " + c + ": using the compat libraries"};
}

CompatServes serves(const CompatSet& set, const Version& cuda, const Version& driver) {
  std::string name = set.real_dir + " (" + set.version_text + ")";
  if (std::find(set.branches.begin(), set.branches.end(), driver.major) == set.branches.end())
    return {false, name + " does not serve branch " + std::to_string(driver.major) + " (it lists " + branch_list(set.branches) +
                       (set.note_problem.empty() ? "" : "; " + set.note_problem) + ")"};
  auto need = driver_need(cuda);
  if (need && set.version < need->min) return {false, name + " is older than CUDA " + cuda.str(2) + "'s minimum driver " + need->text()};
  auto choice = hook_choice(set, driver);
  if (!choice.use_compat) return {false, choice.why};
  return {true, name + " serves branch " + std::to_string(driver.major) + (need ? " and is >= " + need->min.str(3) : "")};
}

const CompatSet* serving_set(const std::vector<CompatSet>& sets, const Version& cuda, const Version& driver, std::string* why_not) {
  std::string reasons;
  for (auto& s : sets) {
    auto r = serves(s, cuda, driver);
    if (r.ok) return &s;
    reasons += (reasons.empty() ? "" : "; ") + r.why;
  }
  if (why_not) *why_not = reasons.empty() ? "the image has no cuda-compat set" : reasons;
  return nullptr;
}

std::vector<std::string> compat_hiding_dirs(const std::vector<std::string>& env, const LoaderAbi& abi, const ForwardCompatData& data,
                                            const Root& root) {
  auto real = [&](const std::string& dir) { return root.realpath(dir).value_or(path::normalize(dir)); };
  std::vector<std::string> injected{real(abi.package_lib_dir)};
  for (auto& d : data.injected_dirs) injected.push_back(real(d));
  std::vector<std::string> hiding;
  for (auto& kv : env) {
    if (kv.rfind("LD_LIBRARY_PATH=", 0) != 0) continue;
    for (auto& dir : path::split_list(kv.substr(16)))
      if (!dir.empty() && dir[0] == '/' && std::find(injected.begin(), injected.end(), real(dir)) != injected.end() &&
          std::find(hiding.begin(), hiding.end(), dir) == hiding.end())
        hiding.push_back(dir);
  }
  return hiding;
}

}  // namespace cuslim
