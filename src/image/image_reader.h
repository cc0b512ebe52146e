// Reading images: an OCI layout dir, an oci-archive, a docker-archive (classic and hybrid), a
// rootfs tarball (.tar, .tar.gz, .tar.zst) or a rootfs dir -- the kind is read from the content.
// Layers are applied in order with whiteouts and opaque dirs into a staging dir: names with ".."
// or a leading "/" are refused, nothing is written through a symlink (libarchive's SECURE_*
// checks on top of our own), hardlinks stay inside, device nodes are recorded not created,
// setuid/setgid bits of files are stripped (a setgid directory stays one), every blob's digest is checked.
#pragma once

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "image/layer.h"
#include "image/oci_image.h"
#include "registry/registry_options.h"

namespace cuslim {

enum class ImageKind { rootfs_dir, oci_layout, oci_archive, docker_archive, rootfs_tar };
std::string kind_name(ImageKind k);

// What applying one layer did, in rootfs coordinates (absolute in-image paths, each entry's parent
// resolved as it was written): what slim needs to tell whether the layer is kept whole.
struct LayerListing {
  std::vector<std::string> dirs, others;  // directories; files, symlinks and hardlinks
  std::vector<std::string> removed;       // whiteouts: the paths they removed
  std::vector<std::string> opaque;        // directories an opaque whiteout emptied
  bool altered = false;  // an entry was not reproduced as stored (a device node skipped, setuid bits stripped)
  uint64_t tar_bytes = 0;  // the uncompressed tar's size, read to its end
};

// A layer of an OCI input, as stored: what appending to it (or reusing it) needs.
struct StoredLayer {
  std::string blob;  // host path of the blob
  LayerBlob info;    // digest, diff_id, size, compression
  LayerListing listing;
};

struct UnpackedImage {
  ImageKind kind = ImageKind::rootfs_dir;
  std::string rootfs;  // a staging dir (owned by the caller) or, for rootfs_dir, the input itself
  ImageConfig config;  // Env, Entrypoint, Cmd, WorkingDir, User (empty for plain rootfs inputs)
  std::vector<std::string> skipped;  // device nodes and other entries recorded, not created
  bool keep_setuid = false;
  std::vector<StoredLayer> layers;  // OCI inputs, and docker-archives whose every layer has a digest
  std::string history_json = "[]";  // the input config's history, as JSON
  std::string manifest;  // OCI inputs: the digest index.json names for the image (its manifest, or its index)
  // Image inputs: the numeric owner each entry's layer gave it, by in-image path (the top layer's;
  // unpacking does not chown). Paths absent here (a rootfs dir input) have the files' own owners.
  std::map<std::string, FileOwner> owners;
  // Image inputs unpacked by a non-root user: the stored mode of each entry unpacking gave its
  // owner more access (a 0000 /etc/shadow is made 0600, a 0500 directory 0700), so that it can be
  // read, written into and removed; what ships is the stored mode.
  std::map<std::string, uint32_t> modes;
  std::set<std::string> setuid_stripped;  // files whose setuid/setgid bits unpacking stripped (warned where kept)
  // Image inputs: the extended attributes each entry's layer gave it (unpacking does not set
  // them on disk). File capabilities (security.capability) are privilege, as setuid bits are:
  // recorded only with keep_setuid, else listed in setuid_stripped.
  std::map<std::string, Xattrs> xattrs;
  std::set<std::string> capabilities_stripped;  // files whose capabilities unpacking left out (warned where kept)
};

// What an image input is, from its files (a tar from its entry names). `transport` ("oci-archive"
// or "docker-archive") picks the reading of an archive that holds both (Docker 25's docker save).
Result<ImageKind> detect_image(const std::string& path, const std::string& transport = "");

struct UnpackOptions {
  std::string tag;                      // org.opencontainers.image.ref.name (empty: the first manifest)
  std::string platform = "linux/amd64"; // for image indexes (multi-platform images)
  bool keep_setuid = false;             // else setuid/setgid bits are stripped
  // Called as blob bytes are read: done and the total expected (an estimate for archives).
  std::function<void(uint64_t done, uint64_t total)> progress;
  // docker://: how to reach the registry, and the bytes pulled of the blobs' total.
  RegistryOptions registry;
  std::function<void(uint64_t done, uint64_t total)> pull_progress;
};

// "DIR:TAG", skopeo's transports "oci:DIR[:TAG]", "oci-archive:FILE[:TAG]",
// "docker-archive:FILE[:REF]", "dir:PATH" (a rootfs dir here), "docker://HOST/REPO[:TAG|@DIGEST]"
// (path is the whole reference), or a plain path. A path that exists as given is never split (a
// file named "a:b" stays itself).
struct ImageRef {
  std::string path, tag;
  std::string transport;  // "" (a path), "oci", "oci-archive", "docker-archive", "dir", "docker"
};
ImageRef parse_image_ref(const std::string& ref);

// A transport says what the input is (oci: a layout, oci-archive:, docker-archive:, dir: a rootfs
// directory): another kind there is exit 3 naming both (it was read as what it is).
Status check_transport_kind(const std::string& image_ref, const std::string& transport, ImageKind kind);
// Whether `s` names an image rather than a profile (--base): a transport, or an existing path.
bool names_image(const std::string& s);

// Unpacks `image` (a path, or a reference as parse_image_ref reads it) into `staging` (an empty
// dir); a rootfs dir is used in place (not copied). A layout of several images needs a tag.
Result<UnpackedImage> unpack_image(const std::string& image, const std::string& staging, const UnpackOptions& opt);
// The manifest (or index) digest that index.json of the OCI layout `dir` gives for `tag` (the only
// image without one; "@N" the N-th), each entry read on the way checked as unpack checks it: a
// run from the cache reads no less of the layout than this.
Result<std::string> layout_manifest_digest(const std::string& dir, const std::string& tag);
inline Result<UnpackedImage> unpack_image(const std::string& image, const std::string& staging, const std::string& tag = "") {
  UnpackOptions o;
  o.tag = tag;
  return unpack_image(image, staging, o);
}

}  // namespace cuslim
