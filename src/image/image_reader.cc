#include "image/image_reader.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <nlohmann/json.hpp>

#include "core/atomic_output.h"
#include "core/fs.h"
#include "core/in_root.h"
#include "core/json_text.h"
#include "core/path.h"
#include "core/plural.h"
#include "core/root.h"
#include "image/gzip_end.h"
#include "image/json_fields.h"
#include "image/platform.h"
#include "image/transport_spelling.h"
#include "image/utf8_names.h"
#include "core/unique_fd.h"
#include "image/digest.h"
#include "registry/media_types.h"
#include "registry/pull.h"
#include "registry/registry_ref.h"

namespace cuslim {

namespace {

using nlohmann::json;
using ReadPtr = std::unique_ptr<archive, decltype(&archive_read_free)>;
using WritePtr = std::unique_ptr<archive, decltype(&archive_write_free)>;

bool is_dir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Result<json> read_json(const std::string& p) {
  CUSLIM_TRY(std::string text, read_regular_file(p));
  return parse_json(text, p);
}

// Where the files of an image dir are read. For an archive unpacked by us, every symlink on a
// path is resolved inside the dir: a symlink the archive planted (blobs/sha256/<hex> or a
// docker layer name -> /etc/...) must not make us read a file of the host, and copy it into the
// image. A layout dir given by the user is read as it stands (its blobs may link to a store).
struct ImageDir {
  std::string dir;
  bool confined = false;
  Result<std::string> file(const std::string& host_path) const {
    std::string p = host_path;
    if (confined) {
      Root r(dir);
      CUSLIM_TRY(auto inside, r.realpath(host_path.substr(dir.size())));
      p = r.host_path(inside);
    }
    // A blob that is a fifo (or a device) would block the reader forever: refused, named.
    if (struct stat st; ::stat(p.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) return bad_input(host_path + ": not a regular file");
    return p;
  }
  Result<json> json_file(const std::string& host_path) const {
    CUSLIM_TRY(auto p, file(host_path));
    return read_json(p);
  }
};

// A JSON blob of an OCI layout, checked against its descriptor's digest (and size, when given)
// before it is parsed: an edited manifest or config is refused, as skopeo refuses it.
Result<json> read_json_blob(const ImageDir& img, const std::string& digest, std::optional<uint64_t> size, const std::string& what) {
  CUSLIM_TRY(std::string file, img.file(blob_path(img.dir, *Digest::parse(digest))));
  // A manifest or an index: at most 4 MiB, as a pull takes it (registry/media_types.h).
  bool manifest = what != "config";
  if (struct stat st; manifest && ::stat(file.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) > media::kMaxManifestBytes)
    return bad_input(file + " (the " + what + "): " + std::to_string(st.st_size) + " bytes, larger than " + media::kMaxManifestText +
                     ", the limit for a manifest or an image index (distribution's and containers/image's)");
  auto read = read_regular_file(file);
  if (!read) {  // "FILE (the config): Permission denied"
    std::string why = read.error().message();
    if (why.rfind(file + ": ", 0) == 0) why.erase(0, file.size() + 2);
    return Error(read.error().code(), file + " (the " + what + "): " + why);
  }
  std::string bytes = std::move(*read);
  if (auto got = Sha256::of(bytes).str(); got != digest)
    return bad_input(file + ": " + what + ": digest mismatch: the blob's content is " + got + ", its descriptor says " + digest);
  if (size && bytes.size() != *size)
    return bad_input(file + ": " + what + ": size mismatch: " + std::to_string(bytes.size()) + " bytes, its descriptor says " + std::to_string(*size));
  return parse_json(bytes, file + ": " + what);
}

// A name (./ already stripped) an image archive holds at its top: manifest.json, index.json, oci-layout,
// repositories, blobs/..., a classic `docker save`'s <64 hex>/ dirs (VERSION, json, layer.tar)
// and <64 hex>.json configs, skopeo's <64 hex>.tar layers. A rootfs holds others (bin/, etc/ ...).
bool archive_shaped(std::string n) {
  while (!n.empty() && n.back() == '/') n.pop_back();
  if (n.empty() || n == "." || n == "manifest.json" || n == "index.json" || n == "oci-layout" || n == "repositories") return true;
  if (n == "blobs" || n.rfind("blobs/", 0) == 0) return true;
  std::string first = n.substr(0, n.find('/'));
  if (first == n) first = first.substr(0, first.find('.'));  // <hex>.json, <hex>.tar
  return first.size() == 64 && first.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// What a tar's names say it is. Read until both indexes turned up or a name no image archive
// holds appears: a rootfs is told after its first entries, and a `docker save` of many layers
// (manifest.json after every layer dir) is still an archive.
struct ArchiveNames {
  bool any = false, manifest = false, layout = false;
  std::string damaged;  // why the scan stopped short of the end (a truncated or corrupt archive)
};
ArchiveNames scan_archive(const std::string& path) {
  ArchiveNames out;
  ReadPtr a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) return out;
  archive_entry* e;
  int r;
  while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
    std::string n = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    out.any = true;
    while (n.rfind("./", 0) == 0) n.erase(0, 2);  // `tar -C dir -cf x.tar .` writes ./manifest.json
    out.manifest |= n == "manifest.json";
    out.layout |= n == "oci-layout" || n == "index.json";
    if ((out.manifest && out.layout) || !archive_shaped(n)) return out;
  }
  if (r != ARCHIVE_EOF) out.damaged = archive_error_string(a.get()) ? archive_error_string(a.get()) : "unreadable";
  return out;
}

// A blob read through a hashing callback: the digest is checked when the layer ends.
struct HashedFile {
  UniqueFd fd;
  Sha256 sha;
  uint64_t total = 0;
  std::vector<char> buf = std::vector<char>(1 << 20);
};
// The progress of one unpack_image call (UnpackOptions::progress): blob bytes read of those expected.
// Thread-local so that the readers below need no extra parameter; set only for that call.
struct ReadProgress {
  const std::function<void(uint64_t, uint64_t)>* report = nullptr;
  uint64_t done = 0, total = 0;
  bool total_fixed = false;  // an archive: its whole step was counted up front
};
thread_local ReadProgress* t_progress = nullptr;
// Reports the reads of this thread for as long as it lives (nothing when there is no callback).
class ProgressScope {
 public:
  explicit ProgressScope(const UnpackOptions& opt) : progress_{&opt.progress} {
    if (opt.progress) t_progress = &progress_;
  }
  ~ProgressScope() { t_progress = nullptr; }
  ProgressScope(const ProgressScope&) = delete;
  ProgressScope& operator=(const ProgressScope&) = delete;

 private:
  ReadProgress progress_;
};
void expect_bytes(uint64_t n) {
  if (t_progress && !t_progress->total_fixed) t_progress->total += n;
}
// An archive is read twice: unpacked into a staging layout, whose blobs are then read again as
// layers (about as many bytes). One total for the step, said at its start: twice its size.
void expect_archive_bytes(uint64_t n) {
  if (!t_progress) return;
  t_progress->total += 2 * n;
  t_progress->total_fixed = true;
}

la_ssize_t hashed_read(archive*, void* ctx, const void** out) {
  auto* h = static_cast<HashedFile*>(ctx);
  ssize_t n = ::read(h->fd.get(), h->buf.data(), h->buf.size());
  if (n > 0) h->sha.update(h->buf.data(), static_cast<size_t>(n)), h->total += static_cast<uint64_t>(n);
  if (n > 0 && t_progress) (*t_progress->report)(t_progress->done += static_cast<uint64_t>(n), t_progress->total);
  *out = h->buf.data();
  return n;
}

// OCI image-spec layer whiteouts: ".wh.NAME" deletes NAME of the lower layers; the opaque marker
// in a directory hides everything the lower layers put there.
constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueWhiteout = ".wh..wh..opq";

// Rejects names that could leave the staging dir; returns the cleaned relative name.
Result<std::string> safe_name(const std::string& raw, const std::string& layer) {
  std::string name = raw;
  while (name.rfind("./", 0) == 0) name = name.substr(2);
  if (!name.empty() && name[0] == '/') return bad_input(layer + ": entry '" + raw + "': absolute name refused");
  std::string clean;
  auto shown = [&] { return raw.size() > 120 ? raw.substr(0, 60) + "..." + raw.substr(raw.size() - 40) : raw; };
  if (name.size() >= PATH_MAX)
    return bad_input(layer + ": entry '" + shown() + "': name of " + std::to_string(name.size()) + " bytes: File name too long (the limit is " +
                     std::to_string(PATH_MAX - 1) + ")");
  for (auto& c : path::components(name)) {
    if (c == "..") return bad_input(layer + ": entry '" + raw + "': '..' refused");
    if (c.size() > NAME_MAX)
      return bad_input(layer + ": entry '" + shown() + "': a component of " + std::to_string(c.size()) + " bytes: File name too long (the limit is " +
                       std::to_string(NAME_MAX) + ")");
    if (c != ".") clean += (clean.empty() ? "" : "/") + c;
  }
  return clean;
}

// The in-root location of `rel`'s parent directory, every symlink on the way resolved inside the
// root as openat2(RESOLVE_IN_ROOT) would (absolute targets re-rooted, ".." clamped at the root);
// components that do not exist yet are kept as they are. An entry is then written there, so no
// symlink planted by an earlier entry or layer can lead it out of the root.
Result<std::string> resolve_parent_in_root(const std::string& root, const std::string& rel, const std::string& layer) {
  auto parent = resolve_in_root(root, path::dirname("/" + rel), MissingComponent::keep);
  if (!parent.ok()) return bad_input(layer + ": entry '" + rel + "': " + parent.error().message());
  return *parent == "/" ? std::string() : *parent;
}

// True when some component of rel (below root) is a symlink: whiteouts never act through one.
bool through_symlink(const std::string& root, const std::string& rel) {
  std::string cur = root;
  auto comps = path::components(rel);
  for (size_t i = 0; i + 1 < comps.size(); ++i) {
    cur += "/" + comps[i];
    struct stat st;
    if (::lstat(cur.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) return true;
  }
  return false;
}

// Whether the layer being applied wrote `p` (an in-root path) or something below it.
bool written_by_layer(const std::set<std::string>& written, const std::string& p) {
  if (written.count(p)) return true;
  auto it = written.lower_bound(p + "/");
  return it != written.end() && it->rfind(p + "/", 0) == 0;
}

// Removes what the lower layers hold under the in-root directory `dir`, sparing what this layer
// wrote (`written`) and the directories on the way to it: each child this layer did not touch
// goes whole, one it wrote under is entered (its lower-layer content goes).
Status remove_lower_under(const std::string& root, const std::string& dir, const std::set<std::string>& written, const std::string& layer) {
  std::string d = root + dir;
  if (!is_dir(d)) return ok_status();
  std::error_code ec;
  std::vector<std::string> children;
  for (std::filesystem::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec)) children.push_back(it->path().filename().string());
  if (ec) return Error::from_errno(d, ec.value()).wrap(layer + ": whiteout");
  for (auto& c : children) {
    std::string inside = path::join(dir, c);
    struct stat st;
    if (!written_by_layer(written, inside)) remove_tree(root + inside);
    else if (::lstat((root + inside).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) CUSLIM_CHECK(remove_lower_under(root, inside, written, layer));
  }
  return ok_status();
}

// `written`: the in-root paths this layer has written so far. A whiteout hides what the lower
// layers hold, never its own layer's entries (OCI image-spec), wherever it stands in the tar:
// a whiteout of a directory this layer also wrote removes the lower layers' content of it.
Status apply_whiteout(const std::string& root, const std::string& name, const std::string& layer, const std::set<std::string>& written) {
  std::string dir = path::dirname("/" + name), base = path::basename(name);
  if (through_symlink(root, name)) return bad_input(layer + ": whiteout '" + name + "' reaches through a symlink: refused");
  if (base == kOpaqueWhiteout) return remove_lower_under(root, dir, written, layer);  // opaque dir: hide everything the lower layers put there
  std::string victim = base.substr(kWhiteoutPrefix.size());
  if (victim.empty() || victim == "." || victim == "..") return bad_input(layer + ": whiteout '" + name + "': refused");
  std::string at = path::join(dir, victim);
  struct stat st;
  if (!written_by_layer(written, at)) remove_tree(root + at);
  else if (::lstat((root + at).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return remove_lower_under(root, at, written, layer);
  return ok_status();
}

// An entry's extended attributes, sorted; file capabilities only when setuid bits are kept.
Xattrs entry_xattrs(archive_entry* e, bool with_capabilities) {
  Xattrs out;
  const char* name;
  const void* value;
  size_t size;
  archive_entry_xattr_reset(e);
  while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK)
    if (name && (with_capabilities || std::string_view(name) != "security.capability"))
      out.emplace_back(name, std::string(static_cast<const char*>(value), size));
  std::sort(out.begin(), out.end());
  return out;
}

// The owners recorded for what a layer removed, as apply_whiteout removed it: `removed` (unless
// it is an opaque directory) and everything under it, but what this layer wrote and the
// directories on the way to it (`written`; empty for a non-directory over a directory, which
// replaces the whole tree). A directory a later layer makes again without an entry of its own
// is not the removed one.
template <typename Recorded>
void forget_owners(std::map<std::string, Recorded>& owners, const std::string& removed, const std::set<std::string>& written, bool opaque = false) {
  if (!opaque && !written_by_layer(written, removed)) owners.erase(removed);
  const std::string under = removed == "/" ? "/" : removed + "/";
  for (auto it = owners.lower_bound(under); it != owners.end() && it->first.rfind(under, 0) == 0;)
    it = written_by_layer(written, it->first) ? std::next(it) : owners.erase(it);
}

// The uncompressed stream of a blob, hashed as the tar reader pulls it: the layer's diff_id
// checked in the same pass as its digest. A raw-format reader (libarchive's filters) decompresses
// the hashed file; the tar reader reads what it yields.
struct PlainStream {
  archive* raw = nullptr;
  Sha256 sha;
  std::vector<char> buf = std::vector<char>(1 << 20);
  uint64_t total = 0;  // bytes of the uncompressed tar
  bool failed = false;
};

la_ssize_t plain_read(archive*, void* ctx, const void** out) {
  auto* p = static_cast<PlainStream*>(ctx);
  la_ssize_t n = archive_read_data(p->raw, p->buf.data(), p->buf.size());
  if (n < 0) p->failed = true;
  if (n > 0) p->sha.update(p->buf.data(), static_cast<size_t>(n)), p->total += static_cast<uint64_t>(n);
  *out = p->buf.data();
  return n < 0 ? ARCHIVE_FATAL : n;
}

Status extract_layer(const std::string& blob, const std::string& root, const std::string& layer, const std::string* digest,
                     UnpackedImage& out, std::optional<uint64_t> expected_size = std::nullopt, LayerListing* listing = nullptr,
                     const std::string* diff_id = nullptr) {
  LayerListing ignored;
  LayerListing& ls = listing ? *listing : ignored;
  Utf8Names utf8;
  HashedFile h;
  h.fd.reset(::open(blob.c_str(), O_RDONLY | O_CLOEXEC));
  if (!h.fd) return Error::from_errno(blob, errno).wrap(layer);
  ReadPtr raw(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(raw.get());
  archive_read_support_format_raw(raw.get());
  archive_read_support_format_empty(raw.get());
  // The blob's own digest and size, once what no reader needed is hashed too: checked before any
  // reader's complaint, so a corrupt blob says "digest mismatch" wherever it breaks.
  auto blob_checks = [&]() -> Status {
    char rest[1 << 16];
    while (hashed_read(nullptr, &h, reinterpret_cast<const void**>(&rest)) > 0) {
    }
    if (digest)
      if (std::string got = "sha256:" + h.sha.finish().hex(); got != *digest)
        return bad_input(layer + ": digest mismatch: the blob's content is " + got + ", its descriptor says " + *digest);
    if (expected_size && h.total != *expected_size)
      return bad_input(layer + ": size mismatch: the blob has " + std::to_string(h.total) + " bytes, its descriptor says " + std::to_string(*expected_size));
    return ok_status();
  };
  archive_entry* raw_entry = nullptr;
  if (archive_read_open(raw.get(), &h, nullptr, hashed_read, nullptr) != ARCHIVE_OK || archive_read_next_header(raw.get(), &raw_entry) < ARCHIVE_WARN) {
    std::string why = archive_error_string(raw.get()) ?: "unreadable (a truncated or corrupt compressed stream)";
    CUSLIM_CHECK(blob_checks());
    return bad_input(layer + ": " + why);
  }
  PlainStream plain{raw.get()};
  ReadPtr a(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(a.get());
  if (archive_read_open(a.get(), &plain, nullptr, plain_read, nullptr) != ARCHIVE_OK) {
    std::string why = archive_error_string(a.get()) ?: "unreadable (a truncated or corrupt stream: no tar header)";
    CUSLIM_CHECK(blob_checks());
    return bad_input(layer + ": " + why);
  }
  // The image's own tree (not an archive's outer tar): its entries' owners are recorded, and, as
  // root, given to the files (`run` starts the image's User in a tree owned as the image says).
  const bool record_owners = root == out.rootfs;
  WritePtr w(archive_write_disk_new(), archive_write_free);
  archive_write_disk_set_options(w.get(), ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                              ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_UNLINK |
                                              (record_owners && ::geteuid() == 0 ? ARCHIVE_EXTRACT_OWNER : 0));
  // The entries, then the digest: a corrupt blob says "digest mismatch" even where the
  // decompressor or the tar reader noticed first.
  // libarchive's writer names host paths (the staging root): said as in-image paths instead.
  auto written_error = [&](const char* fallback) {
    std::string m = archive_error_string(w.get()) ?: fallback;
    for (size_t at; !root.empty() && (at = m.find(root)) != std::string::npos;) m.erase(at, root.size());
    return m;
  };
  auto entries = [&]() -> Status {
    archive_entry* e;
    int r;
    std::set<std::string> written;  // in-root paths this layer wrote: its own whiteouts spare them
    // Names are bytes: PAX UTF-8 names come back as the same bytes, hdrcharset=BINARY ones as they are.
    while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
      CUSLIM_TRY(auto name, safe_name(archive_entry_pathname(e), layer));
      if (name.empty()) {  // the root itself: only a directory entry is harmless
        if (archive_entry_filetype(e) != AE_IFDIR)
          return bad_input(layer + ": entry '" + archive_entry_pathname(e) + "': a non-directory at the root of the layer refused");
        continue;
      }
      if (std::string base = path::basename(name); base.rfind(kWhiteoutPrefix, 0) == 0) {
        CUSLIM_CHECK(apply_whiteout(root, name, layer, written));
        std::string dir = path::dirname("/" + name);
        if (base == kOpaqueWhiteout) ls.opaque.push_back(dir);
        else ls.removed.push_back(path::join(dir, base.substr(kWhiteoutPrefix.size())));
        if (record_owners) {
          bool opaque = base == kOpaqueWhiteout;
          forget_owners(out.owners, opaque ? dir : ls.removed.back(), written, opaque);
          forget_owners(out.modes, opaque ? dir : ls.removed.back(), written, opaque);
          forget_owners(out.xattrs, opaque ? dir : ls.removed.back(), written, opaque);
        }
        continue;
      }
      auto type = archive_entry_filetype(e);
      if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFIFO || type == AE_IFSOCK) {
        out.skipped.push_back(layer + ": " + name + " (device node or fifo: recorded, not created)");
        ls.altered = true;
        continue;
      }
      std::string link_target;  // a hard link's, in the root
      if (const char* hl = archive_entry_hardlink(e)) {
        auto target = safe_name(hl, layer + ": hard link '" + name + "'");  // named by the link, not only its target
        if (!target) return target.error();
        CUSLIM_TRY(auto target_parent, resolve_parent_in_root(root, *target, layer));
        link_target = target_parent + "/" + path::basename(*target);
        archive_entry_set_hardlink(e, (root + link_target).c_str());
      }
      // (a setgid directory only makes new files take its group: kept, as tar and runtimes keep it)
      CUSLIM_TRY(auto parent, resolve_parent_in_root(root, name, layer));
      if (!out.keep_setuid && type != AE_IFDIR && (archive_entry_perm(e) & (S_ISUID | S_ISGID))) {
        archive_entry_set_perm(e, archive_entry_perm(e) & ~static_cast<mode_t>(S_ISUID | S_ISGID));
        ls.altered = true;
        if (record_owners) out.setuid_stripped.insert(parent + "/" + path::basename(name));
      }
      (type == AE_IFDIR && !archive_entry_hardlink(e) ? ls.dirs : ls.others).push_back(parent + "/" + path::basename(name));
      written.insert(parent + "/" + path::basename(name));
      std::string at = root + parent + "/" + path::basename(name);
      // A non-directory over a directory of a lower layer replaces it and all it holds (docker's
      // and umoci's rule); unlinking alone cannot remove a non-empty directory. `at` is inside the
      // root and its last component is not followed.
      if (struct stat st; type != AE_IFDIR && ::lstat(at.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        remove_tree(at);
        if (record_owners) {
          std::string replaced = parent + "/" + path::basename(name);
          forget_owners(out.owners, replaced, {}), forget_owners(out.modes, replaced, {}), forget_owners(out.xattrs, replaced, {});
        }
      }
      if (record_owners) {
        std::string inside = parent + "/" + path::basename(name);
        out.owners[inside] = {static_cast<uint32_t>(archive_entry_uid(e)), static_cast<uint32_t>(archive_entry_gid(e))};
        Xattrs xattrs = entry_xattrs(e, out.keep_setuid);
        if (xattrs.size() < static_cast<size_t>(archive_entry_xattr_count(e))) {  // as a stripped setuid bit: the layer is no longer the input's
          out.capabilities_stripped.insert(inside);
          ls.altered = true;
        }
        if (xattrs.empty()) out.xattrs.erase(inside);
        else out.xattrs[inside] = std::move(xattrs);
        // Not root: the owner must read, write into and remove what it unpacked; the stored mode is kept aside.
        mode_t perm = archive_entry_perm(e), access = type == AE_IFDIR ? S_IRWXU : S_IRUSR | S_IWUSR;
        if (auto stored = out.modes.find(link_target); !link_target.empty() && stored != out.modes.end()) {
          out.modes[inside] = stored->second;  // one inode: the mode its first name was stored with
        } else if (type != AE_IFLNK && link_target.empty() && ::geteuid() != 0 && (perm & access) != access) {
          out.modes[inside] = perm;
          archive_entry_set_perm(e, perm | access);
        } else {
          out.modes.erase(inside);
        }
      }
      archive_entry_set_pathname(e, at.c_str());
      if (archive_write_header(w.get(), e) != ARCHIVE_OK)
        return bad_input(layer + ": entry '" + name + "': " + written_error("refused"));
      const void* buf;
      size_t size;
      la_int64_t off;
      while ((r = archive_read_data_block(a.get(), &buf, &size, &off)) == ARCHIVE_OK)
        if (archive_write_data_block(w.get(), buf, size, off) != ARCHIVE_OK)
          return bad_input(layer + ": entry '" + name + "': " + written_error("write failed"));
      if (r != ARCHIVE_EOF) return bad_input(layer + ": entry '" + name + "': " + (archive_error_string(a.get()) ?: "truncated"));
      archive_write_finish_entry(w.get());
    }
    if (r != ARCHIVE_EOF) return bad_input(layer + ": " + (archive_error_string(a.get()) ?: "corrupt tar"));
    if (archive_write_close(w.get()) != ARCHIVE_OK) return bad_input(layer + ": " + written_error("write failed"));
    return ok_status();
  };
  Status st = entries();
  // Hash what the tar reader did not need (the padding after its end, or all after an error):
  // the rest of the uncompressed stream, then the rest of the blob.
  const void* ignore;
  bool plain_whole = !plain.failed;
  if (plain_whole)
    while (la_ssize_t n = plain_read(nullptr, &plain, &ignore)) {
      if (n < 0) {
        plain_whole = false;
        break;
      }
    }
  CUSLIM_CHECK(blob_checks());
  if (!st.ok()) return st;
  if (diff_id && plain_whole)
    if (std::string got = "sha256:" + plain.sha.finish().hex(); got != *diff_id)
      return bad_input(layer + ": diff_id mismatch: the uncompressed layer is " + got + ", the config's rootfs.diff_ids says " + *diff_id);
  if (diff_id && !plain_whole) return bad_input(layer + ": " + (archive_error_string(raw.get()) ?: "the compressed stream is corrupt"));
  if (plain_whole && archive_filter_code(raw.get(), 0) == ARCHIVE_FILTER_GZIP)
    CUSLIM_CHECK(check_gzip_end(h.fd.get(), h.total, plain.total, layer));
  if (plain_whole) ls.tar_bytes = plain.total;
  return st;
}

// The image config's runtime fields; `where` names the config file.
Result<ImageConfig> parse_config(const json& c, const std::string& where) {
  CUSLIM_CHECK(expect_object(c, where));
  JsonFields top(c, where);
  ImageConfig out;
  CUSLIM_TRY(auto cfg_json, top.object("config"));
  JsonFields cfg(cfg_json, where + ": config");
  CUSLIM_TRY(out.env, cfg.strings("Env"));
  for (size_t i = 0; i < out.env.size(); ++i)  // what execve takes: NAME=VALUE, no NUL inside
    if (out.env[i].find('=') == std::string::npos || out.env[i].find('\0') != std::string::npos)
      return bad_input(where + ": config.Env[" + std::to_string(i) + "]: '" + out.env[i].substr(0, out.env[i].find('\0')) + "' is not NAME=VALUE" +
                       (out.env[i].find('\0') != std::string::npos ? " (it holds a NUL byte)" : ""));
  CUSLIM_TRY(out.entrypoint, cfg.strings("Entrypoint"));
  CUSLIM_TRY(out.cmd, cfg.strings("Cmd"));
  CUSLIM_TRY(out.working_dir, cfg.str("WorkingDir"));
  if (!out.working_dir.empty() && out.working_dir.front() != '/')  // docker and runc refuse to start it
    return bad_input(where + ": config.WorkingDir: '" + out.working_dir.substr(0, out.working_dir.find('\0')) + "' is not an absolute path");
  CUSLIM_TRY(out.user, cfg.str("User"));
  CUSLIM_TRY(out.labels, cfg.string_map("Labels"));
  CUSLIM_TRY(auto ports, cfg.object("ExposedPorts"));
  for (auto& [port, _] : ports.items()) out.exposed_ports.push_back(port);
  CUSLIM_TRY(auto volumes, cfg.object("Volumes"));
  for (auto& [volume, _] : volumes.items()) out.volumes.push_back(volume);
  CUSLIM_TRY(out.stop_signal, cfg.str("StopSignal"));
  CUSLIM_TRY(out.architecture, top.str("architecture", "amd64"));
  CUSLIM_TRY(out.os, top.str("os", "linux"));
  return out;
}

std::string blob_file(const std::string& layout, const std::string& digest) {
  auto d = Digest::parse(digest);
  return d ? blob_path(layout, *d) : layout + "/blobs/invalid";
}

// A descriptor ({"digest": "sha256:...", "size": N}), its digest checked to be one.
struct Descriptor {
  std::string digest;
  std::optional<uint64_t> size;
  std::string media_type;  // "" when the descriptor gives none
};
Result<Descriptor> read_descriptor(const json& d, const std::string& where) {
  CUSLIM_CHECK(expect_object(d, where));
  JsonFields f(d, where);
  Descriptor out;
  CUSLIM_TRY(out.digest, f.str("digest"));
  if (!Digest::parse(out.digest)) return bad_input(where + ".digest: '" + out.digest + "' is not a sha256 digest");
  if (f.has("size")) {
    CUSLIM_TRY(out.size, f.u64("size"));
  }
  CUSLIM_TRY(out.media_type, f.str("mediaType"));
  return out;
}

// The layer media types of OCI and docker images (distributable or not); "" (unset) is read by content.
bool is_layer_media_type(const std::string& mt) {
  static const char* kTypes[] = {"application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.v1.tar+gzip",
                                 "application/vnd.oci.image.layer.v1.tar+zstd", "application/vnd.oci.image.layer.nondistributable.v1.tar",
                                 "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                                 "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
                                 "application/vnd.docker.image.rootfs.diff.tar.gzip", "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"};
  return mt.empty() || std::any_of(std::begin(kTypes), std::end(kTypes), [&](const char* t) { return mt == t; });
}

const char* compression_word(Compression c) {
  switch (c) {
    case Compression::gzip: return "gzip";
    case Compression::zstd: return "zstd";
    default: return "an uncompressed tar";
  }
}

// In an image index, the manifest for `platform` ("os/arch[/variant]", matched as docker does:
// image/platform.h); others are skipped.
Result<json> pick_platform(const ImageDir& img, const json& index, const std::string& platform) {
  const std::string& layout = img.dir;
  std::vector<std::string> seen;
  CUSLIM_TRY(auto manifests, JsonFields(index, layout + ": image index").array("manifests"));
  Platform want = parse_platform(platform);
  std::optional<size_t> best;
  int best_score = 0;
  for (size_t i = 0; i < manifests.size(); ++i) {
    std::string where = layout + ": image index: manifests[" + std::to_string(i) + "]";
    CUSLIM_CHECK(expect_object(manifests[i], where));
    CUSLIM_TRY(auto p, JsonFields(manifests[i], where).object("platform"));
    JsonFields pf(p, where + ".platform");
    CUSLIM_TRY(auto os, pf.str("os"));
    CUSLIM_TRY(auto arch, pf.str("architecture"));
    CUSLIM_TRY(auto variant, pf.str("variant"));
    if (os.empty() && arch.empty()) {  // no platform: a nested index, an attestation, ...: named by its media type
      std::string mt = manifests[i].contains("mediaType") && manifests[i]["mediaType"].is_string() ? manifests[i]["mediaType"].get<std::string>() : "";
      seen.push_back("manifests[" + std::to_string(i) + "] without a platform" + (mt.empty() ? "" : " (" + mt + ")"));
      continue;
    }
    Platform have{os, arch, variant};
    seen.push_back(have.str());
    if (int score = platform_score(want, have); score > best_score) best = i, best_score = score;
  }
  if (best) {
    std::string where = layout + ": image index: manifests[" + std::to_string(*best) + "]";
    CUSLIM_TRY(auto desc, read_descriptor(manifests[*best], where));
    return read_json_blob(img, desc.digest, desc.size, "platform manifest");
  }
  std::string all;
  for (auto& s : seen) all += (all.empty() ? "" : ", ") + s;
  return bad_input(layout + ": the image index has no " + platform + " manifest (it has: " + all + ")");
}

Compression stored_compression(const std::string& blob);

// The descriptor index.json gives for `tag` (the only image when there is no tag; "@N" the N-th),
// each entry read on the way checked: what every reader of a layout (unpack, run's cache) takes.
Result<Descriptor> pick_layout_manifest(const ImageDir& img, const std::string& tag) {
  const std::string& layout = img.dir;
  std::string index_file = layout + "/index.json";
  CUSLIM_TRY(auto index, img.json_file(index_file));
  CUSLIM_CHECK(expect_object(index, index_file));
  CUSLIM_TRY(auto manifests, JsonFields(index, index_file).array("manifests"));
  std::string tags, numbered;  // the images' tags, for the errors (numbered: "@0 app, @1 (untagged)"), the first 20
  size_t n_tags = 0, n_numbered = 0;
  for (size_t i = 0; i < manifests.size(); ++i) {
    auto& m = manifests[i];
    std::string ref = "(untagged)";
    if (m.is_object() && m.contains("annotations") && m["annotations"].is_object() && m["annotations"].contains("org.opencontainers.image.ref.name") &&
        m["annotations"]["org.opencontainers.image.ref.name"].is_string())
      ref = m["annotations"]["org.opencontainers.image.ref.name"].get<std::string>();
    append_capped(tags, n_tags, ref);
    append_capped(numbered, n_numbered, "@" + std::to_string(i) + " " + ref);
  }
  tags += list_rest(n_tags), numbered += list_rest(n_numbered);
  if (tag.empty() && manifests.size() > 1)
    return Error(Exit::usage, layout + ": the layout holds " + std::to_string(manifests.size()) + " images (" + tags +
                                  "): say which, as " + layout + ":TAG, or :@N for the N-th (from 0)");
  // "@N": the N-th image of index.json, as skopeo's oci:DIR:@N (the way to an untagged one); an
  // image tagged "@N" itself comes first.
  std::optional<size_t> at_index;
  if (tag.size() > 1 && tag.size() <= 7 && tag[0] == '@' && tag.find_first_not_of("0123456789", 1) == std::string::npos)
    at_index = std::stoul(tag.substr(1));
  std::optional<Descriptor> chosen;
  for (size_t i = 0; i < manifests.size() && !chosen; ++i) {
    std::string where = index_file + ": manifests[" + std::to_string(i) + "]";
    CUSLIM_CHECK(expect_object(manifests[i], where));
    CUSLIM_TRY(auto ann, JsonFields(manifests[i], where).string_map("annotations"));
    if (tag.empty() || ann["org.opencontainers.image.ref.name"] == tag) {
      CUSLIM_TRY(chosen, read_descriptor(manifests[i], where));
    }
  }
  if (!chosen && at_index && *at_index < manifests.size()) {
    std::string where = index_file + ": manifests[" + std::to_string(*at_index) + "]";
    CUSLIM_TRY(chosen, read_descriptor(manifests[*at_index], where));
  }
  if (!chosen && at_index)
    return bad_input(layout + ": " + tag + ": index " + std::to_string(*at_index) + " is out of range: the layout holds " + std::to_string(manifests.size()) +
                     " image" + (manifests.size() == 1 ? "" : "s") + (numbered.empty() ? "" : " (" + numbered + ")"));
  if (!chosen) return bad_input(layout + ": no manifest" + (tag.empty() ? "" : " tagged '" + tag + "'") + " in index.json" + (tags.empty() ? "" : " (it has: " + tags + ")"));
  return *chosen;
}

Status unpack_oci(const ImageDir& img, const std::string& staging, const UnpackOptions& opt, UnpackedImage& out) {
  const std::string& layout = img.dir;
  const std::string& tag = opt.tag;
  // The layout's version: 1.0.0 is the one version there is (skopeo and umoci refuse others).
  if (struct stat st; ::stat((layout + "/oci-layout").c_str(), &st) == 0) {
    CUSLIM_TRY(auto ol, img.json_file(layout + "/oci-layout"));
    CUSLIM_CHECK(expect_object(ol, layout + "/oci-layout"));
    CUSLIM_TRY(auto version, JsonFields(ol, layout + "/oci-layout").str("imageLayoutVersion"));
    if (version != "1.0.0") return bad_input(layout + "/oci-layout: imageLayoutVersion '" + version + "': only 1.0.0 is an OCI image layout");
  }
  std::string index_file = layout + "/index.json";
  CUSLIM_TRY(auto chosen, pick_layout_manifest(img, tag));
  std::string manifest_file = blob_file(layout, chosen.digest);
  CUSLIM_TRY(auto manifest, read_json_blob(img, chosen.digest, chosen.size, "manifest"));
  CUSLIM_CHECK(expect_object(manifest, manifest_file));
  out.manifest = chosen.digest;
  CUSLIM_TRY(auto media_type, JsonFields(manifest, manifest_file).str("mediaType"));
  // The index says what the blob is; the blob says it too: they must agree (skopeo refuses otherwise).
  bool is_index = media_type == "application/vnd.oci.image.index.v1+json" || manifest.contains("manifests");
  bool said_index = is_index_media_type(chosen.media_type);
  if (!chosen.media_type.empty() && (said_index != is_index || !is_manifest_media_type(chosen.media_type)))
    return bad_input(index_file + ": the descriptor of " + chosen.digest + " says " + chosen.media_type + ", the blob is " +
                     (is_index ? "an image index" : "an image manifest"));
  if (media_type == "application/vnd.oci.image.index.v1+json" || manifest.contains("manifests")) {
    CUSLIM_TRY(manifest, pick_platform(img, manifest, opt.platform));
    CUSLIM_CHECK(expect_object(manifest, layout + ": platform manifest"));
  }
  JsonFields mf(manifest, manifest_file);
  // Schema 2 only (OCI and Docker v2s2): a schema 1 manifest has no config blob or diff_ids; skopeo
  // and containerd refuse one as well. (A manifest without the field is read as schema 2.)
  if (manifest.contains("schemaVersion") && manifest["schemaVersion"] != 2)
    return bad_input(manifest_file + ": schemaVersion " + manifest["schemaVersion"].dump() + ": only schema 2 image manifests (OCI, Docker v2s2) are read");
  CUSLIM_TRY(auto config_desc, mf.object("config"));
  CUSLIM_TRY(auto config_d, read_descriptor(config_desc, manifest_file + ": config"));
  std::string config_file = blob_file(layout, config_d.digest);
  CUSLIM_TRY(auto config, read_json_blob(img, config_d.digest, config_d.size, "config"));
  CUSLIM_TRY(out.config, parse_config(config, config_file));
  JsonFields cf(config, config_file);
  CUSLIM_TRY(auto history, cf.array("history"));
  out.history_json = history.dump();
  CUSLIM_TRY(auto rootfs, cf.object("rootfs"));
  CUSLIM_TRY(auto diff_ids, JsonFields(rootfs, config_file + ": rootfs").strings("diff_ids"));
  // An image manifest lists its layers (OCI image-spec: required); one without the field is not
  // an image of no files but a broken one, said of the manifest, not of the config's diff_ids.
  if (!manifest.contains("layers")) return bad_input(manifest_file + ": no \"layers\" field (an image manifest lists its layers)");
  CUSLIM_TRY(auto layers, mf.array("layers"));
  if (diff_ids.size() != layers.size())
    return bad_input(config_file + ": rootfs.diff_ids has " + std::to_string(diff_ids.size()) + " entries for the " + std::to_string(layers.size()) +
                     " layers of " + manifest_file);
  // Progress counts the whole image from the start (one total, not one per layer).
  for (auto& l : layers)
    if (l.is_object() && l.contains("size") && l["size"].is_number_unsigned()) expect_bytes(l["size"].get<uint64_t>());
  for (size_t i = 0; i < layers.size(); ++i) {
    std::string where = manifest_file + ": layers[" + std::to_string(i) + "]";
    CUSLIM_TRY(auto desc, read_descriptor(layers[i], where));
    const std::string& d = desc.digest;
    JsonFields lf(layers[i], where);
    StoredLayer sl;
    CUSLIM_TRY(sl.blob, img.file(blob_file(layout, d)));
    if (struct stat st; ::stat(sl.blob.c_str(), &st) != 0)  // said as missing, before its first bytes are read
      return Error::from_errno(where + ": blob " + sl.blob, errno);
    sl.info.digest = *Digest::parse(d);
    if (auto di = Digest::parse(diff_ids[i])) sl.info.diff_id = *di;
    CUSLIM_TRY(sl.info.size, lf.u64("size"));
    CUSLIM_TRY(auto mt, lf.str("mediaType"));
    if (!is_layer_media_type(mt)) return bad_input(where + ".mediaType: '" + mt + "' is not a layer media type (a tar, gzip or zstd layer)");
    sl.info.compression = mt.ends_with("+gzip") || mt.ends_with(".tar.gzip") || mt.find("rootfs.diff.tar.gzip") != std::string::npos ? Compression::gzip
                          : mt.ends_with("+zstd") ? Compression::zstd : Compression::none;
    // A blob stored otherwise than its mediaType says: refused (a runtime that trusts the mediaType
    // would unpack the wrong stream) -- except a gzip mediaType over a plain tar, which docker and
    // containerd read alike.
    Compression stored = stored_compression(sl.blob);
    bool mismatch = mt.ends_with("+zstd") != (stored == Compression::zstd) || (sl.info.compression == Compression::none && stored != Compression::none);
    if (!mt.empty() && mismatch)
      return bad_input(where + ": its mediaType says " + compression_word(sl.info.compression) + ", the blob is " + compression_word(stored));
    out.layers.push_back(sl);
    CUSLIM_CHECK(extract_layer(sl.blob, staging, layout + ": layer " + std::to_string(i) + " (" + d + ")", &d, out,
                               desc.size, &out.layers.back().listing, &diff_ids[i]));
    out.layers.back().info.uncompressed = out.layers.back().listing.tar_bytes;
  }
  return ok_status();
}

// How a layer blob is stored, from its first bytes (gzip, zstd, else a plain tar).
Compression stored_compression(const std::string& blob) {
  unsigned char m[4] = {};
  UniqueFd fd(::open(blob.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd || ::read(fd.get(), m, sizeof m) != static_cast<ssize_t>(sizeof m)) return Compression::none;
  if (m[0] == 0x1f && m[1] == 0x8b) return Compression::gzip;
  if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) return Compression::zstd;
  return Compression::none;
}

// A docker reference as docker and skopeo compare them: "app:1" is "docker.io/library/app:1",
// "team/app" is "docker.io/team/app:latest"; one with a registry host stays as it is.
std::string normalized_docker_ref(std::string r) {
  auto slash = r.find('/');
  std::string first = slash == std::string::npos ? "" : r.substr(0, slash);
  bool host = !first.empty() && (first.find('.') != std::string::npos || first.find(':') != std::string::npos || first == "localhost");
  if (!host) r = (slash == std::string::npos ? "docker.io/library/" : "docker.io/") + r;
  else if (r.rfind("docker.io/", 0) == 0 && r.find('/', 10) == std::string::npos) r.insert(10, "library/");
  auto last = r.rfind('/');
  if (r.find(':', last) == std::string::npos && r.find('@') == std::string::npos) r += ":latest";
  return r;
}

// The entry of a docker-archive's manifest.json that `ref` names: a RepoTags entry ("app:1"), or
// "@N" (the N-th image, as skopeo's docker-archive:FILE:@N); without one, the only image.
Result<size_t> docker_entry(const nlohmann::json& manifest, const std::string& ref, const std::string& manifest_file) {
  std::string tags;  // the first 20, for the error
  size_t n_tags = 0;
  std::optional<size_t> hit;
  for (size_t i = 0; i < manifest.size(); ++i) {
    CUSLIM_CHECK(expect_object(manifest[i], manifest_file + ": [" + std::to_string(i) + "]"));
    std::vector<std::string> repo_tags;
    if (manifest[i].contains("RepoTags") && !manifest[i]["RepoTags"].is_null()) {
      CUSLIM_TRY(repo_tags, JsonFields(manifest[i], manifest_file + ": [" + std::to_string(i) + "]").strings("RepoTags"));
    }
    std::string names;
    for (auto& t : repo_tags) {
      names += (names.empty() ? "" : " ") + t;
      if ((t == ref || normalized_docker_ref(t) == normalized_docker_ref(ref)) && !hit) hit = i;
    }
    append_capped(tags, n_tags, "@" + std::to_string(i) + (names.empty() ? " (untagged)" : " " + names));
  }
  tags += list_rest(n_tags);
  if (ref.empty()) {
    if (manifest.size() == 1) return size_t{0};
    return Error(Exit::usage, "the archive holds " + std::to_string(manifest.size()) + " images (" + tags + "): say which, as docker-archive:FILE:REF or :@N");
  }
  if (ref[0] == '@' && ref.size() > 1 && ref.find_first_not_of("0123456789", 1) == std::string::npos && ref.size() < 8) {
    size_t n = std::stoul(ref.substr(1));
    if (n < manifest.size()) return n;
  }
  if (hit) return *hit;
  return bad_input("no image '" + ref + "' in the archive (it has: " + tags + ")");
}

Status unpack_docker(const std::string& dir, const std::string& staging, const std::string& ref, UnpackedImage& out) {
  const ImageDir img{dir, true};
  std::string manifest_file = dir + "/manifest.json";
  CUSLIM_TRY(auto manifest, img.json_file(manifest_file));
  if (!manifest.is_array() || manifest.empty()) return bad_input(manifest_file + ": expected a non-empty array");
  CUSLIM_TRY(size_t entry, docker_entry(manifest, ref, manifest_file));
  std::string where = manifest_file + ": [" + std::to_string(entry) + "]";
  JsonFields m(manifest[entry], where);
  CUSLIM_TRY(auto config_rel, m.str("Config"));
  CUSLIM_TRY(auto config_safe, safe_name(config_rel, "manifest.json"));
  CUSLIM_TRY(std::string config_file, img.file(dir + "/" + config_safe));
  // The config is named by its digest (blobs/sha256/<hex> or <hex>.json): checked.
  std::string hex = path::basename(config_safe);
  if (hex.ends_with(".json")) hex.resize(hex.size() - 5);
  std::optional<std::string> config_digest;
  if (Digest::parse("sha256:" + hex)) config_digest = "sha256:" + hex;
  CUSLIM_TRY(auto config, config_digest && config_safe.rfind("blobs/sha256/", 0) == 0
                              ? read_json_blob(img, *config_digest, std::nullopt, "config")
                              : read_json(config_file));
  if (config_digest && config_safe.rfind("blobs/sha256/", 0) != 0) {  // <hex>.json: same check, another place
    CUSLIM_TRY(std::string bytes, read_regular_file(config_file));
    if (auto got = Sha256::of(bytes).str(); got != *config_digest)
      return bad_input(config_file + ": config: digest mismatch: the content is " + got + ", its name says " + *config_digest);
  }
  CUSLIM_TRY(out.config, parse_config(config, config_file));
  std::vector<std::string> diff_ids;  // the uncompressed layers' digests
  if (config.is_object() && config.contains("rootfs") && config["rootfs"].is_object())  // absent or odd: no reuse
    if (auto ids = JsonFields(config["rootfs"], config_file + ": rootfs").strings("diff_ids"); ids.ok()) diff_ids = *ids;
  if (!manifest[entry].contains("Layers")) return bad_input(where + ": no \"Layers\" field (a docker-archive image lists its layer tars)");
  CUSLIM_TRY(auto layers, m.strings("Layers"));
  // One diff_id per layer, as docker load requires ("layers length mismatch"): a list that says
  // otherwise (a layer repeated, cut, null) is not this image.
  if (diff_ids.size() != layers.size())
    return bad_input(config_file + ": rootfs.diff_ids has " + std::to_string(diff_ids.size()) + " entries for the " + std::to_string(layers.size()) +
                     " layers of " + where + ".Layers");
  bool all_stored = true;  // every layer known by digest: slim may keep them whole (layer_reuse.h)
  for (size_t i = 0; i < layers.size(); ++i) {
    const std::string& rel = layers[i];
    CUSLIM_TRY(auto safe, safe_name(rel, "manifest.json"));
    CUSLIM_TRY(auto blob, img.file(dir + "/" + safe));
    uint64_t size = 0;
    if (struct stat st; ::stat(blob.c_str(), &st) == 0) size = static_cast<uint64_t>(st.st_size), expect_bytes(size);
    // Hybrid archives name layer blobs by their digest; a classic one (<id>/layer.tar) that is a
    // plain tar is named by its diff_id in the config (the digest of those very bytes). Either is
    // checked while the layer is read. A compressed classic layer has no digest to check.
    Compression c = stored_compression(blob);
    auto as_digest = [](const std::string& s) -> std::optional<Digest> {
      auto d = Digest::parse(s);
      return d ? std::optional<Digest>(*d) : std::nullopt;
    };
    std::optional<Digest> diff_id = i < diff_ids.size() ? as_digest(diff_ids[i]) : std::nullopt;
    std::optional<std::string> digest;
    if (safe.rfind("blobs/sha256/", 0) == 0) digest = "sha256:" + path::basename(safe);
    else if (c == Compression::none && diff_id) digest = diff_id->str();
    std::string what = "docker-archive layer " + std::to_string(i) + " (" + rel + ")";
    std::optional<Digest> stored = digest ? as_digest(*digest) : std::nullopt;
    if (!stored || !diff_id) {
      all_stored = false;
      std::optional<std::string> plain_id = diff_id ? std::optional(diff_id->str()) : std::nullopt;
      CUSLIM_CHECK(extract_layer(blob, staging, what, digest ? &*digest : nullptr, out, std::nullopt, nullptr, plain_id ? &*plain_id : nullptr));
      continue;
    }
    StoredLayer sl;
    sl.blob = blob;
    sl.info.digest = *stored;
    sl.info.diff_id = *diff_id;
    sl.info.size = size;
    sl.info.compression = c;
    out.layers.push_back(std::move(sl));
    std::string plain_id = diff_id->str();
    CUSLIM_CHECK(extract_layer(blob, staging, what, &*digest, out, size, &out.layers.back().listing, &plain_id));
    out.layers.back().info.uncompressed = out.layers.back().listing.tar_bytes;
  }
  if (!all_stored) out.layers.clear();  // reuse goes bottom up over every layer
  return ok_status();
}

// docker://: pulled into an OCI layout inside the staging dir (blobs checked as they arrive),
// then read as any layout.
Result<UnpackedImage> unpack_pulled(const std::string& image, const std::string& staging, const UnpackOptions& opt) {
  CUSLIM_TRY(auto ref, parse_registry_ref(image));
  CUSLIM_CHECK(apply_tag_option(ref, opt.tag));
  std::string layout = staging + "/pulled";
  CUSLIM_CHECK(pull_image(ref, layout, opt.platform, opt.registry, opt.pull_progress));
  UnpackedImage out;
  out.kind = ImageKind::oci_layout;
  out.keep_setuid = opt.keep_setuid;
  CUSLIM_CHECK(make_dirs(staging + "/rootfs"));
  CUSLIM_TRY(out.rootfs, canonical_path(staging + "/rootfs"));
  UnpackOptions one = opt;
  one.tag.clear();  // the pulled layout holds this one image
  ProgressScope progress(opt);  // unpacking what was pulled shows progress, as a local input's does
  if (auto st = unpack_oci({layout, false}, out.rootfs, one, out); !st.ok()) {  // named by the reference, not the staging dir
    std::string m = st.error().message();
    for (size_t at; (at = m.find(layout)) != std::string::npos;) m.replace(at, layout.size(), image);
    return Error(st.error().code(), m);
  }
  return out;
}

}  // namespace

std::string kind_name(ImageKind k) {
  switch (k) {
    case ImageKind::rootfs_dir: return "rootfs dir";
    case ImageKind::oci_layout: return "OCI layout";
    case ImageKind::oci_archive: return "oci-archive";
    case ImageKind::docker_archive: return "docker-archive";
    case ImageKind::rootfs_tar: return "rootfs tarball";
  }
  return "?";
}

namespace {

// An image as skopeo's dir: transport writes it (manifest.json, a `version` file saying "Directory
// Transport Version: 1.1", blobs named by their hex digests): not a root file system.
bool skopeo_dir_image(const std::string& p) {
  std::ifstream in(p + "/version", std::ios::binary);
  std::string head(64, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  return head.rfind("Directory Transport Version:", 0) == 0 && ::access((p + "/manifest.json").c_str(), F_OK) == 0;
}

}  // namespace

Result<ImageKind> detect_image(const std::string& p, const std::string& transport) {
  struct stat st;
  if (::stat(p.c_str(), &st) != 0) return Error::from_errno(p, errno);
  if (S_ISDIR(st.st_mode)) {
    if (::access((p + "/oci-layout").c_str(), F_OK) == 0) return ImageKind::oci_layout;
    // index.json and blobs/ but no oci-layout: a damaged layout, not a rootfs (skopeo refuses it too)
    auto looks_like_index = [&] {  // an image index's own key near its start, not any index.json of a web root
      std::ifstream in(p + "/index.json", std::ios::binary);
      std::string head(4096, '\0');
      in.read(head.data(), static_cast<std::streamsize>(head.size()));
      head.resize(static_cast<size_t>(in.gcount()));
      return head.find("\"manifests\"") != std::string::npos;
    };
    if (skopeo_dir_image(p))
      return bad_input(p + ": an image in skopeo's dir: format (manifest.json, version), not a root file system (cuslim's dir: "
                           "is a rootfs): make it an OCI layout first, skopeo copy dir:" + p + " oci:LAYOUT:TAG");
    if (is_dir(p + "/blobs/sha256") && !is_dir(p + "/usr") && !is_dir(p + "/bin") && looks_like_index())
      return bad_input(p + ": holds index.json and blobs/ but no oci-layout file: a damaged OCI layout (restore its oci-layout, "
                           "{\"imageLayoutVersion\":\"1.0.0\"}), or give dir:" + p + " to read it as a rootfs");
    return ImageKind::rootfs_dir;
  }
  if (!S_ISREG(st.st_mode)) return bad_input(p + ": not a regular file (a fifo, socket or device is not an image)");
  auto names = scan_archive(p);
  if (!names.any) {
    if (auto c = stored_compression(p); c != Compression::none)  // compressed, yet no tar entry reads: cut short or damaged
      return bad_input(p + ": a " + compression_word(c) + " stream without a readable tar inside (truncated or corrupt)");
    return bad_input(p + ": neither a directory nor a (compressed) tar archive");
  }
  // An archive cut short before its index or manifest: said as such where the transport names one.
  if (!names.damaged.empty() && !names.layout && !names.manifest && (transport == "oci-archive" || transport == "docker-archive"))
    return bad_input(p + ": truncated or corrupt (" + names.damaged + ") before its " + (transport == "oci-archive" ? "index.json" : "manifest.json"));
  // Docker 25's `docker save` holds both: read as what the transport names, a docker-archive by default.
  if (names.layout && (!names.manifest || transport == "oci-archive")) return ImageKind::oci_archive;
  if (names.manifest) return ImageKind::docker_archive;
  return ImageKind::rootfs_tar;
}

ImageRef parse_image_ref(const std::string& ref) {
  if (is_registry_ref(ref)) return {ref, "", "docker"};
  std::string s = ref, transport;
  if (::access(s.c_str(), F_OK) != 0)
    for (const char* t : {"oci:", "oci-archive:", "docker-archive:", "dir:"})
      if (s.rfind(t, 0) == 0) {
        transport = std::string(t, std::strlen(t) - 1);
        s = s.substr(std::strlen(t));
        break;
      }
  if (transport == "dir") return {s, "", transport};
  if (transport == "docker-archive") {  // REF holds ':' and '/' itself: the path is the first prefix that exists, else up to the first ':'
    for (auto c = s.find(':'); c != std::string::npos; c = s.find(':', c + 1))
      if (c > 0 && ::access(s.substr(0, c).c_str(), F_OK) == 0) return {s.substr(0, c), s.substr(c + 1), transport};
    auto c = s.find(':');
    return {s.substr(0, c), c == std::string::npos ? "" : s.substr(c + 1), transport};
  }
  if (::access(s.c_str(), F_OK) == 0) return {s, "", transport};  // PATH:TAG only when PATH:TAG itself is not a file or dir
  if (!transport.empty()) {  // oci:, oci-archive: split as skopeo does: the path ends at the first ':'
    auto c = s.find(':');
    return c == std::string::npos ? ImageRef{s, "", transport} : ImageRef{s.substr(0, c), s.substr(c + 1), transport};
  }
  // A bare PATH:TAG: PATH is the first prefix that exists (a tag may hold ':', app:v1:x).
  for (auto c = s.find(':'); c != std::string::npos; c = s.find(':', c + 1))
    if (c > 0 && ::access(s.substr(0, c).c_str(), F_OK) == 0) return {s.substr(0, c), s.substr(c + 1), transport};
  return {s, "", transport};
}

namespace {
std::string with_article(ImageKind k) {
  return (k == ImageKind::oci_layout || k == ImageKind::oci_archive ? "an " : "a ") + kind_name(k);
}
}  // namespace

Status check_transport_kind(const std::string& image_ref, const std::string& transport, ImageKind kind) {
  static const std::pair<const char*, ImageKind> kSays[] = {{"oci", ImageKind::oci_layout}, {"oci-archive", ImageKind::oci_archive},
                                                           {"docker-archive", ImageKind::docker_archive}, {"dir", ImageKind::rootfs_dir}};
  for (auto& [t, want] : kSays)
    if (transport == t && kind != want)
      return bad_input(image_ref + ": " + t + ": names " + with_article(want) + ", this is " + with_article(kind));
  return ok_status();
}

bool names_image(const std::string& s) {
  struct stat st;
  if (::stat(s.c_str(), &st) == 0) return true;
  auto ref = parse_image_ref(s);  // a transport, or PATH:TAG of an existing PATH (python-oci:3.12)
  return !ref.transport.empty() || (!ref.tag.empty() && ::stat(ref.path.c_str(), &st) == 0);
}

Result<std::string> layout_manifest_digest(const std::string& dir, const std::string& tag) {
  CUSLIM_TRY(auto d, pick_layout_manifest({dir, false}, tag));
  return d.digest;
}

Result<UnpackedImage> unpack_image(const std::string& image_ref, const std::string& staging, const UnpackOptions& given) {
  CUSLIM_CHECK(check_transport_spelling(image_ref));
  auto [image, ref_tag, transport] = parse_image_ref(image_ref);
  UnpackOptions opt = given;
  if (!ref_tag.empty()) {
    if (!opt.tag.empty() && opt.tag != ref_tag)
      return Error(Exit::usage, image_ref + ": names the tag '" + ref_tag + "' and the tag option says '" + opt.tag + "'");
    opt.tag = ref_tag;
  }
  if (is_registry_ref(image)) return unpack_pulled(image, staging, opt);
  bool plain_dir = transport == "dir" && is_dir(image) && ::access((image + "/oci-layout").c_str(), F_OK) != 0 &&
                   !skopeo_dir_image(image);  // dir: says rootfs
  CUSLIM_TRY(auto kind, plain_dir ? Result<ImageKind>(ImageKind::rootfs_dir) : detect_image(image, transport));
  CUSLIM_CHECK(check_transport_kind(image_ref, transport, kind));
  if ((kind == ImageKind::rootfs_dir || kind == ImageKind::rootfs_tar) && !opt.tag.empty())
    return Error(Exit::usage, image_ref + ": a " + kind_name(kind) + " holds one image and no tags; the tag '" + opt.tag + "' names nothing in it");
  UnpackedImage out;
  out.kind = kind;
  out.keep_setuid = opt.keep_setuid;
  if (kind == ImageKind::rootfs_dir) {
    out.rootfs = image;
    return out;
  }
  CUSLIM_CHECK(make_dirs(staging + "/rootfs"));
  CUSLIM_TRY(out.rootfs, canonical_path(staging + "/rootfs"));
  ProgressScope progress(opt);
  if (struct stat st; kind != ImageKind::oci_layout && ::stat(image.c_str(), &st) == 0) {
    bool archive = kind == ImageKind::oci_archive || kind == ImageKind::docker_archive;
    archive ? expect_archive_bytes(static_cast<uint64_t>(st.st_size)) : expect_bytes(static_cast<uint64_t>(st.st_size));
  }
  switch (kind) {
    case ImageKind::oci_layout: CUSLIM_CHECK(unpack_oci({image, false}, out.rootfs, opt, out)); break;
    case ImageKind::rootfs_tar: CUSLIM_CHECK(extract_layer(image, out.rootfs, image, nullptr, out)); break;
    case ImageKind::oci_archive:
    case ImageKind::docker_archive: {
      std::string outer = staging + "/archive";
      CUSLIM_CHECK(make_dirs(outer));
      CUSLIM_TRY(auto outer_real, canonical_path(outer));
      CUSLIM_CHECK(extract_layer(image, outer_real, image, nullptr, out));
      Status st = kind == ImageKind::oci_archive ? unpack_oci({outer_real, true}, out.rootfs, opt, out)
                                                 : unpack_docker(outer_real, out.rootfs, opt.tag, out);  // `outer` stays: its blobs may be appended to
      // Errors and notes are named by the user's archive, not the staging dir it was unpacked into.
      auto as_archive = [&outer_real, archive = image](std::string m) {
        for (size_t at; (at = m.find(outer_real)) != std::string::npos;) m.replace(at, outer_real.size(), archive);
        return m.rfind(archive, 0) == 0 ? m : archive + ": " + m;
      };
      if (!st.ok()) return Error(st.error().code(), as_archive(st.error().message()));
      for (auto& note : out.skipped) note = as_archive(note);
      break;
    }
    case ImageKind::rootfs_dir: break;
  }
  return out;
}

}  // namespace cuslim
