// How cuslim talks to registries: credentials, TLS, where the pushed digest goes, how many blobs
// move at once. A plain value the CLI fills from --creds / --cert-dir / --tls-verify /
// --digestfile / --chunk-size and passes down explicitly: in the request structs that read images
// (UnpackOptions::registry) and write them (BundleRequest::registry), then to pull_image and
// push_image. No process-wide copy: two calls in one process may talk to registries differently.
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
  int jobs = 4;            // blobs pushed or pulled at once (each on its own connection)
};

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
