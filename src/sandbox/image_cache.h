// ImageCache: unpacked images kept between `cuslim run`s, so that a second run of the same image
// starts at once. An OCI layout's entry is keyed by its image's manifest (or index) digest, so a
// copy of the image elsewhere shares it; the first run from a source not seen before (another
// copy, or blobs rewritten since) hashes that layout's blobs against their names before using the
// entry. An archive's entry is keyed by its path, size, mtime and inode. An entry is unpacked
// under a temp name and renamed into place; runs use it read-only through an overlay (never
// writing into it) while holding a shared lock on it; a damaged entry (record or rootfs gone) is
// removed and unpacked again; past the size limit the least recently used entries that no run
// holds are removed. Rootfs dirs are never cached (they are used in place already).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/error.h"
#include "core/unique_fd.h"
#include "image/image_reader.h"

namespace cuslim {

struct ImageCacheOptions {
  std::string dir;                          // holds one directory per entry
  uint64_t max_bytes = 20ull * 1000 * 1000 * 1000;  // total unpacked bytes kept
};

// $CUSLIM_CACHE_DIR/images, else $XDG_CACHE_HOME/cuslim/images, else ~/.cache/cuslim/images;
// the limit from $CUSLIM_RUN_CACHE_MAX (bytes, or 500M, 20G, 1TiB), else 20 GB; a value that is
// not a size is a usage error.
Result<ImageCacheOptions> default_image_cache();

struct CachedImage {
  UnpackedImage image;  // rootfs inside the cache entry: read-only for the caller
  bool hit = false;     // false: unpacked now
  std::string entry;    // the entry's directory
  UniqueFd lock;        // shared lock on the entry for as long as the image is in use
};

// The image from the cache, unpacked into it first when missing; then entries over the limit go.
// nullopt when the input is not cached (a rootfs dir, used in place). A docker:// reference asks
// the registry for its manifest digest and pulls only on a miss. `unpack.progress`: bytes of the
// image read while unpacking it (a miss).
Result<std::optional<CachedImage>> cached_unpack(const std::string& image, const UnpackOptions& unpack, const ImageCacheOptions& opt);

}  // namespace cuslim
