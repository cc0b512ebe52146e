// How cuslim talks to registries: credentials, TLS, where the pushed digest goes, how many blobs
// move at once. A plain value the CLI fills from --creds / --src-creds / --dest-creds / --cert-dir / --tls-verify /
// --digestfile / --chunk-size and passes down explicitly: in the request structs that read images
// (UnpackOptions::registry) and write them (BundleRequest::registry), then to pull_image and
// push_image. No process-wide copy: two calls in one process may talk to registries differently.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "core/error.h"

namespace cuslim {

// Which side of a command a registry is on: images read (inputs, --base: pulled) or written (-o: pushed).
enum class RegistrySide { source, destination };

struct RegistryOptions {
  std::string creds;       // "USER:PASS" (--creds) for the one registry of the command; empty: from the docker config
  std::string src_creds;   // --src-creds: for the registry of the inputs and --base (pulls)
  std::string dest_creds;  // --dest-creds: for the registry of -o (pushes)
  std::string cert_dir;    // docker's certs.d layout: *.crt CAs, *.cert + *.key client pair
  bool tls_verify = true;  // --tls-verify=false: no certificate checks (only when asked)
  std::string digestfile;  // --digestfile: the pushed manifest's digest is written here
  int retries = 4;         // on 429 and 5xx, with backoff
  size_t chunk_size = 0;   // 0: monolithic upload (POST then PUT ?digest=); else PATCH chunks of this size
  int jobs = 4;            // blobs pushed or pulled at once (each on its own connection)

  // The credentials flag for one side, {its name, "USER:PASS"}: --src-creds or --dest-creds when
  // given, else --creds (the CLI refuses --creds when the sides are two registries); "" value: none.
  std::pair<std::string, std::string> creds_flag(RegistrySide side) const {
    const std::string& own = side == RegistrySide::source ? src_creds : dest_creds;
    if (!own.empty()) return {side == RegistrySide::source ? "--src-creds" : "--dest-creds", own};
    return {"--creds", creds};
  }
};

struct Credentials {
  std::string user, password;
  std::string source;  // "--creds" or the config file, for messages
  // An OAuth2 refresh token (docker's `identitytoken`, or a helper's "<token>" user): a Bearer
  // realm is asked for an access token with it (grant_type=refresh_token), not with user/password.
  std::string identity_token;
};

// The side's flag (--src-creds/--dest-creds, else --creds), else from $DOCKER_CONFIG/config.json or
// ~/.docker/config.json: the credHelpers entry for the host (its helper run), else `auths`
// ("identitytoken", else base64 "auth", or "username"/"password"; keyed by host, "https://host" or "http://host", with any path),
// else credsStore. Docker Hub (host registry-1.docker.io) is found under "https://index.docker.io/v1/",
// "docker.io" or "index.docker.io".
Result<std::optional<Credentials>> find_credentials(const std::string& host, const RegistryOptions& o,
                                                    RegistrySide side = RegistrySide::source);

std::string base64_encode(const std::string& in);
Result<std::string> base64_decode(const std::string& in);

}  // namespace cuslim
