// The spelling of an image reference's transport and tag, checked before anything reads or
// writes: a misspelt transport ("docker:/host/x", "Docker://host/x", "OCI:dir") or an empty path
// ("oci:", "oci::tag") is a usage error, never a local file or directory of that odd name; a tag
// follows the grammar skopeo checks (OCI layouts' ref.name, docker-archive's NAME[:TAG]).
#pragma once

#include <string>

#include "core/error.h"

namespace cuslim {

// Usage error when `ref` (not an existing path) starts like a transport but is not one as spelled.
Status check_transport_spelling(const std::string& ref);
// Usage error when `tag` is not a valid ref.name of an OCI layout (the image-spec grammar, as skopeo).
Status check_oci_tag(const std::string& ref, const std::string& tag);
// Usage error when `name` is not a docker reference NAME[:TAG] (docker-archive's REF).
Status check_docker_archive_ref(const std::string& ref, const std::string& name);

}  // namespace cuslim
