#include "profile/cuda_compat.h"

#include "prune/gpu_arch.h"

#include "profile/classifier.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <sstream>

namespace cuslim {

std::optional<CudartVersion> cudart_cuda_version(const std::string& file_name, const std::optional<std::string>& soname) {
  auto v = so_version(file_name);
  if (v && !v->minor.empty())
    if (auto x = Version::parse(v->major + "." + v->minor)) return CudartVersion{*x, 2, "file name " + file_name};
  if (soname)
    if (auto sv = so_version(*soname))
      if (auto x = Version::parse(sv->major + ".0")) return CudartVersion{*x, 1, "soname " + *soname};
  if (v)
    if (auto x = Version::parse(v->major + ".0")) return CudartVersion{*x, 1, "file name " + file_name};
  return std::nullopt;
}


std::optional<Version> Version::parse(const std::string& s) {
  Version v;
  int* parts[] = {&v.major, &v.minor, &v.patch};
  std::istringstream in(s);
  std::string tok;
  int i = 0;
  while (i < 3 && std::getline(in, tok, '.')) {
    if (tok.empty() || tok.find_first_not_of("0123456789") != std::string::npos) return i ? std::optional(v) : std::nullopt;
    auto [end, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), *parts[i++]);
    if (ec != std::errc() || end != tok.data() + tok.size()) return std::nullopt;  // out of range
  }
  if (i == 0) return std::nullopt;
  v.given_parts = i;
  return v;
}

std::optional<Version> Version::parse_driver(const std::string& s) {
  size_t dots = std::count(s.begin(), s.end(), '.');
  if (s.empty() || dots < 1 || dots > 2 || s.find_first_not_of("0123456789.") != std::string::npos || s.find("..") != std::string::npos ||
      s.front() == '.' || s.back() == '.')
    return std::nullopt;
  return parse(s);
}

std::string Version::str(int parts) const {
  if (parts == 3 && given_parts == 2) parts = 2;  // a driver given as 390.157 is not 390.157.00
  std::string s = std::to_string(major);
  if (parts > 1) s += "." + std::to_string(minor);
  if (parts > 2) s += "." + (patch < 10 ? std::string("0") : "") + std::to_string(patch);
  return s;
}

std::optional<Version> cuda_of_ptx_isa(unsigned isa_major, unsigned isa_minor) {
  // PTX ISA release history (PTX ISA manual, "Release Notes").
  static const std::map<std::pair<unsigned, unsigned>, Version> table = {
      {{7, 0}, {11, 0}}, {{7, 1}, {11, 1}}, {{7, 2}, {11, 2}}, {{7, 3}, {11, 3}}, {{7, 4}, {11, 4}},
      {{7, 5}, {11, 5}}, {{7, 6}, {11, 6}}, {{7, 7}, {11, 7}}, {{7, 8}, {11, 8}}, {{8, 0}, {12, 0}},
      {{8, 1}, {12, 1}}, {{8, 2}, {12, 2}}, {{8, 3}, {12, 3}}, {{8, 4}, {12, 4}}, {{8, 5}, {12, 5}},
      {{8, 6}, {12, 7}}, {{8, 7}, {12, 8}}, {{8, 8}, {12, 9}}, {{9, 0}, {13, 0}}, {{9, 1}, {13, 1}},
      {{9, 2}, {13, 2}}};
  auto it = table.find({isa_major, isa_minor});
  if (it == table.end()) return std::nullopt;
  return it->second;
}

std::optional<Version> min_driver_for(const Version& cuda) {
  // Release notes Table 3 (Linux x86_64), GA releases.
  static const std::map<std::pair<int, int>, Version> table = {
      {{13, 2}, {595, 45, 4}}, {{13, 1}, {590, 44, 1}}, {{13, 0}, {580, 65, 6}}, {{12, 9}, {575, 51, 3}},
      {{12, 8}, {570, 26, 0}}, {{12, 6}, {560, 28, 3}}, {{12, 5}, {555, 42, 2}}, {{12, 4}, {550, 54, 14}},
      {{12, 3}, {545, 23, 6}}, {{12, 2}, {535, 54, 3}}, {{12, 1}, {530, 30, 2}}, {{12, 0}, {525, 60, 13}},
      {{11, 8}, {520, 61, 5}}, {{11, 7}, {515, 43, 4}}, {{11, 6}, {510, 39, 1}}, {{11, 5}, {495, 29, 5}},
      {{11, 4}, {470, 42, 1}}, {{11, 3}, {465, 19, 1}}, {{11, 2}, {460, 27, 3}}, {{11, 1}, {455, 23, 0}},
      {{11, 0}, {450, 51, 6}}};  // 11.0.3 (the reference table; 450.36.06 was 11.0.1 RC's)
  auto it = table.find({cuda.major, cuda.minor});
  if (it != table.end()) return it->second;
  return std::nullopt;  // 12.7 was never released as a toolkit
}

std::string DriverNeed::text() const { return exact ? min.str(3) : "at least " + min.str(3) + " (" + why + ")"; }

std::optional<DriverNeed> driver_need(const Version& cuda) {
  if (auto min = min_driver_for(cuda)) return DriverNeed{*min, true, ""};
  const CudaMajorCompat* row = cuda_major_compat(cuda.major);
  if (!row) return std::nullopt;
  for (int minor = cuda.minor - 1; minor >= 0; --minor)
    if (auto below = min_driver_for(Version{cuda.major, minor, 0}))
      return DriverNeed{*below, false, std::to_string(cuda.major) + "." + std::to_string(minor) + "'s; " + cuda.str(2) + " is not in cuslim's table"};
  return DriverNeed{row->first_ga_driver, false, std::to_string(cuda.major) + ".0's; " + cuda.str(2) + " is not in cuslim's table"};
}

std::string nvidia_require_cuda(const Version& cuda, const std::vector<int>& compat_branches) {
  std::string s = "cuda>=" + cuda.str(2);
  auto need = driver_need(cuda);
  if (auto* row = cuda_major_compat(cuda.major); row && need && row->mvc_floor < need->min) s += " driver>=" + row->mvc_floor.str(3);
  // A cuda-compat set in the image serves these older branches: each is an alternative (space:
  // or), as NVIDIA's images write them ("driver>=535,driver<536").
  std::vector<int> branches = compat_branches;
  std::sort(branches.begin(), branches.end());
  branches.erase(std::unique(branches.begin(), branches.end()), branches.end());
  for (int b : branches)
    if (!need || b < need->min.major) s += " driver>=" + std::to_string(b) + ",driver<" + std::to_string(b + 1);
  return s;
}

bool needs_newer_driver(const Version& cuda, const Version& driver) {
  auto v = check_compat(cuda, driver).verdict;
  return v == CompatVerdict::needs_forward_compat || v == CompatVerdict::incompatible;
}

const std::vector<CudaMajorCompat>& cuda_major_compat() {
  // Release notes Table 2 (MVC ranges: 11.x >= 450.80.02, 12.x >= 525.60.13, 13.x >= 580) and
  // Table 3 (first GA); forward compatibility from the CUDA compatibility guide.
  static const std::vector<CudaMajorCompat> table = {
      {11, {450, 51, 6}, {450, 80, 2}, {450}},
      {12, {525, 60, 13}, {525, 60, 13}, {470, 515, 520}},
      {13, {580, 65, 6}, {580, 65, 6}, {535, 550, 565, 570, 575}},
  };
  return table;
}

const CudaMajorCompat* cuda_major_compat(int major) {
  for (auto& row : cuda_major_compat())
    if (row.major == major) return &row;
  return nullptr;
}

std::string_view verdict_name(CompatVerdict v) {
  switch (v) {
    case CompatVerdict::ok: return "ok";
    case CompatVerdict::ok_minor_version_compat: return "ok-minor-version-compat";
    case CompatVerdict::needs_forward_compat: return "needs-forward-compat";
    case CompatVerdict::incompatible: return "incompatible";
  }
  return "?";
}

CompatResult check_compat(const Version& cuda, const Version& driver) {
  std::string cu = "CUDA " + cuda.str(2), dr = "driver " + driver.str(3);
  auto need = driver_need(cuda);
  const CudaMajorCompat* row = cuda_major_compat(cuda.major);
  if (need && need->exact && driver >= need->min) return {CompatVerdict::ok, dr + " >= " + need->min.str(3) + ", the minimum for " + cu};
  if (row && driver >= row->mvc_floor) {
    // An unknown minor above the driver's bound is still covered: minor-version compatibility
    // runs every X.y on the family's floor.
    std::string wants = need ? need->text() : "?";
    std::string head = need && !need->exact && driver >= need->min
                           ? dr + " meets the newest known minimum below " + cu + " (" + need->min.str(3) + ", " + need->why + ") and is"
                           : dr + " is older than " + cu + " wants (" + wants + ") but";
    return {CompatVerdict::ok_minor_version_compat,
            head + " in the " + std::to_string(cuda.major) + ".x minor-version-compatible range (>= " + row->mvc_floor.str(3) +
                "); PTX built by this toolkit cannot be JIT-compiled by this driver (error 222), ship SASS for the GPU"};
  }
  std::string below = row && driver >= row->first_ga_driver
                          ? " is below the " + std::to_string(cuda.major) + ".x minor-version-compatibility floor " + row->mvc_floor.str(3)
                          : " is below the " + std::to_string(cuda.major) + ".x floor";
  if (row)
    for (int b : row->forward_compat_branches)
      if (driver.major == b)
        return {CompatVerdict::needs_forward_compat,
                dr + " (branch " + std::to_string(b) + ")" + below + ": runs only with cuda-compat-" + std::to_string(cuda.major) + "-" +
                    std::to_string(cuda.minor) + " in the image, on a data-center GPU"};
  return {CompatVerdict::incompatible, dr + " cannot run " + cu + (need ? std::string(" (needs ") + (need->exact ? ">= " : "") + need->text() + ")" : "")};
}

bool arch_covered(const std::vector<FatbinEntry>& entries, unsigned cc, std::string* why) {
  const FatbinEntry* best_ptx = nullptr;
  for (auto& e : entries) {
    if (!runs_on(e, cc)) continue;
    if (e.kind == FatbinEntry::sass) {
      if (why) *why = "SASS " + e.arch_name();
      return true;
    }
    if (e.kind == FatbinEntry::ptx && (!best_ptx || e.arch > best_ptx->arch)) best_ptx = &e;
  }
  if (best_ptx) {
    if (why) *why = "PTX " + best_ptx->arch_name() + " (JIT at load)";
    return true;
  }
  if (why) *why = "no SASS for sm_" + std::to_string(cc) + " and no PTX <= compute_" + std::to_string(cc);
  return false;
}

}  // namespace cuslim
