// docker credential helpers (`credHelpers` / `credsStore` of the docker config): the program
// docker-credential-NAME run with `get`, the server on stdin, {"Username", "Secret"} on stdout.
#pragma once

#include <optional>
#include <string>

#include "core/error.h"
#include "registry/registry_options.h"

namespace cuslim {

// How long a helper may take to answer: 30 s, or CUSLIM_CRED_HELPER_TIMEOUT_S (seconds, > 0; for
// tests and slow keychains). On expiry its process group is killed and the lookup fails (exit 3).
inline constexpr double kCredentialHelperTimeoutS = 30;
double credential_helper_timeout_s();

// nullopt when the helper has no credentials for `server` ("credentials not found"). The helper runs
// in its own process group, killed on the time limit and when cuslim gets SIGINT, SIGTERM or SIGHUP.
Result<std::optional<Credentials>> run_credential_helper(const std::string& name, const std::string& server);

}  // namespace cuslim
