#include "loader/ld_cache.h"

#include <algorithm>
#include <cstring>

#include "core/fs.h"

namespace cuslim {

namespace {

constexpr std::string_view kOldMagic = "ld.so-1.7.0";                // 11 bytes
constexpr std::string_view kNewMagic = "glibc-ld.so.cache1.1";       // magic(17) + version(3)
constexpr size_t kOldHeader = 16;     // magic[11] + pad + uint32 nlibs
constexpr size_t kOldEntry = 12;      // int32 flags, uint32 key, uint32 value
constexpr size_t kNewHeader = 48;     // struct cache_file_new
constexpr size_t kNewEntry = 24;      // struct file_entry_new
constexpr uint32_t kExtensionMagic = 0xEAA42174u;
constexpr uint64_t kHwcapExtension = 1ull << 62;  // DL_CACHE_HWCAP_EXTENSION
constexpr uint32_t kTagGenerator = 0, kTagHwcaps = 1;

// Bounds-checked little cursor over the cache image; every read names the offset on failure.
struct Bytes {
  std::string_view b;
  const std::string& display;
  Result<uint32_t> u32(size_t off) const {
    if (off > b.size() || b.size() - off < 4) return oob(off, 4);
    uint32_t v;
    std::memcpy(&v, b.data() + off, 4);
    return v;
  }
  Result<uint64_t> u64(size_t off) const {
    if (off > b.size() || b.size() - off < 8) return oob(off, 8);
    uint64_t v;
    std::memcpy(&v, b.data() + off, 8);
    return v;
  }
  Result<std::string_view> str(size_t off) const {
    if (off >= b.size()) return oob(off, 1);
    const void* end = std::memchr(b.data() + off, '\0', b.size() - off);
    if (!end) return bad_input(display + ": string at offset " + std::to_string(off) + " is not terminated");
    return b.substr(off, static_cast<size_t>(static_cast<const char*>(end) - (b.data() + off)));
  }
  Error oob(size_t off, size_t n) const {
    return bad_input(display + ": truncated: " + std::to_string(n) + " bytes at offset " + std::to_string(off) +
                     " lie past the end (" + std::to_string(b.size()) + " bytes)");
  }
};

Result<std::vector<std::string>> read_hwcaps_names(const Bytes& in, size_t base, size_t ext_off, std::string* generator) {
  std::vector<std::string> names;
  CUSLIM_TRY(uint32_t magic, in.u32(ext_off));
  if (magic != kExtensionMagic) return names;  // no extension directory
  CUSLIM_TRY(uint32_t count, in.u32(ext_off + 4));
  for (uint32_t i = 0; i < count; ++i) {
    size_t rec = ext_off + 8 + size_t(i) * 16;
    CUSLIM_TRY(uint32_t tag, in.u32(rec));
    CUSLIM_TRY(uint32_t rel, in.u32(rec + 8));
    CUSLIM_TRY(uint32_t size, in.u32(rec + 12));
    size_t off = rel;  // extension offsets count from the file start (cache_extension_load)
    if (off > in.b.size() || in.b.size() - off < size)
      return bad_input(in.display + ": extension section " + std::to_string(i) + " lies past the end");
    if (tag == kTagGenerator) *generator = std::string(in.b.substr(off, size));
    if (tag == kTagHwcaps) {
      for (uint32_t j = 0; j + 4 <= size; j += 4) {  // an array of string offsets
        CUSLIM_TRY(uint32_t soff, in.u32(off + j));
        CUSLIM_TRY(auto name, in.str(base + soff));
        names.emplace_back(name);
      }
    }
  }
  return names;
}

Status parse_new(const Bytes& in, size_t base, LdCache* cache, std::vector<LdCacheEntry>* out, std::string* gen) {
  if (in.b.size() - base < kNewHeader) return in.oob(base, kNewHeader);
  CUSLIM_TRY(uint32_t nlibs, in.u32(base + 20));
  CUSLIM_TRY(uint32_t ext_off, in.u32(base + 32));
  if (nlibs > (in.b.size() - base - kNewHeader) / kNewEntry)
    return bad_input(in.display + ": header claims " + std::to_string(nlibs) + " entries, more than the file holds");
  std::vector<std::string> hwcaps;
  if (ext_off) {
    auto names = read_hwcaps_names(in, base, ext_off, gen);
    if (!names) return names.error();
    hwcaps = std::move(*names);
  }
  (void)cache;
  for (uint32_t i = 0; i < nlibs; ++i) {
    size_t e = base + kNewHeader + size_t(i) * kNewEntry;
    LdCacheEntry entry;
    CUSLIM_TRY(uint32_t flags, in.u32(e));
    CUSLIM_TRY(uint32_t key, in.u32(e + 4));
    CUSLIM_TRY(uint32_t value, in.u32(e + 8));
    CUSLIM_TRY(entry.hwcap, in.u64(e + 16));
    entry.flags = static_cast<int32_t>(flags);
    // Offsets count from the new header: the file start, or the new block after an old prefix.
    CUSLIM_TRY(entry.key, in.str(base + key));
    CUSLIM_TRY(entry.value, in.str(base + value));
    if (entry.hwcap & kHwcapExtension) {
      uint32_t idx = static_cast<uint32_t>(entry.hwcap);
      if (idx >= hwcaps.size()) return bad_input(in.display + ": entry " + std::to_string(i) + " names glibc-hwcaps index " + std::to_string(idx) + " of " + std::to_string(hwcaps.size()));
      entry.hwcaps_subdir = hwcaps[idx];
    }
    out->push_back(std::move(entry));
  }
  return ok_status();
}

Status parse_old(const Bytes& in, uint32_t nlibs, std::vector<LdCacheEntry>* out) {
  size_t strings = kOldHeader + size_t(nlibs) * kOldEntry;
  for (uint32_t i = 0; i < nlibs; ++i) {
    size_t e = kOldHeader + size_t(i) * kOldEntry;
    LdCacheEntry entry;
    CUSLIM_TRY(uint32_t flags, in.u32(e));
    CUSLIM_TRY(uint32_t key, in.u32(e + 4));
    CUSLIM_TRY(uint32_t value, in.u32(e + 8));
    entry.flags = static_cast<int32_t>(flags);
    CUSLIM_TRY(entry.key, in.str(strings + key));  // old format: offsets from the string table
    CUSLIM_TRY(entry.value, in.str(strings + value));
    out->push_back(std::move(entry));
  }
  return ok_status();
}

// Orders entry indexes and names by key (equal_range over by_key_).
struct KeyOrder {
  const std::vector<LdCacheEntry>& entries;
  bool operator()(uint32_t a, std::string_view b) const { return entries[a].key < b; }
  bool operator()(std::string_view a, uint32_t b) const { return a < entries[b].key; }
};

}  // namespace

Result<LdCache> LdCache::parse(std::string_view image, const std::string& display) {
  return parse_owned(std::string(image), display);
}

Result<LdCache> LdCache::parse_owned(std::string image, const std::string& display) {
  LdCache cache;
  cache.image_ = std::make_shared<const std::string>(std::move(image));
  std::string_view bytes = *cache.image_;
  Bytes in{bytes, display};
  if (bytes.substr(0, kNewMagic.size()) == kNewMagic) {
    cache.new_format_ = true;
    CUSLIM_CHECK(parse_new(in, 0, &cache, &cache.entries_, &cache.generator_));
    cache.build_index();
    return cache;
  }
  if (bytes.substr(0, kOldMagic.size()) != kOldMagic)
    return bad_input(display + ": not an ld.so.cache (unknown magic)");
  CUSLIM_TRY(uint32_t nlibs, in.u32(12));
  if (nlibs > (bytes.size() - kOldHeader) / kOldEntry)
    return bad_input(display + ": header claims " + std::to_string(nlibs) + " entries, more than the file holds");
  // A new-format block may follow the old entries, aligned to 8 bytes (ALIGN_CACHE).
  size_t next = (kOldHeader + size_t(nlibs) * kOldEntry + 7) & ~size_t(7);
  if (next <= bytes.size() && bytes.substr(next, kNewMagic.size()) == kNewMagic) {
    cache.new_format_ = true;
    CUSLIM_CHECK(parse_new(in, next, &cache, &cache.entries_, &cache.generator_));
    cache.build_index();
    return cache;
  }
  CUSLIM_CHECK(parse_old(in, nlibs, &cache.entries_));
  cache.build_index();
  return cache;
}

Result<LdCache> LdCache::read(const std::string& host_path, const std::string& display) {
  auto bytes = read_regular_file(host_path);
  if (!bytes) {  // the error in the root's words
    const std::string& m = bytes.error().message();
    return Error(bytes.error().code(), m.rfind(host_path, 0) == 0 ? display + m.substr(host_path.size()) : m);
  }
  return parse_owned(std::move(*bytes), display);
}

void LdCache::build_index() {
  by_key_.resize(entries_.size());
  for (uint32_t i = 0; i < by_key_.size(); ++i) by_key_[i] = i;
  std::stable_sort(by_key_.begin(), by_key_.end(), [&](uint32_t a, uint32_t b) { return entries_[a].key < entries_[b].key; });
}

std::optional<std::string> LdCache::lookup(std::string_view name, const std::vector<int32_t>& accepted_flags,
                                           const std::vector<std::string>& hwcaps, const LegacyCacheBits* legacy) const {
  const LdCacheEntry* plain = nullptr;
  const LdCacheEntry* best = nullptr;
  size_t best_rank = hwcaps.size();
  auto [first, last] = std::equal_range(by_key_.begin(), by_key_.end(), name, KeyOrder{entries_});
  for (auto it = first; it != last; ++it) {
    size_t i = *it;
    const LdCacheEntry& e = entries_[i];
    bool flags_ok = false;
    for (auto f : accepted_flags) flags_ok |= (e.flags == f);
    if (!flags_ok) continue;
    if (!e.hwcaps_subdir.empty()) {
      for (size_t r = 0; r < best_rank; ++r)
        if (hwcaps[r] == e.hwcaps_subdir) { best = &e; best_rank = r; break; }
    } else if (!plain && ((e.hwcap & ~kHwcapExtension) == 0 || (legacy && !(e.hwcap & kHwcapExtension) && legacy->accepts(e.hwcap)))) {
      plain = &e;
    }
  }
  if (best) return std::string(best->value);
  if (plain) return std::string(plain->value);
  return std::nullopt;
}

}  // namespace cuslim
