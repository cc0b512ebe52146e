#include "bundle/layer_cache.h"

#include "core/atomic_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/json_text.h"
#include "image/oci_image.h"
#include "core/fs.h"

namespace cuslim {

namespace {
const char* kCacheFile = "/cuslim-cache.json";
}

std::string layer_key(const std::vector<LayerEntry>& entries, const LayerOptions& opt) {
  Sha256 h;
  auto add = [&](const std::string& s) { h.update(s.data(), s.size() + 1); };
  add("v2 " + std::to_string(static_cast<int>(opt.compression)) + " " + std::to_string(opt.mtime));
  for (auto& e : entries) {
    add(e.name + " " + std::to_string(e.type) + " " + std::to_string(e.mode) + " " + std::to_string(e.uid) + ":" + std::to_string(e.gid) + " " + std::to_string(e.size) + " " + e.target);
    if (!e.source.empty()) {
      struct stat st;
      // ctime too: a rewrite that keeps size and mtime (cp -p, a fixed SOURCE_DATE_EPOCH) moves it,
      // and no one can set it back.
      if (::stat(e.source.c_str(), &st) == 0)
        add(e.source + " " + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + " " + std::to_string(st.st_ctim.tv_sec) + "." +
            std::to_string(st.st_ctim.tv_nsec) + " " + std::to_string(st.st_ino) + " " + std::to_string(st.st_dev));
    if (e.extents) add("extents " + extents_key(*e.extents));
    } else {
      add(e.content);
    }
  }
  return h.finish().hex();
}

std::optional<LayerBlob> cached_layer(const std::string& old_layout, const std::string& key) {
  auto text = read_regular_file(old_layout + kCacheFile);
  if (!text) return std::nullopt;
  auto j = parse_json_or_discarded(*text);
  if (j.is_discarded() || !j.is_object() || !j.contains(key) || !j[key].is_object()) return std::nullopt;
  auto& e = j[key];
  for (auto* k : {"digest", "diff_id"})
    if (!e.contains(k) || !e[k].is_string()) return std::nullopt;
  for (auto* k : {"size", "uncompressed", "compression"})
    if (!e.contains(k) || !e[k].is_number_unsigned()) return std::nullopt;
  auto digest = Digest::parse(e.value("digest", ""));
  auto diff = Digest::parse(e.value("diff_id", ""));
  if (!digest || !diff) return std::nullopt;
  struct stat st;
  if (::stat(blob_path(old_layout, *digest).c_str(), &st) != 0 || static_cast<uint64_t>(st.st_size) != e.value("size", 0ull)) return std::nullopt;
  LayerBlob b;
  b.digest = *digest;
  b.diff_id = *diff;
  b.size = e.value("size", 0ull);
  b.uncompressed = e.value("uncompressed", 0ull);
  b.compression = static_cast<Compression>(e.value("compression", 1));
  return b;
}

Status record_layer(const std::string& layout_dir, const std::string& key, const LayerBlob& b) {
  // Added to what the layout already records (an image has several layers: --layers auto), less
  // the entries whose blob is gone.
  nlohmann::json j = nlohmann::json::object();
  if (std::ifstream in(layout_dir + kCacheFile); in) {
    auto old = parse_json_or_discarded(std::string(std::istreambuf_iterator<char>(in), {}));
    if (old.is_object()) j = std::move(old);
  }
  for (auto it = j.begin(); it != j.end();) {
    auto d = it->is_object() ? Digest::parse(it->value("digest", "")) : Result<Digest>(bad_input("no digest"));
    if (!d || ::access(blob_path(layout_dir, *d).c_str(), F_OK) != 0) it = j.erase(it);
    else ++it;
  }
  j[key] = {{"digest", b.digest.str()}, {"diff_id", b.diff_id.str()}, {"size", b.size},
            {"uncompressed", b.uncompressed}, {"compression", static_cast<int>(b.compression)}};
  return write_file_atomic(layout_dir + kCacheFile, j.dump() + "\n");
}

Status adopt_layer_records(const std::string& from, const std::string& to) {
  auto text = read_regular_file(from + kCacheFile);
  if (!text) return ok_status();  // nothing staged was packed
  auto j = parse_json_or_discarded(*text);
  if (!j.is_object()) return ok_status();
  for (auto& [key, e] : j.items())
    if (auto b = cached_layer(to, key); !b)
      if (auto staged = cached_layer(from, key); staged && ::access(blob_path(to, staged->digest).c_str(), F_OK) == 0)
        CUSLIM_CHECK(record_layer(to, key, *staged));
  return ok_status();
}

}  // namespace cuslim
