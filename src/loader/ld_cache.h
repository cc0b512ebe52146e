// ld.so.cache reader: the new format ("glibc-ld.so.cache1.1", with its glibc-hwcaps extension)
// and the old one ("ld.so-1.7.0", alone or as a prefix before the new block).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "loader/legacy_hwcaps.h"

namespace cuslim {

// key and value point into the cache image the LdCache holds (each ends in a NUL there): a cache
// of a thousand entries is read at every start, and copying its strings cost more than the walk.
struct LdCacheEntry {
  int32_t flags = 0;
  std::string_view key;    // soname
  std::string_view value;  // path
  uint64_t hwcap = 0;
  std::string hwcaps_subdir;  // glibc-hwcaps name when the entry lives in such a subdirectory
};

class LdCache {
 public:
  // Parses a cache image; `display` names the file in errors.
  static Result<LdCache> parse(std::string_view bytes, const std::string& display);
  static Result<LdCache> read(const std::string& host_path, const std::string& display);
  static Result<LdCache> parse_owned(std::string image, const std::string& display);

  // glibc's lookup: the best active glibc-hwcaps entry for `name`, else the first plain entry,
  // among entries whose flags are in `accepted_flags`. `hwcaps` is best-first. With `legacy`
  // (glibc <= 2.36), an entry with legacy hwcap bits this CPU accepts counts as plain, so the
  // first of them in the file's order (ldconfig sorts them before the bare one) wins.
  std::optional<std::string> lookup(std::string_view name, const std::vector<int32_t>& accepted_flags,
                                    const std::vector<std::string>& hwcaps, const LegacyCacheBits* legacy = nullptr) const;

  const std::vector<LdCacheEntry>& entries() const { return entries_; }
  bool new_format() const { return new_format_; }
  const std::string& generator() const { return generator_; }

 private:
  void build_index();

  std::shared_ptr<const std::string> image_;  // the bytes entries_ point into (shared: copies stay valid)
  std::vector<LdCacheEntry> entries_;
  std::vector<uint32_t> by_key_;  // entry indexes sorted by key, file order among equal keys
  bool new_format_ = false;
  std::string generator_;
};

}  // namespace cuslim
