// A registry image reference, `docker://HOST[:PORT]/REPO[:TAG|@DIGEST]` (skopeo's spelling),
// parsed once into a plain value.
#pragma once

#include <optional>
#include <string>

#include "core/error.h"

namespace cuslim {

struct RegistryRef {
  std::string host;    // "registry.example:5000" (with the port when given); docker.io -> registry-1.docker.io
  std::string repo;    // "team/app" (docker.io: "library/" added to a one-part name)
  std::string tag;     // "latest" when neither a tag nor a digest is given
  bool tag_given = false;  // the reference spelled its tag (not the implicit "latest")
  std::string digest;  // "sha256:..." when pinned
  std::string spelled; // as the user wrote it, for messages

  std::string base_url() const { return "https://" + host + "/v2/" + repo; }
  std::string reference() const { return digest.empty() ? tag : digest; }  // what /manifests/<ref> takes
};

bool is_registry_ref(const std::string& s);  // starts with docker://
Result<RegistryRef> parse_registry_ref(const std::string& s);
// An input's tag option (--tag, --from-tag) applied to its reference: it names the tag the
// reference left out, must agree with one it spells, and cannot go with a digest (exit 2).
Status apply_tag_option(RegistryRef& ref, const std::string& tag);

}  // namespace cuslim
