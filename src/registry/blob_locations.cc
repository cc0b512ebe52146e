#include "registry/blob_locations.h"

#include <fcntl.h>
#include <sys/file.h>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/cache_dir.h"
#include "core/fs.h"
#include "core/json_text.h"
#include "core/path.h"
#include "core/unique_fd.h"

namespace cuslim {

namespace {

using json = nlohmann::json;

constexpr size_t kReposPerBlob = 4;          // the most recent ones: enough to find a mount source
constexpr size_t kBlobsPerRegistry = 20000;  // the oldest are forgotten past this

std::string locations_file() {
  std::string dir = cache_dir();
  return dir.empty() ? "" : path::join(dir, "blob-locations.json");
}

// {"registries": {HOST: {DIGEST: {"repos": [...], "seen": EPOCH}}}}; anything else reads as empty.
json read_locations(const std::string& file) {
  auto text = read_regular_file(file, 64ull << 20);
  if (!text) return json::object();
  json doc = parse_json_or_discarded(*text);
  if (!doc.is_object() || !doc.contains("registries") || !doc["registries"].is_object()) return json::object();
  return doc;
}

}  // namespace

std::map<std::string, std::vector<std::string>> known_blob_repos(const std::string& registry, const std::vector<std::string>& digests) {
  std::map<std::string, std::vector<std::string>> out;
  std::string file = locations_file();
  if (file.empty()) return out;
  json doc = read_locations(file);
  if (!doc.contains("registries") || !doc["registries"].contains(registry) || !doc["registries"][registry].is_object()) return out;
  const json& blobs = doc["registries"][registry];
  for (auto& d : digests) {
    auto it = blobs.find(d);
    if (it == blobs.end() || !it->is_object() || !it->contains("repos") || !(*it)["repos"].is_array()) continue;
    for (auto& r : (*it)["repos"])
      if (r.is_string() && !r.get<std::string>().empty()) out[d].push_back(r.get<std::string>());
  }
  return out;
}

void remember_blob_repos(const std::string& registry, const std::string& repo, const std::vector<std::string>& digests) {
  std::string file = locations_file();
  if (file.empty() || digests.empty() || !make_dirs(path::dirname(file)).ok()) return;
  // Two runs pushing at once: each reads, merges and replaces the file under the lock.
  UniqueFd lock(::open((file + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!lock || ::flock(lock.get(), LOCK_EX) != 0) return;
  json doc = read_locations(file);
  if (!doc.contains("registries")) doc = {{"registries", json::object()}};
  json& blobs = doc["registries"][registry];
  if (!blobs.is_object()) blobs = json::object();
  const auto now = static_cast<int64_t>(::time(nullptr));
  for (auto& d : digests) {
    json& entry = blobs[d];
    std::vector<std::string> repos{repo};
    if (entry.is_object() && entry.contains("repos") && entry["repos"].is_array())
      for (auto& r : entry["repos"])
        if (r.is_string() && r.get<std::string>() != repo && repos.size() < kReposPerBlob) repos.push_back(r.get<std::string>());
    entry = {{"repos", repos}, {"seen", now}};
  }
  if (blobs.size() > kBlobsPerRegistry) {  // forget the least recently seen
    std::vector<std::pair<int64_t, std::string>> by_age;
    for (auto& [d, e] : blobs.items()) by_age.push_back({e.is_object() ? e.value("seen", int64_t{0}) : 0, d});
    std::sort(by_age.begin(), by_age.end());
    for (size_t i = 0; i + kBlobsPerRegistry < by_age.size(); ++i) blobs.erase(by_age[i].second);
  }
  (void)write_file_atomic(file, doc.dump(), Durability::rename_only);
}

}  // namespace cuslim
