#include "image/platform.h"

#include <algorithm>
#include <cctype>

#include "core/ascii.h"

namespace cuslim {

namespace {

// The ARM architecture version of a normalised arm variant ("v7" -> 7), 0 when it is none.
int arm_version(const std::string& variant) {
  if (variant.size() == 2 && variant[0] == 'v' && std::isdigit(static_cast<unsigned char>(variant[1]))) return variant[1] - '0';
  return 0;
}

}  // namespace

std::string Platform::str() const { return os + "/" + arch + (variant.empty() ? "" : "/" + variant); }

// containerd's platforms.Normalize: architecture aliases, and each architecture's default variant.
Platform normalize_platform(Platform p) {
  p.os = ascii_lower(p.os), p.arch = ascii_lower(p.arch), p.variant = ascii_lower(p.variant);
  if (p.os == "macos") p.os = "darwin";
  if (p.arch == "i386") p.arch = "386";
  if (p.arch == "x86_64" || p.arch == "x86-64" || p.arch == "amd64") {
    p.arch = "amd64";
    if (p.variant == "v1") p.variant.clear();
  } else if (p.arch == "aarch64" || p.arch == "arm64") {
    p.arch = "arm64";
    if (p.variant == "8" || p.variant == "v8") p.variant.clear();
  } else if (p.arch == "armhf") {
    p.arch = "arm", p.variant = "v7";
  } else if (p.arch == "armel") {
    p.arch = "arm", p.variant = "v6";
  } else if (p.arch == "arm") {
    if (p.variant.empty() || p.variant == "7") p.variant = "v7";
    else if (p.variant == "5" || p.variant == "6" || p.variant == "8") p.variant = "v" + p.variant;
  }
  return p;
}

Platform parse_platform(const std::string& spelled) {
  Platform p;
  size_t a = spelled.find('/');
  p.os = spelled.substr(0, a);
  if (a != std::string::npos) {
    size_t b = spelled.find('/', a + 1);
    p.arch = spelled.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
    if (b != std::string::npos) p.variant = spelled.substr(b + 1);
  }
  return normalize_platform(p);
}

int platform_score(const Platform& want_in, const Platform& have_in) {
  Platform want = normalize_platform(want_in), have = normalize_platform(have_in);
  if (want.os != have.os || want.arch != have.arch) return 0;
  if (want.variant == have.variant) return 100;
  // An ARM CPU runs code for the older ARM versions: arm/v7 takes v6, then v5.
  if (want.arch == "arm") {
    int w = arm_version(want.variant), h = arm_version(have.variant);
    if (w && h && h < w) return 100 - (w - h);
  }
  return 0;
}

}  // namespace cuslim
