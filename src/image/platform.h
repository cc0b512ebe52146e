// An OCI platform ("os/arch[/variant]") as containerd and docker normalise it, and how well an
// image index entry's platform serves the one asked for: `--platform linux/arm64/v8` is the
// linux/arm64 entry (v8 is arm64's only variant), `linux/arm` is arm/v7, and an arm/v7 request
// takes an arm/v6 entry when there is no v7 one (a v7 CPU runs v6 code), as docker pull does.
#pragma once

#include <string>

namespace cuslim {

struct Platform {
  std::string os, arch, variant;
  std::string str() const;  // "linux/arm64", "linux/arm/v7"
};

// "linux/aarch64" -> linux/arm64; "linux/arm" -> linux/arm/v7; "linux/amd64/v1" -> linux/amd64.
Platform normalize_platform(Platform p);
Platform parse_platform(const std::string& spelled);

// 0: `have` does not serve `want`; else higher is better (an exact match beats an older ARM variant).
int platform_score(const Platform& want, const Platform& have);

}  // namespace cuslim
