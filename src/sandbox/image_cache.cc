#include "sandbox/image_cache.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "core/atomic_file.h"
#include "core/cache_dir.h"
#include "core/fs.h"
#include "core/json_text.h"
#include "core/path.h"
#include "core/signal_cleanup.h"
#include "image/digest.h"
#include "image/platform.h"
#include "registry/pull.h"
#include "registry/registry_ref.h"

namespace cuslim {

namespace fs = std::filesystem;

namespace {

constexpr const char* kMeta = "/image.json";
constexpr const char* kLock = "/lock";
constexpr const char* kTempPrefix = ".unpacking-";

std::string read_text(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

nlohmann::json to_json(const UnpackedImage& img, const std::string& rootfs_rel, uint64_t bytes) {
  auto& c = img.config;
  return {{"kind", static_cast<int>(img.kind)}, {"rootfs", rootfs_rel}, {"bytes", bytes}, {"skipped", img.skipped},
          {"history_json", img.history_json}, {"architecture", c.architecture}, {"os", c.os}, {"env", c.env},
          {"entrypoint", c.entrypoint}, {"cmd", c.cmd}, {"working_dir", c.working_dir}, {"user", c.user}, {"labels", c.labels},
          {"exposed_ports", c.exposed_ports}, {"created", c.created}};
}

Result<UnpackedImage> from_json(const std::string& entry) {
  auto j = parse_json_or_discarded(read_text(entry + kMeta));
  if (j.is_discarded() || !j.is_object()) return bad_input(entry + kMeta + ": not a cache record");
  try {
    UnpackedImage img;
    img.kind = static_cast<ImageKind>(j.at("kind").get<int>());
    img.rootfs = entry + "/" + j.at("rootfs").get<std::string>();
    img.skipped = j.at("skipped").get<std::vector<std::string>>();
    img.history_json = j.at("history_json").get<std::string>();
    auto& c = img.config;
    c.architecture = j.at("architecture"), c.os = j.at("os"), c.env = j.at("env"), c.entrypoint = j.at("entrypoint");
    c.cmd = j.at("cmd"), c.working_dir = j.at("working_dir"), c.user = j.at("user");
    c.labels = j.at("labels").get<std::map<std::string, std::string>>();
    c.exposed_ports = j.at("exposed_ports"), c.created = j.at("created");
    return img;
  } catch (const nlohmann::json::exception& e) {
    return bad_input(entry + kMeta + ": " + e.what());
  }
}

uint64_t tree_bytes(const std::string& dir) {
  uint64_t n = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied, ec); it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (ec) break;
    struct stat st;
    if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) n += static_cast<uint64_t>(st.st_size);
  }
  return n;
}

// Makes a tree removable by its owner (unpacked images may hold read-only dirs), then removes it.
void remove_tree(const std::string& dir) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_directory(ec) && !it->is_symlink(ec)) ::chmod(it->path().c_str(), 0700);
  }
  fs::remove_all(dir, ec);
}

// A shared (in use) or exclusive (being removed) lock on an entry; invalid when not granted.
UniqueFd lock_entry(const std::string& entry, int how) {
  UniqueFd fd(::open((entry + kLock).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd || ::flock(fd.get(), how) != 0) return UniqueFd();
  return fd;
}

// What this cache writes in its directory, and so all it may ever remove there: entries (a 32-hex
// key), unpacks under way (".unpacking-PID-KEY") and removals (KEY".removing-PID"). Anything else
// -- the user's files where CUSLIM_CACHE_DIR points at a project -- is never touched.
bool own_name(const std::string& name) {
  static const std::regex re(R"(([0-9a-f]{32})|(\.unpacking-[0-9]+-[0-9a-f]{32})|([0-9a-f]{32}\.removing-[0-9]+))");
  return std::regex_match(name, re);
}

// Removes least recently used entries (image.json's mtime) until the total fits, skipping `keep`
// and entries a run holds; also leftovers of unpacks whose process is gone.
void evict(const ImageCacheOptions& opt, const std::string& keep) {
  struct Entry {
    std::string dir;
    int64_t used;
    uint64_t bytes;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  std::error_code ec;
  for (auto& d : fs::directory_iterator(opt.dir, ec)) {
    std::string name = d.path().filename().string(), p = d.path().string();
    if (!own_name(name)) continue;
    if (name.rfind(kTempPrefix, 0) == 0) {  // ".unpacking-PID-..." of a dead process
      pid_t pid = static_cast<pid_t>(std::atol(name.c_str() + std::string(kTempPrefix).size()));
      if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) remove_tree(p);
      continue;
    }
    struct stat st;
    if (auto at = name.find(".removing-"); at != std::string::npos) {  // a removal: finished here if its run is gone
      pid_t pid = static_cast<pid_t>(std::atol(name.c_str() + at + std::string(".removing-").size()));
      if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) remove_tree(p);
      continue;
    }
    if (::stat((p + kMeta).c_str(), &st) != 0) {  // a damaged entry (its record gone): removed unless a run holds it
      bool unlocked = ::access((p + kLock).c_str(), F_OK) != 0;
      UniqueFd excl = unlocked ? UniqueFd() : lock_entry(p, LOCK_EX | LOCK_NB);
      std::string doomed = p + ".removing-" + std::to_string(::getpid());
      if ((unlocked || excl) && ::rename(p.c_str(), doomed.c_str()) == 0) remove_tree(doomed);
      continue;
    }
    auto j = parse_json_or_discarded(read_text(p + kMeta));
    uint64_t bytes = j.is_object() && j.contains("bytes") && j["bytes"].is_number_unsigned() ? j["bytes"].get<uint64_t>() : 0;
    entries.push_back({p, static_cast<int64_t>(st.st_mtim.tv_sec), bytes});
    total += bytes;
  }
  std::sort(entries.begin(), entries.end(), [](auto& a, auto& b) { return a.used < b.used; });
  for (auto& e : entries) {
    if (total <= opt.max_bytes) break;
    if (e.dir == keep) continue;
    UniqueFd excl = lock_entry(e.dir, LOCK_EX | LOCK_NB);
    if (!excl) continue;  // a run is using it
    std::string doomed = e.dir + ".removing-" + std::to_string(::getpid());
    if (::rename(e.dir.c_str(), doomed.c_str()) != 0) continue;
    remove_tree(doomed);
    total -= std::min(total, e.bytes);
  }
}

// Whether an entry still holds what it recorded: its record reads and its rootfs is a directory.
bool entry_sound(const std::string& entry) {
  auto img = from_json(entry);
  struct stat st;
  return img.ok() && ::stat(img->rootfs.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Size, mtime and ctime (ns), inode and device of a file: what changes when its bytes are rewritten
// (ctime even when a copy keeps the mtime: cp -p, a fixed SOURCE_DATE_EPOCH).
std::string stat_words(const std::string& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return "missing";
  return std::to_string(st.st_size) + " " + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + " " +
         std::to_string(st.st_ctim.tv_sec) + "." + std::to_string(st.st_ctim.tv_nsec) + " " +
         std::to_string(st.st_ino) + " " + std::to_string(st.st_dev);
}

}  // namespace

// What names a cached image and what says its source is still the one checked.
struct CacheKey {
  std::string key;     // the entry's name
  std::string stamp;   // the source as seen now: its path, and each blob's size, mtime and inode
  std::string layout;  // an OCI layout's dir (its blobs are checked against their names on a new stamp)
  std::string image_digest;  // the layout's image (manifest or index) digest
  std::string pinned;  // docker://: the reference pinned to the digest the key names (what a miss pulls)
};

// A registry image is keyed by the digest of its platform's manifest, asked of the registry at
// every run (a tag may move; the image a digest names never changes): the same key as an OCI
// layout holding that manifest, so a pulled image and its local copy share one entry. A reference
// pinned to a digest the cache holds an entry for runs without asking (a node runs what it has
// while the registry is down); an index's digest is resolved to its platform's manifest.
// An image index pinned by digest (the @sha256 that docker pull and skopeo inspect give for a
// multi-platform image) names one manifest per platform for good: which one is remembered beside
// the entries, in "KEY.index" (not an entry: eviction passes it by), so a run pinned to the index
// asks the registry nothing once the entry is there, as a run pinned to the manifest does.
std::string index_note(const std::string& cache_dir, const std::string& index_digest, const std::string& platform) {
  return cache_dir + "/" + Sha256::of("index\n" + index_digest + "\n" + parse_platform(platform).str() + "\n").hex().substr(0, 32) + ".index";
}

Result<CacheKey> registry_cache_key(const std::string& image, const UnpackOptions& u, const std::string& cache_dir) {
  CUSLIM_TRY(auto ref, parse_registry_ref(image));
  CUSLIM_CHECK(apply_tag_option(ref, u.tag));
  auto key_of = [](const std::string& digest) { return Sha256::of("v2\n" + digest + "\n").hex().substr(0, 32); };
  auto cached = [&](const std::string& digest) { return !digest.empty() && entry_sound(cache_dir + "/" + key_of(digest)); };
  std::string image_digest = ref.digest;
  if (!ref.digest.empty() && !cached(ref.digest)) {
    std::string noted = read_text(index_note(cache_dir, ref.digest, u.platform));
    while (!noted.empty() && noted.back() == '\n') noted.pop_back();
    if (Digest::parse(noted) && cached(noted)) image_digest = noted;
  }
  if (!cached(image_digest)) {
    CUSLIM_TRY(auto digest, resolve_manifest(ref, u.platform, u.registry));
    image_digest = digest.str();
    if (!ref.digest.empty() && image_digest != ref.digest && make_dirs(cache_dir).ok())  // pinned to an index: noted (best effort)
      (void)write_file_atomic(index_note(cache_dir, ref.digest, u.platform), image_digest + "\n", Durability::rename_only);
  }
  CacheKey k;
  k.image_digest = image_digest;
  k.pinned = "docker://" + ref.domain + "/" + ref.repo + "@" + k.image_digest;
  k.stamp = Sha256::of("docker\n" + k.pinned + "\n").hex();
  k.key = key_of(k.image_digest);
  return k;
}

// An OCI layout is keyed by its image's manifest (or index) digest -- the same image copied
// elsewhere, or into another layout, is the same entry; an archive by its path, size, mtime and
// inode (its manifest digest is inside it); a registry image as registry_cache_key() says.
Result<std::optional<CacheKey>> cache_key(const std::string& image, const UnpackOptions& u, const std::string& cache_dir) {
  const std::string& tag = u.tag;
  auto ref = parse_image_ref(image);
  if (ref.transport == "docker") {
    CUSLIM_TRY(auto k, registry_cache_key(image, u, cache_dir));
    return std::optional<CacheKey>{k};
  }
  if (ref.transport == "dir") return std::optional<CacheKey>{};     // a rootfs dir: used in place
  CUSLIM_TRY(auto kind, detect_image(ref.path, ref.transport));
  CUSLIM_CHECK(check_transport_kind(image, ref.transport, kind));
  if (kind == ImageKind::rootfs_dir) return std::optional<CacheKey>{};
  CUSLIM_TRY(auto real, canonical_path(ref.path));
  if (!ref.tag.empty() && !tag.empty() && ref.tag != tag)  // as unpack_image() says it: neither wins in silence
    return Error(Exit::usage, image + ": names the tag '" + ref.tag + "' and the tag option says '" + tag + "'");
  std::string name = tag.empty() ? ref.tag : tag;
  CacheKey k;
  if (kind == ImageKind::oci_layout) {
    k.layout = real;
    k.stamp = real + "\n" + name + "\n" + read_text(real + "/index.json");
    std::error_code ec;
    std::vector<std::string> blobs;
    for (auto it = fs::recursive_directory_iterator(real + "/blobs", ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      if (it->is_regular_file(ec)) blobs.push_back(it->path().string());
    std::sort(blobs.begin(), blobs.end());
    for (auto& b : blobs) k.stamp += "\n" + b + " " + stat_words(b);
    k.stamp = Sha256::of(k.stamp).hex();
    // index.json read as unpack reads it: a run from the cache accepts no layout a fresh one refuses
    CUSLIM_TRY(k.image_digest, layout_manifest_digest(real, name));
    k.key = Sha256::of("v2\n" + k.image_digest + "\n").hex().substr(0, 32);
    return std::optional<CacheKey>{k};
  }
  struct stat st;
  if (::stat(real.c_str(), &st) != 0) return Error::from_errno(real, errno);
  k.stamp = Sha256::of("v1\n" + real + "\n" + name + "\n" + stat_words(real)).hex();
  k.key = k.stamp.substr(0, 32);
  return std::optional<CacheKey>{k};
}

// The blobs of the layout's image -- its manifest (or index and the manifests under it), config
// and layers -- read and hashed against their names: what a first run from this copy of the image
// checks before it uses the entry another copy unpacked. A blob missing is an error too.
Status check_layout_blobs(const std::string& layout, const std::string& image_digest) {
  std::vector<char> buf(1 << 20);
  std::vector<std::string> todo{image_digest};
  std::set<std::string> seen;
  for (size_t i = 0; i < todo.size() && i < 4096; ++i) {
    auto d = Digest::parse(todo[i]);
    if (!d || !seen.insert(d->hex()).second) continue;
    std::string file = layout + "/blobs/sha256/" + d->hex();
    UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return Error::from_errno(file, errno);
    Sha256 sha;
    std::string text;  // a JSON blob (an index, a manifest, the config) is kept to follow its digests
    bool first = true, json_blob = false;
    for (ssize_t n; (n = ::read(fd.get(), buf.data(), buf.size())) != 0; first = false) {
      if (n < 0) return Error::from_errno(file, errno);
      sha.update(buf.data(), static_cast<size_t>(n));
      if (first) json_blob = buf[0] == '{';
      if (json_blob && text.size() < (16u << 20)) text.append(buf.data(), static_cast<size_t>(n));
    }
    if (std::string got = sha.finish().hex(); got != d->hex())
      return bad_input(file + ": digest mismatch: the blob's content is sha256:" + got + ", its name says sha256:" + d->hex());
    if (!json_blob) continue;  // a layer
    auto j = parse_json_or_discarded(text);
    if (!j.is_object()) continue;
    if (j.contains("manifests") && j["manifests"].is_array())
      for (auto& m : j["manifests"])
        if (m.is_object() && m.contains("digest") && m["digest"].is_string()) todo.push_back(m["digest"].get<std::string>());
    if (j.contains("config") && j["config"].is_object() && j["config"].contains("digest") && j["config"]["digest"].is_string())
      todo.push_back(j["config"]["digest"].get<std::string>());
    if (j.contains("layers") && j["layers"].is_array())
      for (auto& l : j["layers"])
        if (l.is_object() && l.contains("digest") && l["digest"].is_string()) todo.push_back(l["digest"].get<std::string>());
  }
  return ok_status();
}

// A miss: the image unpacked as a run without the cache would; a registry image pulled by the
// digest its key names (not its tag, which may have moved meanwhile), its errors naming the
// reference as the user spelled it.
Result<UnpackedImage> unpack_missing(const std::string& image, const CacheKey& key, const UnpackOptions& unpack, const std::string& dir) {
  if (key.pinned.empty()) return unpack_image(image, dir, unpack);
  UnpackOptions pinned = unpack;
  pinned.tag.clear();
  auto img = unpack_image(key.pinned, dir, pinned);
  if (img.ok()) return img;
  std::string m = img.error().message();
  for (size_t at; (at = m.find(key.pinned)) != std::string::npos;) m.replace(at, key.pinned.size(), image);
  return Error(img.error().code(), m);
}

// Whether the entry has seen this stamp (its source checked); records it when not, after the check.
Status check_stamp(const std::string& entry, const CacheKey& k) {
  auto j = parse_json_or_discarded(read_text(entry + kMeta));
  if (!j.is_object()) return bad_input(entry + kMeta + ": not a cache record");
  auto& stamps = j["stamps"];
  if (stamps.is_array())
    for (auto& s : stamps)
      if (s == k.stamp) return ok_status();
  if (k.layout.empty()) return ok_status();  // an archive's key is its stamp (a record of an older cuslim has none)
  CUSLIM_CHECK(check_layout_blobs(k.layout, k.image_digest));
  if (!stamps.is_array()) stamps = nlohmann::json::array();
  stamps.push_back(k.stamp);
  while (stamps.size() > 64) stamps.erase(stamps.begin());
  (void)write_file_atomic(entry + kMeta, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", Durability::rename_only);
  return ok_status();
}

std::optional<uint64_t> parse_size(const std::string& s) {
  size_t digits = s.find_first_not_of("0123456789");
  if (digits == 0 || s.empty() || s.size() > 24) return std::nullopt;
  std::string unit = digits == std::string::npos ? "" : s.substr(digits);
  static const std::vector<std::pair<std::string, uint64_t>> units = {
      {"", 1},          {"B", 1},          {"K", 1000},          {"KB", 1000},          {"M", 1000000},           {"MB", 1000000},
      {"G", 1000000000}, {"GB", 1000000000}, {"T", 1000000000000}, {"TB", 1000000000000}, {"KiB", 1ull << 10},      {"MiB", 1ull << 20},
      {"GiB", 1ull << 30}, {"TiB", 1ull << 40}};
  for (auto& [u, mult] : units) {
    std::string lower = u, given = unit;
    if (u.find('i') == std::string::npos)  // k, kb, g, gb ... in either case
      for (auto* t : {&lower, &given})
        for (auto& ch : *t) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (lower != given) continue;
    uint64_t n = 0;
    for (size_t i = 0; i < (digits == std::string::npos ? s.size() : digits); ++i) {
      if (n > (UINT64_MAX - 9) / 10) return std::nullopt;
      n = n * 10 + static_cast<uint64_t>(s[i] - '0');
    }
    if (mult > 1 && n > UINT64_MAX / mult) return std::nullopt;
    return n * mult;
  }
  return std::nullopt;
}

Result<ImageCacheOptions> default_image_cache() {
  ImageCacheOptions o;
  std::string dir = cache_dir();
  o.dir = (dir.empty() ? std::string("/var/cache/cuslim") : dir) + "/images";
  if (const char* m = std::getenv("CUSLIM_RUN_CACHE_MAX"); m && *m) {
    auto n = parse_size(m);
    if (!n) return Error(Exit::usage, std::string("CUSLIM_RUN_CACHE_MAX='") + m + "': not a size (bytes, or with a unit: 500M, 20G, 1TiB)");
    o.max_bytes = *n;
  }
  return o;
}

Result<std::optional<CachedImage>> cached_unpack(const std::string& image, const UnpackOptions& unpack, const ImageCacheOptions& opt) {
  CUSLIM_TRY(auto key, cache_key(image, unpack, opt.dir));
  if (!key) return std::optional<CachedImage>{};
  CUSLIM_CHECK(make_dirs(opt.dir));
  CachedImage out;
  out.entry = opt.dir + "/" + key->key;
  out.lock = lock_entry(out.entry, LOCK_SH);
  if (out.lock && !entry_sound(out.entry)) {  // damaged (its record or rootfs gone): removed, unpacked again
    out.lock = UniqueFd();
    if (UniqueFd excl = lock_entry(out.entry, LOCK_EX | LOCK_NB)) {
      std::string doomed = out.entry + ".removing-" + std::to_string(::getpid());
      if (::rename(out.entry.c_str(), doomed.c_str()) == 0) remove_tree(doomed);
    } else if (::access((out.entry + kLock).c_str(), F_OK) == 0) {  // (gone meanwhile: unpacked afresh below)
      return bad_input(out.entry + ": a damaged cache entry another run holds: run again when it ends, or use --no-cache");
    }
  }
  if (!out.lock) {  // missing (or being removed): unpack it under a temp name, then rename it into place
    std::string tmp = opt.dir + "/" + kTempPrefix + std::to_string(::getpid()) + "-" + key->key;
    remove_tree(tmp);
    SignalCleanup on_signal(tmp);
    CUSLIM_CHECK(make_dirs(tmp));
    auto img = unpack_missing(image, *key, unpack, tmp + "/unpacked");
    if (!img.ok()) {
      remove_tree(tmp);
      return img.error();
    }
    std::string rel = fs::path(img->rootfs).lexically_relative(tmp).string();
    auto record = to_json(*img, rel, tree_bytes(img->rootfs));
    record["stamps"] = nlohmann::json::array({key->stamp});  // this source was checked while unpacked
    auto meta = write_file_atomic(tmp + kMeta, record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", Durability::rename_only);
    auto lock = write_file_atomic(tmp + kLock, "", Durability::rename_only);
    if (!meta.ok() || !lock.ok() || ::rename(tmp.c_str(), out.entry.c_str()) != 0) remove_tree(tmp);  // another run won the race
    out.lock = lock_entry(out.entry, LOCK_SH);
    if (!out.lock) return bad_input(out.entry + ": the unpacked image cannot be locked in the cache");
  } else {
    out.hit = true;
    CUSLIM_CHECK(check_stamp(out.entry, *key));  // another copy of the image (or this one changed): its blobs checked once
  }
  ::utimensat(AT_FDCWD, (out.entry + kMeta).c_str(), nullptr, 0);  // recently used
  CUSLIM_TRY(out.image, from_json(out.entry));
  evict(opt, out.entry);
  return std::optional<CachedImage>{std::move(out)};
}

}  // namespace cuslim
