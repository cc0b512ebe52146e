#include "image/image_reader.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/atomic_output.h"
#include "core/path.h"
#include "core/root.h"
#include "core/unique_fd.h"
#include "image/digest.h"

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
  std::ifstream in(p);
  if (!in) return Error::from_errno(p, errno);
  auto j = json::parse(in, nullptr, false);
  if (j.is_discarded()) return bad_input(p + ": not valid JSON");
  return j;
}

// The names in a tar (first 64 entries are enough to tell an image archive from a rootfs).
std::vector<std::string> tar_names(const std::string& path, size_t max) {
  ReadPtr a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  std::vector<std::string> out;
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) return out;
  archive_entry* e;
  while (out.size() < max && archive_read_next_header(a.get(), &e) == ARCHIVE_OK) out.push_back(archive_entry_pathname(e));
  return out;
}

// A blob read through a hashing callback: the digest is checked when the layer ends.
struct HashedFile {
  UniqueFd fd;
  Sha256 sha;
  std::vector<char> buf = std::vector<char>(1 << 20);
};
la_ssize_t hashed_read(archive*, void* ctx, const void** out) {
  auto* h = static_cast<HashedFile*>(ctx);
  ssize_t n = ::read(h->fd.get(), h->buf.data(), h->buf.size());
  if (n > 0) h->sha.update(h->buf.data(), static_cast<size_t>(n));
  *out = h->buf.data();
  return n;
}

// Rejects names that could leave the staging dir; returns the cleaned relative name.
Result<std::string> safe_name(const std::string& raw, const std::string& layer) {
  std::string name = raw;
  while (name.rfind("./", 0) == 0) name = name.substr(2);
  if (!name.empty() && name[0] == '/') return bad_input(layer + ": entry '" + raw + "': absolute name refused");
  std::string clean;
  for (auto& c : path::components(name)) {
    if (c == "..") return bad_input(layer + ": entry '" + raw + "': '..' refused");
    if (c != ".") clean += (clean.empty() ? "" : "/") + c;
  }
  return clean;
}

// The in-root location of `rel`'s parent directory, every symlink on the way resolved inside the
// root as openat2(RESOLVE_IN_ROOT) would (absolute targets re-rooted, ".." clamped at the root);
// components that do not exist yet are kept as they are. An entry is then written there, so no
// symlink planted by an earlier entry or layer can lead it out of the root.
Result<std::string> resolve_parent_in_root(const std::string& root, const std::string& rel, const std::string& layer) {
  std::vector<std::string> todo = path::components(path::dirname("/" + rel));
  std::vector<std::string> done;
  int links = 0;
  for (size_t i = 0; i < todo.size(); ++i) {
    const std::string& c = todo[i];
    if (c == ".") continue;
    if (c == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    std::string host = root;
    for (auto& d : done) host += "/" + d;
    host += "/" + c;
    struct stat st;
    if (::lstat(host.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) {
      done.push_back(c);
      continue;
    }
    if (++links > 40) return bad_input(layer + ": entry '" + rel + "': too many symlinks on its path");
    char buf[4096];
    ssize_t n = ::readlink(host.c_str(), buf, sizeof buf - 1);
    if (n < 0) return Error::from_errno(host, errno);
    std::string target(buf, static_cast<size_t>(n));
    auto parts = path::components(target);
    todo.insert(todo.begin() + static_cast<long>(i) + 1, parts.begin(), parts.end());
    if (target[0] == '/') done.clear();
  }
  std::string out;
  for (auto& d : done) out += "/" + d;
  return out;
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

Status apply_whiteout(const std::string& root, const std::string& name, const std::string& layer) {
  std::string dir = path::dirname("/" + name), base = path::basename(name);
  if (through_symlink(root, name)) return bad_input(layer + ": whiteout '" + name + "' reaches through a symlink: refused");
  if (base == ".wh..wh..opq") {  // opaque dir: hide everything the lower layers put there
    std::string d = root + dir;
    if (is_dir(d))
      for (auto& e : std::filesystem::directory_iterator(d)) remove_tree(e.path().string());
    return ok_status();
  }
  std::string victim = base.substr(4);
  if (victim.empty() || victim == "." || victim == "..") return bad_input(layer + ": whiteout '" + name + "': refused");
  remove_tree(root + path::join(dir, victim));
  return ok_status();
}

Status extract_layer(const std::string& blob, const std::string& root, const std::string& layer, const std::string* digest,
                     UnpackedImage& out) {
  HashedFile h;
  h.fd.reset(::open(blob.c_str(), O_RDONLY | O_CLOEXEC));
  if (!h.fd) return Error::from_errno(blob, errno).wrap(layer);
  ReadPtr a(archive_read_new(), archive_read_free);
  archive_read_support_filter_all(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open(a.get(), &h, nullptr, hashed_read, nullptr) != ARCHIVE_OK)
    return bad_input(layer + ": " + (archive_error_string(a.get()) ?: "unreadable"));
  WritePtr w(archive_write_disk_new(), archive_write_free);
  archive_write_disk_set_options(w.get(), ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                              ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_UNLINK);
  archive_entry* e;
  int r;
  while ((r = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    CUSLIM_TRY(auto name, safe_name(archive_entry_pathname(e), layer));
    if (name.empty()) {  // the root itself: only a directory entry is harmless
      if (archive_entry_filetype(e) != AE_IFDIR)
        return bad_input(layer + ": entry '" + archive_entry_pathname(e) + "': a non-directory at the root of the layer refused");
      continue;
    }
    if (path::basename(name).rfind(".wh.", 0) == 0) {
      CUSLIM_CHECK(apply_whiteout(root, name, layer));
      continue;
    }
    auto type = archive_entry_filetype(e);
    if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFIFO || type == AE_IFSOCK) {
      out.skipped.push_back(layer + ": " + name + " (device node or fifo: recorded, not created)");
      continue;
    }
    if (const char* hl = archive_entry_hardlink(e)) {
      CUSLIM_TRY(auto target, safe_name(hl, layer));
      CUSLIM_TRY(auto target_parent, resolve_parent_in_root(root, target, layer));
      archive_entry_set_hardlink(e, (root + target_parent + "/" + path::basename(target)).c_str());
    }
    if (!out.keep_setuid) archive_entry_set_perm(e, archive_entry_perm(e) & ~static_cast<mode_t>(S_ISUID | S_ISGID));
    CUSLIM_TRY(auto parent, resolve_parent_in_root(root, name, layer));
    archive_entry_set_pathname(e, (root + parent + "/" + path::basename(name)).c_str());
    if (archive_write_header(w.get(), e) != ARCHIVE_OK)
      return bad_input(layer + ": entry '" + name + "': " + (archive_error_string(w.get()) ?: "refused"));
    const void* buf;
    size_t size;
    la_int64_t off;
    while ((r = archive_read_data_block(a.get(), &buf, &size, &off)) == ARCHIVE_OK)
      if (archive_write_data_block(w.get(), buf, size, off) != ARCHIVE_OK)
        return bad_input(layer + ": entry '" + name + "': " + (archive_error_string(w.get()) ?: "write failed"));
    if (r != ARCHIVE_EOF) return bad_input(layer + ": entry '" + name + "': " + (archive_error_string(a.get()) ?: "truncated"));
    archive_write_finish_entry(w.get());
  }
  if (r != ARCHIVE_EOF) return bad_input(layer + ": " + (archive_error_string(a.get()) ?: "corrupt tar"));
  if (archive_write_close(w.get()) != ARCHIVE_OK) return bad_input(layer + ": " + (archive_error_string(w.get()) ?: "write failed"));
  char rest[1 << 16];  // hash what libarchive did not need to read (tar padding)
  while (hashed_read(nullptr, &h, reinterpret_cast<const void**>(&rest)) > 0) {
  }
  if (digest && "sha256:" + h.sha.finish().hex() != *digest) return bad_input(layer + ": blob does not match its digest " + *digest);
  return ok_status();
}

ImageConfig parse_config(const json& c) {
  ImageConfig out;
  auto cfg = c.value("config", json::object());
  if (cfg.is_null()) cfg = json::object();
  auto list = [&](const char* k) { return cfg.contains(k) && cfg[k].is_array() ? cfg[k].get<std::vector<std::string>>() : std::vector<std::string>{}; };
  out.env = list("Env");
  out.entrypoint = list("Entrypoint");
  out.cmd = list("Cmd");
  out.working_dir = cfg.value("WorkingDir", "");
  out.user = cfg.value("User", "");
  if (cfg.contains("Labels") && cfg["Labels"].is_object()) out.labels = cfg["Labels"].get<std::map<std::string, std::string>>();
  if (cfg.contains("ExposedPorts") && cfg["ExposedPorts"].is_object())
    for (auto& [port, _] : cfg["ExposedPorts"].items()) out.exposed_ports.push_back(port);
  out.architecture = c.value("architecture", "amd64");
  return out;
}

std::string blob_file(const std::string& layout, const std::string& digest) {
  auto d = Digest::parse(digest);
  return d ? blob_path(layout, *d) : layout + "/blobs/invalid";
}

// Where the files of an image dir are read. For an archive unpacked by us, every symlink on a
// path is resolved inside the dir: a symlink the archive planted (blobs/sha256/<hex> or a
// docker layer name -> /etc/...) must not make us read a file of the host, and copy it into the
// image. A layout dir given by the user is read as it stands (its blobs may link to a store).
struct ImageDir {
  std::string dir;
  bool confined = false;
  Result<std::string> file(const std::string& host_path) const {
    if (!confined) return host_path;
    Root r(dir);
    CUSLIM_TRY(auto inside, r.realpath(host_path.substr(dir.size())));
    return r.host_path(inside);
  }
  Result<json> json_file(const std::string& host_path) const {
    CUSLIM_TRY(auto p, file(host_path));
    return read_json(p);
  }
};

// In an image index, the manifest for `platform` ("os/arch[/variant]"); others are skipped.
Result<json> pick_platform(const ImageDir& img, const json& index, const std::string& platform) {
  const std::string& layout = img.dir;
  std::vector<std::string> seen;
  for (auto& m : index.value("manifests", json::array())) {
    auto p = m.value("platform", json::object());
    std::string name = p.value("os", "") + "/" + p.value("architecture", "") + (p.contains("variant") ? "/" + p.value("variant", "") : "");
    seen.push_back(name);
    if (name == platform || (p.value("os", "") + "/" + p.value("architecture", "")) == platform) return img.json_file(blob_file(layout, m.value("digest", "")));
  }
  std::string all;
  for (auto& s : seen) all += (all.empty() ? "" : ", ") + s;
  return bad_input(layout + ": the image index has no " + platform + " manifest (it has: " + all + ")");
}

Status unpack_oci(const ImageDir& img, const std::string& staging, const UnpackOptions& opt, UnpackedImage& out) {
  const std::string& layout = img.dir;
  const std::string& tag = opt.tag;
  CUSLIM_TRY(auto index, img.json_file(layout + "/index.json"));
  json chosen;
  for (auto& m : index.value("manifests", json::array())) {
    std::string ref = m.value("annotations", json::object()).value("org.opencontainers.image.ref.name", "");
    if (tag.empty() || ref == tag) {
      chosen = m;
      break;
    }
  }
  if (chosen.is_null()) return bad_input(layout + ": no manifest" + (tag.empty() ? "" : " tagged '" + tag + "'") + " in index.json");
  CUSLIM_TRY(auto manifest, img.json_file(blob_file(layout, chosen.value("digest", ""))));
  if (manifest.value("mediaType", "") == "application/vnd.oci.image.index.v1+json" || manifest.contains("manifests")) {
    CUSLIM_TRY(manifest, pick_platform(img, manifest, opt.platform));
  }
  CUSLIM_TRY(auto config, img.json_file(blob_file(layout, manifest["config"].value("digest", ""))));
  out.config = parse_config(config);
  out.history_json = config.value("history", json::array()).dump();
  auto diff_ids = config.value("rootfs", json::object()).value("diff_ids", json::array());
  int i = 0;
  for (auto& l : manifest.value("layers", json::array())) {
    std::string d = l.value("digest", "");
    StoredLayer sl;
    CUSLIM_TRY(sl.blob, img.file(blob_file(layout, d)));
    if (auto dg = Digest::parse(d)) sl.info.digest = *dg;
    if (static_cast<size_t>(i) < diff_ids.size())
      if (auto di = Digest::parse(diff_ids[i].get<std::string>())) sl.info.diff_id = *di;
    sl.info.size = l.value("size", 0ull);
    std::string mt = l.value("mediaType", "");
    sl.info.compression = mt.ends_with("+gzip") || mt.ends_with(".tar.gzip") || mt.find("rootfs.diff.tar.gzip") != std::string::npos ? Compression::gzip
                          : mt.ends_with("+zstd") ? Compression::zstd : Compression::none;
    out.layers.push_back(sl);
    CUSLIM_CHECK(extract_layer(sl.blob, staging, layout + " layer " + std::to_string(i++) + " (" + d + ")", &d, out));
  }
  return ok_status();
}

Status unpack_docker(const std::string& dir, const std::string& staging, UnpackedImage& out) {
  const ImageDir img{dir, true};
  CUSLIM_TRY(auto manifest, img.json_file(dir + "/manifest.json"));
  if (!manifest.is_array() || manifest.empty()) return bad_input(dir + "/manifest.json: expected a non-empty array");
  auto& m = manifest[0];
  CUSLIM_TRY(auto config_name, safe_name(m.value("Config", ""), "manifest.json"));
  CUSLIM_TRY(auto config, img.json_file(dir + "/" + config_name));
  out.config = parse_config(config);
  int i = 0;
  for (auto& l : m.value("Layers", json::array())) {
    std::string rel = l.get<std::string>();
    CUSLIM_TRY(auto safe, safe_name(rel, "manifest.json"));
    // Hybrid archives name layer blobs by their digest: checked. Classic ones (<id>/layer.tar,
    // possibly compressed) carry no digest of the stored bytes.
    std::optional<std::string> digest;
    if (safe.rfind("blobs/sha256/", 0) == 0) digest = "sha256:" + path::basename(safe);
    CUSLIM_TRY(auto blob, img.file(dir + "/" + safe));
    CUSLIM_CHECK(extract_layer(blob, staging, "docker-archive layer " + std::to_string(i) + " (" + rel + ")",
                               digest ? &*digest : nullptr, out));
    ++i;
  }
  return ok_status();
}

// An image's JSON is untrusted: a document of the wrong shape (a number where an object belongs,
// a null config, a list of numbers for Env) makes nlohmann::json throw. That is invalid input,
// reported as such, not an abort.
template <class F>
Status json_checked(const std::string& file, F&& read) {
  try {
    return read();
  } catch (const json::exception& e) {
    return bad_input(file + ": malformed image metadata: " + e.what());
  }
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

Result<ImageKind> detect_image(const std::string& p) {
  struct stat st;
  if (::stat(p.c_str(), &st) != 0) return Error::from_errno(p, errno);
  if (S_ISDIR(st.st_mode)) return ::access((p + "/oci-layout").c_str(), F_OK) == 0 ? ImageKind::oci_layout : ImageKind::rootfs_dir;
  auto names = tar_names(p, 64);
  if (names.empty()) return bad_input(p + ": neither a directory nor a (compressed) tar archive");
  bool manifest = false, layout = false;
  for (auto& n : names) {
    manifest |= n == "manifest.json";
    layout |= n == "oci-layout" || n == "index.json";
  }
  if (manifest) return ImageKind::docker_archive;
  if (layout) return ImageKind::oci_archive;
  return ImageKind::rootfs_tar;
}

Result<UnpackedImage> unpack_image(const std::string& image, const std::string& staging, const UnpackOptions& opt) {
  CUSLIM_TRY(auto kind, detect_image(image));
  UnpackedImage out;
  out.kind = kind;
  out.keep_setuid = opt.keep_setuid;
  if (kind == ImageKind::rootfs_dir) {
    out.rootfs = image;
    return out;
  }
  std::filesystem::create_directories(staging + "/rootfs");
  out.rootfs = std::filesystem::canonical(staging + "/rootfs").string();
  switch (kind) {
    case ImageKind::oci_layout: CUSLIM_CHECK(json_checked(image, [&] { return unpack_oci({image, false}, out.rootfs, opt, out); })); break;
    case ImageKind::rootfs_tar: CUSLIM_CHECK(extract_layer(image, out.rootfs, image, nullptr, out)); break;
    case ImageKind::oci_archive:
    case ImageKind::docker_archive: {
      std::filesystem::create_directories(staging + "/archive");
      const std::string outer = std::filesystem::canonical(staging + "/archive").string();
      CUSLIM_CHECK(extract_layer(image, outer, image, nullptr, out));
      if (kind == ImageKind::oci_archive) CUSLIM_CHECK(json_checked(image, [&] { return unpack_oci({outer, true}, out.rootfs, opt, out); }));
      else CUSLIM_CHECK(json_checked(image, [&] { return unpack_docker(outer, out.rootfs, out); }));  // `outer` stays: its blobs may be appended to
      break;
    }
    case ImageKind::rootfs_dir: break;
  }
  return out;
}

}  // namespace cuslim
