// FileExtents: a file's content described as pieces of a source file, runs of zeros and literal
// bytes -- how an in-place rewrite (fatbin pruning) ships without copying the source: the layer
// writer and the dir writer stream the pieces; the source is never modified.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"

namespace cuslim {

struct FileExtent {
  enum Kind { copy, zeros, literal };
  Kind kind = copy;
  uint64_t src = 0;   // copy: offset in the source
  uint64_t len = 0;   // copy, zeros: length
  std::string bytes;  // literal
  uint64_t size() const { return kind == literal ? bytes.size() : len; }
};
using FileExtents = std::vector<FileExtent>;

uint64_t extents_size(const FileExtents& x);

// Appends, merging a copy with the copy it continues and zeros with zeros.
void append_extent(FileExtents& x, FileExtent e);

// Streams the content described by `x` over `source` to `sink` in chunks of at most 1 MiB.
Status stream_extents(const std::string& source, const FileExtents& x, const std::function<Status(const char*, size_t)>& sink);

// Writes the content to a new file `dst` (mode 0644; the caller sets the final mode).
Status write_extents(const std::string& source, const FileExtents& x, const std::string& dst);

// A stable description of `x` for cache keys.
std::string extents_key(const FileExtents& x);

}  // namespace cuslim
