// Image: config + manifest + index over layer blobs, written as an OCI image layout, and the
// layout packed as an oci-archive or a docker-archive (the hybrid `docker load` reads:
// manifest.json beside the OCI layout). Every JSON document is compact with sorted keys, and
// every blob is stored under its digest through a temp file and a rename.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "image/layer.h"

namespace cuslim {

struct ImageConfig {
  std::string architecture = "amd64", os = "linux";
  std::vector<std::string> env, entrypoint, cmd;
  std::string working_dir, user;
  std::map<std::string, std::string> labels;
  std::vector<std::string> exposed_ports;  // "8080/tcp"
  std::vector<std::string> volumes;        // "/data"
  std::string stop_signal;                 // "SIGINT"
  std::string created = "1970-01-01T00:00:00Z";
  std::string history;  // created_by of our layer's history entry
};

struct ImageBuild {
  ImageConfig config;
  std::vector<LayerBlob> layers;  // bottom first; their blobs are already in blobs/sha256
  std::string tag;                // org.opencontainers.image.ref.name
  std::string history = "[]";     // the config's history (JSON array): the base's entries, then one per layer added
};

struct WrittenImage {
  Digest manifest = Digest::from_hex(""), config = Digest::from_hex("");
  uint64_t manifest_size = 0;
};

// Stores bytes as blobs/sha256/<hex> of `layout_dir` (temp + rename); returns the digest.
Result<Digest> write_blob(const std::string& layout_dir, const std::string& bytes);
// The path a layer blob must be moved to once its digest is known.
std::string blob_path(const std::string& layout_dir, const Digest& d);

// Writes config, manifest, index.json and oci-layout into layout_dir.
// How index.json is written: a new layout lists this image alone; an existing one keeps every
// other manifest and moves the tag (org.opencontainers.image.ref.name) to this image; an image
// without a tag replaces the untagged ones (one default image, as a tag is one image).
enum class IndexUpdate { replace, merge };
Result<WrittenImage> write_oci_layout(const std::string& layout_dir, const ImageBuild& b, IndexUpdate index = IndexUpdate::replace);
// Before any blob is added to an existing layout: its index.json can be updated (a JSON object
// with a manifests array), else the error IndexUpdate::merge would give after writing.
Status check_layout_index(const std::string& layout_dir);

// Media types an image index names: an index (OCI's, docker's manifest list), or a manifest.
bool is_index_media_type(const std::string& mt);
bool is_manifest_media_type(const std::string& mt);  // an index's too

// Packs layout_dir into out_file as a tar; with `docker`, adds manifest.json for docker load.
Status write_layout_archive(const std::string& layout_dir, const std::string& out_file, bool docker, const ImageBuild& b,
                            const WrittenImage& w, int64_t mtime);

}  // namespace cuslim
