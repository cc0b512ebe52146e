#pragma once
// Where a gzip layer ends: libarchive's gzip reader stops quietly at bytes after the last member
// that are no gzip header, while Go's reader (docker, containerd, umoci, skopeo) fails on them
// ("gzip: invalid header"). A layer cuslim accepts, passes on or verifies must not hide such bytes.

#include <cstdint>
#include <string>

#include "core/error.h"

namespace cuslim {

// Checks that the gzip blob open at `fd` (`size` bytes; `plain_bytes` uncompressed) ends with its
// last member. The usual single-member blob is settled by its trailer (ISIZE, the uncompressed size
// mod 2^32, in the last four bytes) without reading it again; anything else is inflated member by
// member with zlib. `what` names the layer in the error (exit 3).
Status check_gzip_end(int fd, uint64_t size, uint64_t plain_bytes, const std::string& what);

}  // namespace cuslim
