// Where blobs were seen on each registry: the repositories cuslim pushed them to or pulled them
// from, kept in its cache dir (cache_dir.h). A push asks the registry to mount a blob it lacks
// from a repository that held it, as docker's and skopeo's blob-info caches let them, so the same
// CUDA layers pushed to a second repository send no bytes. The file is a cache: unreadable,
// absent or lost, it costs only those mounts; it is never an error.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace cuslim {

// For each digest, the repositories of `registry` that held it, most recent first (none known: absent).
std::map<std::string, std::vector<std::string>> known_blob_repos(const std::string& registry, const std::vector<std::string>& digests);

// `repo` of `registry` holds these blobs now (after a push or a pull). Best effort: merged with
// what other runs wrote, under a lock, and written atomically; a failure is ignored.
void remember_blob_repos(const std::string& registry, const std::string& repo, const std::vector<std::string>& digests);

}  // namespace cuslim
