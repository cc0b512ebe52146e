#include "prune/gpu_arch.h"

#include <algorithm>
#include <cstdlib>
#include <tuple>

#include "core/path.h"

namespace cuslim {

namespace {

// The compute capabilities NVIDIA has shipped GPUs or targets for (CUDA 11-13, the CUDA C
// Programming Guide's table): a typo (900, 91) is refused rather than pruning for no GPU.
constexpr unsigned kMinArch = 10;  // the lowest PTX arch a kept-for check walks from
constexpr unsigned kKnownArchs[] = {30, 32, 35, 37, 50, 52, 53, 60, 61, 62, 70, 72, 75, 80, 86, 87, 88, 89, 90, 100, 101, 103, 110, 120, 121};

std::string known_text() {
  std::string s;
  for (unsigned a : kKnownArchs) s += (s.empty() ? "" : ", ") + std::to_string(a);
  return s;
}

// One item: "90", "sm_90", "compute_90", "9.0".
std::optional<unsigned> parse_one(std::string s) {
  for (const char* prefix : {"sm_", "compute_"})
    if (s.rfind(prefix, 0) == 0) s = s.substr(std::string(prefix).size());
  if (auto dot = s.find('.'); dot != std::string::npos) {
    std::string major = s.substr(0, dot), minor = s.substr(dot + 1);
    if (major.empty() || minor.size() != 1 || major.find_first_not_of("0123456789") != std::string::npos || !isdigit(minor[0])) return std::nullopt;
    s = major + minor;
  }
  if (s.empty() || s.size() > 4 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return static_cast<unsigned>(std::stoul(s));
}

}  // namespace

Result<std::vector<unsigned>> parse_gpu_archs(const std::string& list) {
  std::vector<unsigned> out;
  for (auto& item : path::split_list(list, ',')) {
    auto v = parse_one(item);
    if (!v) return Error(Exit::usage, "--gpu-arch '" + list + "': '" + item + "' is not a compute capability such as 90, sm_90 or 9.0");
    if (std::find(std::begin(kKnownArchs), std::end(kKnownArchs), *v) == std::end(kKnownArchs))
      return Error(Exit::usage, "--gpu-arch '" + list + "': " + std::to_string(*v) + " is not a known compute capability (known: " + known_text() + ")");
    out.push_back(*v);
  }
  if (out.empty()) return Error(Exit::usage, "--gpu-arch: empty list (give compute capabilities such as 90 or 80,90)");
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string gpu_archs_text(const std::vector<unsigned>& ccs) {
  std::string s;
  for (auto cc : ccs) s += (s.empty() ? "" : ",") + std::to_string(cc);
  return s;
}

bool runs_on(const FatbinEntry& e, unsigned cc) {
  if (e.kind != FatbinEntry::sass && e.kind != FatbinEntry::ptx) return false;  // LTO-IR and others run on no GPU as they are
  bool same_major = e.arch / 10 == cc / 10;
  if (e.variant == "a") return e.arch == cc;
  if (e.kind == FatbinEntry::sass) return same_major && e.arch <= cc;
  if (e.kind == FatbinEntry::ptx) return e.arch <= cc && (e.variant.empty() || same_major);
  return false;
}

bool runs_on_any(const FatbinEntry& e, const std::vector<unsigned>& ccs) {
  return std::any_of(ccs.begin(), ccs.end(), [&](unsigned cc) { return runs_on(e, cc); });
}

bool kept_for(unsigned cc, const std::vector<unsigned>& kept) {
  // Every entry kind that runs on cc: SASS of its major up to cc ('a' and 'f' too), PTX up to cc.
  for (unsigned arch = (cc / 10) * 10; arch <= cc; ++arch)
    for (const char* v : {"", "a", "f"}) {
      FatbinEntry sass{.kind = FatbinEntry::sass, .arch = arch, .variant = v};
      if (runs_on(sass, cc) && !runs_on_any(sass, kept)) return false;
    }
  for (unsigned arch = kMinArch; arch <= cc; ++arch)
    for (const char* v : {"", "a", "f"}) {
      FatbinEntry ptx{.kind = FatbinEntry::ptx, .arch = arch, .variant = v};
      if (runs_on(ptx, cc) && !runs_on_any(ptx, kept)) return false;
    }
  return true;
}

const std::vector<unsigned>& known_gpu_archs() {
  static const std::vector<unsigned> all(std::begin(kKnownArchs), std::end(kKnownArchs));
  return all;
}

std::optional<bool> pruned_image_serves(const std::map<std::string, std::string>& labels, unsigned cc) {
  auto it = labels.find(kGpuArchLabel);
  if (it == labels.end()) return std::nullopt;
  if (auto covers = labels.find(kGpuArchCoversLabel); covers != labels.end()) {
    if (covers->second == "none") return false;
    if (auto ccs = parse_gpu_archs(covers->second); ccs.ok()) return std::find(ccs->begin(), ccs->end(), cc) != ccs->end();
  }
  auto kept = parse_gpu_archs(it->second);
  if (!kept.ok()) return std::nullopt;  // a label we cannot read says nothing
  return kept_for(cc, *kept);
}

bool arch_name_less(const std::string& a, const std::string& b) {
  auto key = [](const std::string& x) {
    auto us = x.find('_');
    unsigned long n = us == std::string::npos ? 0 : std::strtoul(x.c_str() + us + 1, nullptr, 10);
    return std::make_tuple(n, x.rfind("compute_", 0) == 0, x);
  };
  return key(a) < key(b);
}

}  // namespace cuslim
