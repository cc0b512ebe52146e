#include "registry/push.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/fs.h"
#include "core/json_text.h"
#include "image/oci_image.h"
#include "registry/blob_locations.h"
#include "registry/media_types.h"
#include "registry/registry_client.h"

namespace cuslim {

namespace {

constexpr size_t kMountSources = 8;  // repositories one push asks pull access to, for mounts

using nlohmann::json;

Result<std::string> read_bytes(const std::string& path) { return read_regular_file(path); }

struct LocalManifest {
  std::string bytes, media_type;
  Digest digest = Digest::from_hex("");
  json doc;
};

// The layout's manifest for `tag` (or its only one), read and checked against its digest.
Result<LocalManifest> local_manifest(const std::string& layout, const std::string& tag) {
  std::string index_file = layout + "/index.json";
  CUSLIM_TRY(auto index_text, read_bytes(index_file));
  auto index = parse_json_or_discarded(index_text);
  if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array() || index["manifests"].empty())
    return bad_input(index_file + ": no manifests");
  const json* chosen = nullptr;
  for (auto& m : index["manifests"]) {
    std::string name = m.is_object() && m.contains("annotations") ? m["annotations"].value("org.opencontainers.image.ref.name", "") : "";
    if (tag.empty() ? index["manifests"].size() == 1 : name == tag) chosen = &m;
  }
  if (!chosen) return bad_input(index_file + ": no manifest" + (tag.empty() ? " (several images: name the tag)" : " tagged '" + tag + "'"));
  auto d = Digest::parse(chosen->value("digest", ""));
  if (!d) return bad_input(index_file + ": a manifest digest is not sha256");
  LocalManifest m;
  if (struct stat st; ::stat(blob_path(layout, *d).c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) > media::kMaxManifestBytes)
    return bad_input(blob_path(layout, *d) + ": manifest: larger than " + media::kMaxManifestText + ", the limit for a manifest (registries refuse more)");
  CUSLIM_TRY(m.bytes, read_bytes(blob_path(layout, *d)));
  m.digest = Sha256::of(m.bytes);
  if (!(m.digest == *d)) return bad_input(blob_path(layout, *d) + ": manifest: digest mismatch: the content is " + m.digest.str());
  m.doc = parse_json_or_discarded(m.bytes);
  if (!m.doc.is_object() || m.doc.contains("manifests"))
    return bad_input(blob_path(layout, *d) + ": not an image manifest (pushing image indexes is not supported yet)");
  m.media_type = m.doc.value("mediaType", chosen->value("mediaType", std::string(media::kOciManifest)));
  return m;
}

// HEAD /blobs/<digest>: 200 means the registry has it.
Result<bool> blob_exists(RegistryClient& c, const std::string& digest) {
  std::string what = "push: blob " + digest + ": HEAD";
  CUSLIM_TRY(auto r, c.send({.method = "HEAD", .url = "/v2/" + c.ref().repo + "/blobs/" + digest}, what));
  if (r.status == 200) return true;
  if (r.status == 404) return false;
  return c.http_error(what, r);
}

std::string with_query(const std::string& location, const std::string& q) {
  return location + (location.find('?') == std::string::npos ? "?" : "&") + q;
}

// POST /blobs/uploads/ (with ?mount=&from= when another repository may hold it: 201 is done),
// then one PUT with the whole blob, or PATCH chunks and an empty PUT. Returns whether it was mounted.
Result<bool> upload_blob(RegistryClient& c, const std::string& file, const std::string& digest, uint64_t size, size_t chunk,
                         const std::string& mount_from, TransferMeter& meter) {
  auto sent = [&meter](uint64_t n) { meter.add(n); };
  std::string what = "push: blob " + digest;
  std::string post = "/v2/" + c.ref().repo + "/blobs/uploads/";
  if (!mount_from.empty()) post += "?mount=" + digest + "&from=" + mount_from;
  CUSLIM_TRY(auto start, c.send({.method = "POST", .url = post}, what + ": POST"));
  if (start.status == 201 && !mount_from.empty()) {
    meter.add(size);
    return true;
  }
  // A registry (or its token server) that declines the mount, with 401/403/404 where the spec
  // says 202: a plain upload, as the spec's fallback.
  if (!mount_from.empty() && start.status != 202) {
    post = "/v2/" + c.ref().repo + "/blobs/uploads/";
    CUSLIM_TRY(auto plain, c.send({.method = "POST", .url = post}, what + ": POST"));
    start = std::move(plain);
  }
  if (start.status != 202) return c.http_error(what + ": POST", start);
  std::string location = start.header("location");
  if (location.empty()) return Error(Exit::network, c.ref().spelled + ": " + what + ": POST: the registry gave no upload Location");
  HttpRequest put{.method = "PUT", .url = with_query(location, "digest=" + digest)};
  put.headers.push_back("Content-Type: application/octet-stream");
  if (chunk == 0) {
    put.upload_file = file, put.upload_size = size, put.sent = sent;
  } else {
    for (uint64_t off = 0; off < size; off += chunk) {
      uint64_t n = std::min<uint64_t>(chunk, size - off);
      HttpRequest patch{.method = "PATCH", .url = location, .upload_file = file, .upload_offset = off, .upload_size = n, .sent = sent};
      patch.headers = {"Content-Type: application/octet-stream",
                       "Content-Range: " + std::to_string(off) + "-" + std::to_string(off + n - 1)};
      CUSLIM_TRY(auto r, c.send(patch, what + ": PATCH"));
      if (r.status != 202) return c.http_error(what + ": PATCH", r);
      if (auto next = r.header("location"); !next.empty()) location = next;
    }
    put.url = with_query(location, "digest=" + digest);
  }
  CUSLIM_TRY(auto done, c.send(put, what + ": PUT"));
  if (done.status != 201) return c.http_error(what + ": PUT", done);
  return false;
}

}  // namespace

Result<PushResult> push_image(const std::string& layout, const std::string& tag, const RegistryRef& ref, const RegistryOptions& o,
                              const std::vector<std::string>& mount_from, const TransferProgress& progress) {
  CUSLIM_TRY(auto m, local_manifest(layout, tag));
  if (!ref.digest.empty() && ref.digest != m.digest.str())
    return Error(Exit::usage, ref.spelled + ": the image's manifest is " + m.digest.str() + ", not the digest the reference names");
  CUSLIM_TRY(auto client, RegistryClient::make(ref, o, "pull,push"));
  PushResult res{m.digest};
  // 1. Blobs the registry lacks: config and layers (they must all be there before the manifest).
  std::vector<json> blobs;
  if (m.doc.contains("config")) blobs.push_back(m.doc["config"]);
  if (m.doc.contains("layers") && m.doc["layers"].is_array())
    for (auto& l : m.doc["layers"]) blobs.push_back(l);
  struct Blob {
    std::string file, digest;
    uint64_t size;
  };
  std::vector<Blob> todo;  // each digest once: two workers must not upload the same blob
  uint64_t total = 0;
  for (auto& b : blobs) {
    auto d = b.is_object() ? Digest::parse(b.value("digest", "")) : Result<Digest>(bad_input("no digest"));
    if (!d) return bad_input(layout + ": manifest " + m.digest.str() + ": a descriptor without a sha256 digest");
    std::string file = blob_path(layout, *d);
    struct stat st;
    if (::stat(file.c_str(), &st) != 0) return Error::from_errno(file, errno).wrap(ref.spelled + ": push");
    if (std::any_of(todo.begin(), todo.end(), [&](auto& t) { return t.digest == d->str(); })) continue;
    todo.push_back({file, d->str(), static_cast<uint64_t>(st.st_size)});
    total += todo.back().size;
  }
  // Where each blob may be mounted from: a repository the caller names (a docker:// base), else
  // one this registry was seen to hold it in (pushed or pulled before: blob_locations.h).
  std::vector<std::string> digests;
  for (auto& b : todo) digests.push_back(b.digest);
  auto known = known_blob_repos(ref.host, digests);
  std::vector<std::string> from(todo.size()), scopes;
  for (size_t i = 0; i < todo.size(); ++i) {
    std::vector<std::string> candidates = mount_from;
    if (auto it = known.find(todo[i].digest); it != known.end()) candidates.insert(candidates.end(), it->second.begin(), it->second.end());
    // The token needs pull access to each source: a few of them (the scopes travel in one URL).
    for (auto& r : candidates) {
      bool scoped = std::find(scopes.begin(), scopes.end(), r) != scopes.end();
      if (r == ref.repo || (!scoped && scopes.size() >= kMountSources)) continue;
      if (!scoped) scopes.push_back(r);
      from[i] = r;
      break;
    }
  }
  for (auto& r : scopes) client.also_pull(r);
  enum Outcome { skipped, mounted, uploaded };
  std::vector<Outcome> outcome(todo.size(), skipped);
  TransferMeter meter(progress, total);
  CUSLIM_CHECK(for_each_blob(todo.size(), o.jobs, client, [&](RegistryClient& c, size_t i) -> Status {
    auto& b = todo[i];
    CUSLIM_TRY(bool exists, blob_exists(c, b.digest));
    if (exists) {
      meter.add(b.size);
      return ok_status();
    }
    CUSLIM_TRY(bool was_mounted, upload_blob(c, b.file, b.digest, b.size, o.chunk_size, from[i], meter));
    outcome[i] = was_mounted ? mounted : uploaded;
    return ok_status();
  }));
  for (size_t i = 0; i < todo.size(); ++i) {
    auto size = todo[i].size;
    if (outcome[i] == skipped) ++res.blobs_skipped, res.bytes_skipped += size;
    else if (outcome[i] == mounted) ++res.blobs_mounted, res.bytes_mounted += size;
    else ++res.blobs_uploaded, res.bytes_uploaded += size;
  }
  // 2. The manifest, under the tag (or its digest): only now does the image have a name.
  std::string what = "push: manifest " + ref.reference();
  HttpRequest put{.method = "PUT", .url = "/v2/" + ref.repo + "/manifests/" + ref.reference(), .body = m.bytes};
  put.headers.push_back("Content-Type: " + m.media_type);
  CUSLIM_TRY(auto r, client.send(put, what));
  if (r.status != 201 && r.status != 200) return client.http_error(what, r);
  if (auto h = r.header("docker-content-digest"); !h.empty() && h != m.digest.str())
    return Error(Exit::network, ref.spelled + ": " + what + ": the registry stored " + h + ", not " + m.digest.str());
  res.pushed = "docker://" + ref.domain + "/" + ref.repo + "@" + m.digest.str();
  remember_blob_repos(ref.host, ref.repo, digests);
  return res;
}

}  // namespace cuslim
