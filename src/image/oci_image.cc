#include "image/oci_image.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/fs.h"
#include "core/json_text.h"
#include "core/path.h"
#include "core/unique_fd.h"
#include "image/digest.h"
#include "image/json_fields.h"
#include "image/utf8_names.h"

namespace cuslim {

namespace {

using nlohmann::json;
const char* kManifestType = "application/vnd.oci.image.manifest.v1+json";
const char* kConfigType = "application/vnd.oci.image.config.v1+json";
const char* kIndexType = "application/vnd.oci.image.index.v1+json";

json config_json(const ImageBuild& b) {
  const auto& c = b.config;
  json cfg = json::object();
  if (!c.env.empty()) cfg["Env"] = c.env;
  if (!c.entrypoint.empty()) cfg["Entrypoint"] = c.entrypoint;
  if (!c.cmd.empty()) cfg["Cmd"] = c.cmd;
  if (!c.working_dir.empty()) cfg["WorkingDir"] = c.working_dir;
  if (!c.user.empty()) cfg["User"] = c.user;
  if (!c.labels.empty()) cfg["Labels"] = c.labels;
  if (!c.exposed_ports.empty()) {
    cfg["ExposedPorts"] = json::object();
    for (auto& p : c.exposed_ports) cfg["ExposedPorts"][p] = json::object();
  }
  if (!c.volumes.empty()) {
    cfg["Volumes"] = json::object();
    for (auto& v : c.volumes) cfg["Volumes"][v] = json::object();
  }
  if (!c.stop_signal.empty()) cfg["StopSignal"] = c.stop_signal;
  json diff_ids = json::array();
  for (auto& l : b.layers) diff_ids.push_back(l.diff_id.str());
  return {{"architecture", c.architecture}, {"os", c.os}, {"created", c.created}, {"config", cfg},
          {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
          {"history", [&] {
             json h = parse_json_or_discarded(b.history);
             return h.is_array() ? h : json::array();
           }()}};
}

// An existing layout's index.json without the manifest that carries `tag` (the tag moves); every
// other manifest and field is kept as it is.
Result<json> merged_index(const std::string& file, const std::string& tag) {
  // A layout without its index.json (an interrupted `mkdir; echo > oci-layout`) gets a new one, as skopeo gives it.
  if (struct stat st; ::lstat(file.c_str(), &st) != 0 && errno == ENOENT) return json{{"schemaVersion", 2}, {"manifests", json::array()}};
  auto text = read_regular_file(file);
  if (!text) return text.error().wrap("updating the OCI layout");
  auto parsed = parse_json(*text, file);  // says why: not JSON, where, or nested too deep
  if (!parsed) return bad_input(parsed.error().message() + ": refusing to update this layout");
  json index = std::move(*parsed);
  if (!index.is_object()) return bad_input(file + ": not a JSON object: refusing to update this layout");
  CUSLIM_TRY(auto manifests, JsonFields(index, file).array("manifests"));
  json kept = json::array();
  for (size_t i = 0; i < manifests.size(); ++i) {
    // Each kept descriptor as a reader checks it: one it would refuse is refused here, before
    // the layout is touched (kept, it would make every later read of the layout fail).
    auto& m = manifests[i];
    std::string where = file + ": manifests[" + std::to_string(i) + "]";
    auto refuse = [&](const Error& e) { return bad_input(e.message() + ": refusing to update this layout"); };
    if (auto st = expect_object(m, where); !st) return refuse(st.error());
    JsonFields f(m, where);
    auto digest = f.str("digest");
    if (!digest) return refuse(digest.error());
    if (!Digest::parse(*digest)) return refuse(bad_input(f.at("digest") + ": '" + *digest + "' is not a sha256 digest"));
    auto media_type = f.str("mediaType");
    if (!media_type) return refuse(media_type.error());
    auto size = f.u64("size");
    if (!size) return refuse(size.error());
    // The blob it names: there, of the size it says, and of the kind it says (a reader refuses
    // each of these; the digest itself is checked when the image is read).
    std::string blob = blob_path(path::dirname(file), *Digest::parse(*digest));
    struct stat st;
    if (::stat(blob.c_str(), &st) != 0) return refuse(bad_input(where + ": its blob " + *digest + " is not in the layout"));
    if (f.has("size") && static_cast<uint64_t>(st.st_size) != *size)
      return refuse(bad_input(where + ": its blob is " + std::to_string(st.st_size) + " bytes, the entry says " + std::to_string(*size)));
    if (!media_type->empty()) {
      auto text = read_regular_file(blob, 16 << 20);
      json doc = text ? parse_json_or_discarded(*text) : json(json::value_t::discarded);
      bool is_index = doc.is_object() && doc.contains("manifests");
      if (!is_manifest_media_type(*media_type) || is_index_media_type(*media_type) != is_index)
        return refuse(bad_input(where + ": says " + *media_type + ", its blob is " + (is_index ? "an image index" : "an image manifest")));
    }
    auto annotations = f.string_map("annotations");
    if (!annotations) return refuse(annotations.error());
    std::string ref;
    if (auto it = annotations->find("org.opencontainers.image.ref.name"); it != annotations->end()) ref = it->second;
    if (ref == tag) continue;  // the tag moves; an untagged image replaces the untagged one
    kept.push_back(m);
  }
  index["manifests"] = kept;
  return index;
}

}  // namespace

bool is_index_media_type(const std::string& mt) {
  return mt == "application/vnd.oci.image.index.v1+json" || mt == "application/vnd.docker.distribution.manifest.list.v2+json";
}

// The media types an image index may name: a manifest or an index, OCI's or docker's.
bool is_manifest_media_type(const std::string& mt) {
  return is_index_media_type(mt) || mt == "application/vnd.oci.image.manifest.v1+json" ||
         mt == "application/vnd.docker.distribution.manifest.v2+json";
}

std::string blob_path(const std::string& layout_dir, const Digest& d) { return layout_dir + "/blobs/sha256/" + d.hex(); }

Result<Digest> write_blob(const std::string& layout_dir, const std::string& bytes) {
  Digest d = Sha256::of(bytes);
  CUSLIM_CHECK(make_dirs(layout_dir + "/blobs/sha256"));
  CUSLIM_CHECK(write_file_atomic(blob_path(layout_dir, d), bytes));
  return d;
}

// The config's JSON text. File names are bytes and JSON strings are UTF-8: a program whose name
// is not valid UTF-8 cannot be the Entrypoint (nor such a value an Env entry). Said, not thrown.
Result<std::string> config_text(const ImageBuild& b) {
  json c = config_json(b);
  std::vector<std::string> bad;
  std::function<void(const json&)> scan = [&](const json& v) {
    if (v.is_string() && !valid_utf8(v.get_ref<const std::string&>())) bad.push_back(v.get<std::string>());
    if (v.is_structured())
      for (auto& x : v) scan(x);
  };
  scan(c);
  if (!bad.empty()) {
    std::string shown = json(bad.front()).dump(-1, ' ', true, json::error_handler_t::replace);  // escaped, U+FFFD for the bad bytes
    return bad_input("image config: " + shown + " is not valid UTF-8 and an image config (JSON) cannot carry it: rename the file (or, for the "
                     "Entrypoint, bundle a wrapper whose name is valid UTF-8)");
  }
  return c.dump();
}

Status check_layout_index(const std::string& dir) {
  CUSLIM_TRY(auto index, merged_index(dir + "/index.json", ""));
  (void)index;
  return ok_status();
}

Result<WrittenImage> write_oci_layout(const std::string& dir, const ImageBuild& b, IndexUpdate update) {
  WrittenImage w;
  CUSLIM_TRY(std::string config, config_text(b));
  CUSLIM_TRY(w.config, write_blob(dir, config));
  json layers = json::array();
  for (auto& l : b.layers) layers.push_back({{"mediaType", media_type(l.compression)}, {"digest", l.digest.str()}, {"size", l.size}});
  json manifest = {{"schemaVersion", 2}, {"mediaType", kManifestType},
                   {"config", {{"mediaType", kConfigType}, {"digest", w.config.str()}, {"size", config.size()}}}, {"layers", layers}};
  std::string m = manifest.dump();
  CUSLIM_TRY(w.manifest, write_blob(dir, m));
  w.manifest_size = m.size();
  json desc = {{"mediaType", kManifestType}, {"digest", w.manifest.str()}, {"size", w.manifest_size}};
  if (!b.tag.empty()) desc["annotations"] = {{"org.opencontainers.image.ref.name", b.tag}};
  json index = {{"schemaVersion", 2}, {"mediaType", kIndexType}, {"manifests", json::array()}};
  // Two cuslim runs adding tags to one layout at once: each reads, edits and replaces index.json
  // under an exclusive lock on the layout directory, so neither loses the other's tag.
  UniqueFd lock;
  if (update == IndexUpdate::merge) {
    lock = UniqueFd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!lock) return Error::from_errno(dir, errno).wrap("locking the OCI layout");
    while (::flock(lock.get(), LOCK_EX) != 0)
      if (errno != EINTR) return Error::from_errno(dir, errno).wrap("locking the OCI layout");
    CUSLIM_TRY(index, merged_index(dir + "/index.json", b.tag));
  }
  index["manifests"].push_back(desc);
  CUSLIM_CHECK(write_file_atomic(dir + "/index.json", index.dump()));
  CUSLIM_CHECK(write_file_atomic(dir + "/oci-layout", json{{"imageLayoutVersion", "1.0.0"}}.dump()));
  return w;
}

Status write_layout_archive(const std::string& dir, const std::string& out_file, bool docker, const ImageBuild& b,
                            const WrittenImage& w, int64_t mtime) {
  std::vector<LayerEntry> entries;
  std::vector<std::string> files;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    // cuslim-cache.json (bundle/layer_cache.h) keys layers of an OCI layout dir for reuse by the next
    // run at the same OUT: an archive is never reused that way, and the file is no part of an image.
    if (it->is_regular_file(ec) && it->path().lexically_relative(dir) != "cuslim-cache.json")
      files.push_back(it->path().lexically_relative(dir).string());
  if (ec) return Error::from_errno(dir, ec.value()).wrap("reading the layout to pack");
  std::sort(files.begin(), files.end());
  for (auto* d : {"blobs", "blobs/sha256"}) {
    LayerEntry e;
    e.type = LayerEntry::dir;
    e.name = d;
    e.mode = 0755;
    entries.push_back(e);
  }
  for (auto& f : files) {
    struct stat st;
    if (::stat((dir + "/" + f).c_str(), &st) != 0) return Error::from_errno(dir + "/" + f, errno);
    LayerEntry e;
    e.name = f;
    e.source = dir + "/" + f;
    e.size = static_cast<uint64_t>(st.st_size);
    entries.push_back(e);
  }
  if (docker) {
    // Untagged (no --tag): RepoTags null, as `docker save IMAGE-ID` writes it; a made-up name would
    // retag whatever image a `docker load` finds under it.
    json repo_tags = nullptr;
    if (std::string tag = b.tag; !tag.empty()) {
      if (tag.find(':', tag.rfind('/') == std::string::npos ? 0 : tag.rfind('/')) == std::string::npos) tag += ":latest";
      repo_tags = json::array({tag});
    }
    json layers = json::array();
    for (auto& l : b.layers) layers.push_back("blobs/sha256/" + l.digest.hex());
    json manifest = json::array({{{"Config", "blobs/sha256/" + w.config.hex()}, {"RepoTags", repo_tags}, {"Layers", layers}}});
    LayerEntry m;
    m.name = "manifest.json";
    m.content = manifest.dump();
    m.size = m.content.size();
    entries.push_back(m);
    std::sort(entries.begin() + 2, entries.end(), [](auto& x, auto& y) { return x.name < y.name; });
  }
  LayerOptions opt;
  opt.compression = Compression::none;
  opt.mtime = mtime;
  auto r = write_layer(entries, out_file, opt);
  if (!r) return r.error();
  return ok_status();
}

}  // namespace cuslim
