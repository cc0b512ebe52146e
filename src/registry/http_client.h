// One HTTP(S) connection's worth of libcurl (the only file that includes curl): a request is a
// plain value, the response body either kept (small documents) or streamed to a sink (blobs), a
// request body sent from memory or streamed from a file. TLS per RegistryOptions: the system CA
// store plus a docker certs.d dir's *.crt, its client *.cert/*.key, no verification only when asked.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "registry/registry_options.h"

namespace cuslim {

struct HttpRequest {
  std::string method = "GET", url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;                  // sent when upload_file is empty (POST/PUT/PATCH)
  std::string upload_file;           // else the body is streamed from this file...
  uint64_t upload_offset = 0, upload_size = 0;  // ...this range of it
  std::function<void(uint64_t n)> sent;  // called as pieces of upload_file go out (progress)
  // A 2xx response's body goes here, piece by piece (return false to abort); else into body.
  std::function<bool(const char* data, size_t n)> sink;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names, of the final response
  std::string body;                            // at most 4 MiB + 1 byte kept (a manifest of the limit, and more tells it is over)
  std::string url;                             // after redirects
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// Transport failures (no connection, TLS, a sink that gave up) are errors; any HTTP status is a response.
class HttpClient {
 public:
  static Result<HttpClient> make(const RegistryOptions& o, const std::string& host);
  HttpClient(HttpClient&&) noexcept;
  ~HttpClient();
  Result<HttpResponse> send(const HttpRequest& req);

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The docker certs.d dir for `host`: --cert-dir, else /etc/containers/certs.d/HOST or
// /etc/docker/certs.d/HOST when present, else "".
std::string cert_dir_for(const RegistryOptions& o, const std::string& host);

}  // namespace cuslim
