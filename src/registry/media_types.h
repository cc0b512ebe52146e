// The manifest media types the distribution API serves, OCI and Docker schema 2.
#pragma once

#include <cstdint>
#include <string>

namespace cuslim::media {

inline constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";

inline bool is_index(const std::string& t) { return t == kOciIndex || t == kDockerList; }

// The largest manifest or image index cuslim reads, pulled or from a layout: 4 MiB, the limit of
// distribution (the registry refuses larger pushes) and containers/image (skopeo).
inline constexpr uint64_t kMaxManifestBytes = 4ull << 20;
inline constexpr const char* kMaxManifestText = "4 MiB";

}  // namespace cuslim::media
