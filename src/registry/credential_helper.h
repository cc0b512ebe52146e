// docker credential helpers (`credHelpers` / `credsStore` of the docker config): the program
// docker-credential-NAME run with `get`, the server on stdin, {"Username", "Secret"} on stdout.
#pragma once

#include <optional>
#include <string>

#include "core/error.h"
#include "registry/registry_options.h"

namespace cuslim {

// nullopt when the helper has no credentials for `server` ("credentials not found").
Result<std::optional<Credentials>> run_credential_helper(const std::string& name, const std::string& server);

}  // namespace cuslim
