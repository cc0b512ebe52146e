// Layer: one tar layer written in a single pass -- libarchive writes the tar, the uncompressed
// stream is hashed (diff_id) and compressed -- gzip in blocks on every core (ParallelGzip), zstd
// by libarchive's multi-threaded filter -- while the stored blob is hashed (digest). Reproducible: the caller's entry order
// (sorted), the entries' numeric owners (0:0 unless slim keeps the input's), no user/group names, one mtime.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "image/digest.h"
#include "image/file_extents.h"

namespace cuslim {

// A numeric owner, as a layer stores it.
struct FileOwner {
  uint32_t uid = 0, gid = 0;
  bool operator==(const FileOwner&) const = default;
};

// Extended attributes of one entry, sorted by name (PAX SCHILY.xattr.NAME records): the file
// capabilities of /usr/bin/ping (security.capability), user.* tags.
using Xattrs = std::vector<std::pair<std::string, std::string>>;

struct LayerEntry {
  enum Type { file, dir, symlink };
  Type type = file;
  std::string name;    // inside the image, relative: "usr/bin/ssh"
  std::string source;  // host path of a file's content (empty: `content` is the content)
  std::string content;  // generated files (ld.so.cache, ld.so.conf.d entries)
  std::string target;  // a symlink's target
  uint32_t mode = 0644;
  uint32_t uid = 0, gid = 0;  // numeric owner (no names are written)
  uint64_t size = 0;
  std::shared_ptr<const FileExtents> extents;  // the content is these pieces of `source` (a rewrite)
  Xattrs xattrs;
};

enum class Compression { none, gzip, zstd };
std::string media_type(Compression c);  // application/vnd.oci.image.layer.v1.tar(+gzip|+zstd)

struct LayerBlob {
  Digest digest = Digest::from_hex("");   // of the stored blob
  Digest diff_id = Digest::from_hex("");  // of the uncompressed tar
  uint64_t size = 0;                      // stored bytes
  uint64_t uncompressed = 0;
  Compression compression = Compression::gzip;
};

struct LayerOptions {
  Compression compression = Compression::gzip;
  int64_t mtime = 0;  // every entry's mtime (SOURCE_DATE_EPOCH or 0)
  int threads = 0;    // compression threads; 0 = cores (the bytes do not depend on it)
  std::function<void(uint64_t bytes_in)> progress;
};

// Writes entries, in the given order, as a layer blob to out_file. A file whose source is a
// second name of a hard-linked inode already written (same size) is written as a hard link to it.
Result<LayerBlob> write_layer(const std::vector<LayerEntry>& entries, const std::string& out_file, const LayerOptions& opt);

}  // namespace cuslim
