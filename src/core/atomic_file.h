// Checked, atomic file writes: a unique temp name in the target's directory, every byte written,
// flushed (fsync where the file must survive a crash), close() checked, renamed over the target.
// A failure at any step leaves the old file (or none) and no temp file.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace cuslim {

enum class Durability {
  rename_only,  // scratch files cuslim reads back itself (a sandbox's ld.so.cache)
  fsync,        // outputs a user keeps (index.json, manifests, configs, reports)
};

Status write_file_atomic(const std::string& path, std::string_view bytes, Durability durability = Durability::fsync,
                         unsigned mode = 0644);

}  // namespace cuslim
