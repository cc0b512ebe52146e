#include "registry/pull.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <vector>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/fs.h"
#include "core/json_text.h"
#include "core/unique_fd.h"
#include "image/oci_image.h"
#include "image/platform.h"
#include "registry/blob_locations.h"
#include "registry/media_types.h"
#include "registry/registry_client.h"

namespace cuslim {

namespace {

using nlohmann::json;

struct Manifest {
  std::string bytes, media_type;
  Digest digest = Digest::from_hex("");
  json doc;
};

// GET /manifests/<reference>; the bytes are hashed (a pinned digest must match, and so must the
// registry's Docker-Content-Digest).
Result<Manifest> fetch_manifest(RegistryClient& c, const std::string& reference) {
  HttpRequest req{.url = "/v2/" + c.ref().repo + "/manifests/" + reference};
  req.headers.push_back(std::string("Accept: ") + media::kOciManifest + ", " + media::kOciIndex + ", " + media::kDockerManifest + ", " +
                        media::kDockerList);
  std::string what = "pull: manifest " + reference;
  CUSLIM_TRY(auto r, c.send(req, what));
  if (r.status != 200) return c.http_error(what, r);
  if (r.body.size() > media::kMaxManifestBytes)
    return bad_input(c.ref().spelled + ": " + what + ": larger than " + media::kMaxManifestText +
                     ", the limit for a manifest or an image index (distribution's and containers/image's)");
  Manifest m{r.body, "", Sha256::of(r.body)};
  std::string where = c.ref().spelled + ": " + what;
  if (reference.rfind("sha256:", 0) == 0 && m.digest.str() != reference)
    return bad_input(where + ": digest mismatch: the registry sent " + m.digest.str());
  if (auto h = r.header("docker-content-digest"); !h.empty() && h != m.digest.str())
    return bad_input(where + ": digest mismatch: the content is " + m.digest.str() + ", the registry says " + h);
  m.doc = parse_json_or_discarded(m.bytes);
  if (!m.doc.is_object()) return bad_input(where + ": not a JSON object");
  if (m.doc.contains("mediaType") && m.doc["mediaType"].is_string()) m.media_type = m.doc["mediaType"].get<std::string>();
  else m.media_type = r.header("content-type");
  if (m.doc.contains("manifests")) m.media_type = media::is_index(m.media_type) ? m.media_type : media::kOciIndex;
  else if (m.media_type != media::kOciManifest && m.media_type != media::kDockerManifest)
    return bad_input(where + ": media type '" + m.media_type + "' is not an OCI or Docker schema 2 manifest");
  return m;
}

Result<uint64_t> descriptor_size(const json& d, const std::string& where) {
  if (!d.is_object() || !d.contains("digest") || !d["digest"].is_string() || !d.contains("size") || !d["size"].is_number_unsigned())
    return bad_input(where + ": a descriptor needs a digest and a size");
  return d["size"].get<uint64_t>();
}

struct ManifestRef {
  std::string digest;
  uint64_t size = 0;
};

// In an index, the descriptor of the manifest for `platform` ("os/arch[/variant]", matched as
// docker does: image/platform.h): a sha256 digest and a size, both checked against what is fetched
// (never a tag the entry smuggles in).
Result<ManifestRef> platform_manifest(const RegistryClient& c, const Manifest& index, const std::string& platform) {
  std::string seen;
  if (!index.doc["manifests"].is_array()) return bad_input(c.ref().spelled + ": image index: manifests is not an array");
  std::vector<std::string> nested;  // entries that are image indexes themselves: not followed
  const nlohmann::json* best = nullptr;
  int best_score = 0;
  std::string best_name;
  Platform want = parse_platform(platform);
  for (auto& m : index.doc["manifests"]) {
    if (!m.is_object() || !m.contains("digest") || !m["digest"].is_string()) continue;
    if (m.contains("mediaType") && m["mediaType"].is_string() && media::is_index(m["mediaType"].get<std::string>())) {
      nested.push_back(m["digest"].get<std::string>());
      continue;
    }
    if (!m.contains("platform") || !m["platform"].is_object()) continue;
    auto& p = m["platform"];
    auto field = [&](const char* k) { return p.contains(k) && p[k].is_string() ? p[k].get<std::string>() : std::string(); };
    Platform have{field("os"), field("architecture"), field("variant")};
    std::string name = have.str();
    if (int score = platform_score(want, have); score > best_score) best = &m, best_score = score, best_name = name;
    seen += (seen.empty() ? "" : ", ") + name;
  }
  if (best) {
    std::string where = c.ref().spelled + ": image index: the " + best_name + " manifest";
    CUSLIM_TRY(uint64_t size, descriptor_size(*best, where));
    std::string digest = (*best)["digest"].get<std::string>();
    if (!Digest::parse(digest)) return bad_input(where + ": '" + digest + "' is not a sha256 digest");
    return ManifestRef{digest, size};
  }
  std::string why = c.ref().spelled + ": the image index has no " + platform + " manifest (it has: " + (seen.empty() ? "none" : seen) + ")";
  if (!nested.empty()) {
    why += "; it names " + std::to_string(nested.size()) + " nested image index" + (nested.size() > 1 ? "es" : "") + " (";
    for (size_t i = 0; i < nested.size(); ++i) why += (i ? ", " : "") + nested[i];
    why += "), which cuslim does not follow: pull a platform manifest by its digest (docker://...@sha256:...)";
  }
  return bad_input(why);
}

// A temp file removed unless it was renamed into place.
struct TempFile {
  std::string path;
  bool keep = false;
  ~TempFile() {
    if (!keep) ::unlink(path.c_str());
  }
};

// GET /blobs/<digest> streamed into blobs/sha256/<hex>, hashed and counted as it arrives.
Result<uint64_t> fetch_blob(RegistryClient& c, const std::string& layout, const std::string& digest_s, uint64_t size, TransferMeter& meter) {
  std::string what = "pull: blob " + digest_s;
  auto digest = Digest::parse(digest_s);
  if (!digest) return bad_input(c.ref().spelled + ": " + what + ": not a sha256 digest");
  std::string final_path = blob_path(layout, *digest);
  if (::access(final_path.c_str(), F_OK) == 0) {
    meter.add(size);
    return uint64_t{0};
  }
  TempFile tmp{final_path + ".partial"};
  UniqueFd fd(::open(tmp.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) return Error::from_errno(tmp.path, errno);
  Sha256 hash;
  uint64_t got = 0;
  bool too_long = false, write_failed = false;
  HttpRequest req{.url = "/v2/" + c.ref().repo + "/blobs/" + digest_s};
  req.sink = [&](const char* data, size_t n) {
    got += n;
    if (got > size) return !(too_long = true);
    hash.update(data, n);
    meter.add(n);
    for (size_t off = 0; off < n;) {
      ssize_t w = ::write(fd.get(), data + off, n - off);
      if (w <= 0) return !(write_failed = true);
      off += static_cast<size_t>(w);
    }
    return true;
  };
  auto r = c.send(req, what);
  std::string where = c.ref().spelled + ": " + what;
  if (too_long) return bad_input(where + ": the registry sent more than the " + std::to_string(size) + " bytes the manifest gives");
  if (write_failed) return Error::from_errno(tmp.path, errno).wrap(where);
  if (!r) return r.error();
  if (r->status != 200) return c.http_error(what, *r);
  if (got != size) return bad_input(where + ": size mismatch: got " + std::to_string(got) + " bytes, the manifest gives " + std::to_string(size));
  if (auto d = hash.finish(); !(d == *digest)) return bad_input(where + ": digest mismatch: the content is " + d.str());
  if (::fsync(fd.get()) != 0 || ::rename(tmp.path.c_str(), final_path.c_str()) != 0) return Error::from_errno(final_path, errno);
  tmp.keep = true;
  return got;
}


}  // namespace

Result<Digest> resolve_manifest(const RegistryRef& ref, const std::string& platform, const RegistryOptions& o) {
  CUSLIM_TRY(auto client, RegistryClient::make(ref, o, "pull"));
  CUSLIM_TRY(auto m, fetch_manifest(client, ref.reference()));
  if (!media::is_index(m.media_type)) return m.digest;
  CUSLIM_TRY(auto d, platform_manifest(client, m, platform));
  return Digest::parse(d.digest);
}

Result<PullResult> pull_image(const RegistryRef& ref, const std::string& layout, const std::string& platform, const RegistryOptions& o,
                              const TransferProgress& progress) {
  CUSLIM_TRY(auto client, RegistryClient::make(ref, o, "pull"));
  CUSLIM_CHECK(make_dirs(layout + "/blobs/sha256"));
  // 1. The manifest (through the index for a multi-platform image), stored as it was served.
  CUSLIM_TRY(auto m, fetch_manifest(client, ref.reference()));
  if (media::is_index(m.media_type)) {
    CUSLIM_TRY(auto d, platform_manifest(client, m, platform));
    CUSLIM_TRY(m, fetch_manifest(client, d.digest));
    if (m.bytes.size() != d.size)
      return bad_input(ref.spelled + ": pull: manifest " + d.digest + ": size mismatch: got " + std::to_string(m.bytes.size()) +
                       " bytes, the image index gives " + std::to_string(d.size));
    if (media::is_index(m.media_type)) return bad_input(ref.spelled + ": an index inside an index is not supported");
  }
  CUSLIM_TRY(auto stored, write_blob(layout, m.bytes));
  (void)stored;
  // 2. Config and layers, each checked while it streams in.
  PullResult res{m.digest};
  std::vector<json> blobs;
  if (m.doc.contains("config")) blobs.push_back(m.doc["config"]);
  if (m.doc.contains("layers") && m.doc["layers"].is_array())
    for (auto& l : m.doc["layers"]) blobs.push_back(l);
  // A digest named twice (the same layer twice) is fetched once: two workers must not share a temp file.
  std::vector<std::pair<std::string, uint64_t>> todo;  // digest, size
  uint64_t total = 0;
  for (auto& b : blobs) {
    CUSLIM_TRY(auto size, descriptor_size(b, ref.spelled + ": manifest"));
    std::string d = b["digest"].get<std::string>();
    if (std::none_of(todo.begin(), todo.end(), [&](auto& t) { return t.first == d; })) todo.push_back({d, size}), total += size;
  }
  TransferMeter meter(progress, total);
  std::vector<uint64_t> got(todo.size(), 0);
  CUSLIM_CHECK(for_each_blob(todo.size(), o.jobs, client, [&](RegistryClient& c, size_t i) -> Status {
    CUSLIM_TRY(got[i], fetch_blob(c, layout, todo[i].first, todo[i].second, meter));
    return ok_status();
  }));
  for (auto g : got) ++res.blobs, res.bytes += g;
  std::vector<std::string> digests;
  for (auto& t : todo) digests.push_back(t.first);
  remember_blob_repos(ref.host, ref.repo, digests);  // a later push to another repository may mount them
  // 3. The layout's index names it by the reference's tag.
  json desc = {{"mediaType", m.media_type}, {"digest", m.digest.str()}, {"size", m.bytes.size()}};
  if (!ref.tag.empty()) desc["annotations"] = {{"org.opencontainers.image.ref.name", ref.tag}};
  json index = {{"schemaVersion", 2}, {"mediaType", media::kOciIndex}, {"manifests", json::array({desc})}};
  CUSLIM_CHECK(write_file_atomic(layout + "/index.json", index.dump(), Durability::rename_only));
  CUSLIM_CHECK(write_file_atomic(layout + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})", Durability::rename_only));
  return res;
}

}  // namespace cuslim
