// Reading images: an OCI layout dir, an oci-archive, a docker-archive (classic and hybrid), a
// rootfs tarball (.tar, .tar.gz, .tar.zst) or a rootfs dir -- the kind is read from the content.
// Layers are applied in order with whiteouts and opaque dirs into a staging dir: names with ".."
// or a leading "/" are refused, nothing is written through a symlink (libarchive's SECURE_*
// checks on top of our own), hardlinks stay inside, device nodes are recorded not created,
// setuid/setgid bits are stripped, every blob's digest is checked.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "image/oci_image.h"

namespace cuslim {

enum class ImageKind { rootfs_dir, oci_layout, oci_archive, docker_archive, rootfs_tar };
std::string kind_name(ImageKind k);

struct UnpackedImage {
  ImageKind kind = ImageKind::rootfs_dir;
  std::string rootfs;  // a staging dir (owned by the caller) or, for rootfs_dir, the input itself
  ImageConfig config;  // Env, Entrypoint, Cmd, WorkingDir, User (empty for plain rootfs inputs)
  std::vector<std::string> skipped;  // device nodes and other entries recorded, not created
};

Result<ImageKind> detect_image(const std::string& path);

// Unpacks `image` into `staging` (an empty dir); a rootfs dir is used in place (not copied).
// `tag` picks a manifest by org.opencontainers.image.ref.name (empty: the first).
Result<UnpackedImage> unpack_image(const std::string& image, const std::string& staging, const std::string& tag = "");

}  // namespace cuslim
