// Blob reuse in an existing OCI dir: a layer is keyed by everything that determines its bytes
// (each entry's path, type, mode, size, target, the source file's mtime, ctime, inode and device, generated
// content, compression, mtime). When OUT already holds a blob for that key, it is hard-linked
// (or copied) into the new layout instead of being packed again.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "image/layer.h"

namespace cuslim {

std::string layer_key(const std::vector<LayerEntry>& entries, const LayerOptions& opt);

// The layer recorded for `key` in an existing layout dir, if its blob is still there.
std::optional<LayerBlob> cached_layer(const std::string& old_layout, const std::string& key);

// Records key -> layer in layout_dir/cuslim-cache.json, beside the layout's other layers.
Status record_layer(const std::string& layout_dir, const std::string& key, const LayerBlob& b);

// Records in `to` the layers `from` records whose blobs `to` holds (a staged image moved in).
Status adopt_layer_records(const std::string& from, const std::string& to);

}  // namespace cuslim
