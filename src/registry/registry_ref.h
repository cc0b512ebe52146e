// A registry image reference, `docker://HOST[:PORT]/REPO[:TAG|@DIGEST]` (skopeo's spelling),
// parsed once into a plain value.
#pragma once

#include <optional>
#include <string>

#include "core/error.h"

namespace cuslim {

// docker's reference rule (distribution/reference, containers/image): the first path component is
// the registry only when it holds '.' or ':' or is "localhost"; otherwise the image is Docker Hub's
// (docker://nvidia/cuda:12.4.1 is docker.io/nvidia/cuda), and a one-part name there gets "library/".
struct RegistryRef {
  std::string host;    // the API host, "registry.example:5000" (with the port when given); Docker Hub: registry-1.docker.io
  std::string domain;  // the registry as docker names it: host, or "docker.io" for Docker Hub
  std::string repo;    // "team/app" (docker.io: "library/" added to a one-part name)
  std::string tag;     // "latest" when neither a tag nor a digest is given
  bool tag_given = false;  // the reference spelled its tag (not the implicit "latest")
  std::string digest;  // "sha256:..." when pinned
  std::string spelled; // as the user wrote it, for messages

  std::string base_url() const { return "https://" + host + "/v2/" + repo; }
  std::string reference() const { return digest.empty() ? tag : digest; }  // what /manifests/<ref> takes
  bool docker_hub() const { return domain == "docker.io"; }
  // The docker config's key for its credentials: "HOST[:PORT]"; Docker Hub's is "https://index.docker.io/v1/"
  // (docker login writes it; "docker.io" and "index.docker.io" are read too, see credentials.cc).
  std::string auth_key() const { return docker_hub() ? "https://index.docker.io/v1/" : host; }
};

bool is_registry_ref(const std::string& s);  // starts with docker://
Result<RegistryRef> parse_registry_ref(const std::string& s);
// An input's tag option (--tag, --from-tag) applied to its reference: it names the tag the
// reference left out, must agree with one it spells, and cannot go with a digest (exit 2).
Status apply_tag_option(RegistryRef& ref, const std::string& tag);

}  // namespace cuslim
