// How cuslim talks to registries: credentials, TLS, where the pushed digest goes. One value the CLI
// fills from --creds / --cert-dir / --tls-verify / --digestfile and hands to every command that
// reads or writes images (`set_registry_options`): image references reach the reader and writers
// through many request structs, and these settings are per process, like skopeo's global flags.
#pragma once

#include <optional>
#include <string>

#include "core/error.h"

namespace cuslim {

struct RegistryOptions {
  std::string creds;       // "USER:PASS" (--creds); empty: from the docker config
  std::string cert_dir;    // docker's certs.d layout: *.crt CAs, *.cert + *.key client pair
  bool tls_verify = true;  // --tls-verify=false: no certificate checks (only when asked)
  std::string digestfile;  // --digestfile: the pushed manifest's digest is written here
  int retries = 4;         // on 429 and 5xx, with backoff
  size_t chunk_size = 0;   // 0: monolithic upload (POST then PUT ?digest=); else PATCH chunks of this size
};

const RegistryOptions& registry_options();
void set_registry_options(RegistryOptions o);

struct Credentials {
  std::string user, password;
  std::string source;  // "--creds" or the config file, for messages
};

// --creds, else from $DOCKER_CONFIG/config.json or ~/.docker/config.json: the credHelpers entry for
// the host (its helper run), else `auths` (base64 "auth",
// or "username"/"password"; keyed by host, "https://host" or "http://host", with any path), else credsStore.
Result<std::optional<Credentials>> find_credentials(const std::string& host, const RegistryOptions& o);

std::string base64_encode(const std::string& in);
Result<std::string> base64_decode(const std::string& in);

}  // namespace cuslim
