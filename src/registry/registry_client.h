// Requests to one repository of one registry: the distribution API's auth dance (a 401's
// WWW-Authenticate answered once with Basic credentials or a Bearer token from its realm, the
// answer kept for later requests) and retries with backoff on 429 and 5xx. Errors read
// "<docker://ref>: <what>: <status> <reason>: <the registry's error codes and messages>".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "registry/http_client.h"
#include "registry/registry_options.h"
#include "registry/registry_ref.h"

namespace cuslim {

class RegistryClient {
 public:
  // `actions`: the scope asked of a token server, "pull" or "pull,push" (a push: the destination's
  // credentials, --dest-creds; else the source's, --src-creds).
  static Result<RegistryClient> make(const RegistryRef& ref, const RegistryOptions& o, std::string actions);
  // Another client for the same repository on its own connection, with the credentials and the
  // answer to the auth challenge this one holds (for transfers on other threads).
  Result<RegistryClient> fork() const;

  // `req.url` may be a path ("/v2/...") on the registry or an absolute URL (an upload Location).
  Result<HttpResponse> send(HttpRequest req, const std::string& what);
  // An error for an unexpected response, with the registry's own error messages.
  Error http_error(const std::string& what, const HttpResponse& r) const;
  std::string url(const std::string& path_or_url) const;
  const RegistryRef& ref() const { return ref_; }
  // Also ask a token server for pull access to another repository of this registry (the source
  // of a cross-repository mount), as docker and skopeo do; takes effect at the next challenge.
  void also_pull(const std::string& repo) { extra_scopes_.push_back("repository:" + repo + ":pull"); }

 private:
  RegistryClient(RegistryRef ref, RegistryOptions o, std::string actions, HttpClient http, std::optional<Credentials> creds)
      : ref_(std::move(ref)), opt_(std::move(o)), actions_(std::move(actions)), http_(std::move(http)), creds_(std::move(creds)) {}
  Status answer_challenge(const HttpResponse& r, const std::string& what);
  HttpRequest token_request(const std::string& realm, const std::string& service) const;
  // The docker config's credentials, read at the first challenge: a registry that asks for none
  // is reached whatever state the config or its helpers are in.
  Status look_up_credentials();
  Result<HttpResponse> send_once(HttpRequest req, const std::string& what);

  RegistryRef ref_;
  RegistryOptions opt_;
  std::string actions_;
  RegistrySide side() const { return actions_.find("push") == std::string::npos ? RegistrySide::source : RegistrySide::destination; }
  HttpClient http_;
  std::optional<Credentials> creds_;
  bool creds_looked_up_ = false;  // creds_ holds --creds, or what the docker config gave
  std::vector<std::string> extra_scopes_;  // further "repository:R:pull" scopes for a token
  std::string authorization_;  // "Authorization: ..." once a challenge was answered
};

}  // namespace cuslim
