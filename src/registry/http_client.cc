#include "registry/http_client.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/ascii.h"
#include "core/fs.h"
#include "core/unique_fd.h"
#include "registry/media_types.h"

#ifdef CUSLIM_HAVE_CURL
#include <curl/curl.h>

#include <mutex>
#ifdef CUSLIM_CURL_DLOPEN  // the portable build: the host's libcurl (and its TLS library)
#include "registry/curl_dlopen.h"
#else
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#endif
#endif

namespace cuslim {

namespace {

bool is_dir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> files_ending(const std::string& dir, const std::string& ext) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (auto* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > ext.size() && n.compare(n.size() - ext.size(), ext.size(), ext) == 0) out.push_back(dir + "/" + n);
    }
    ::closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::string cert_dir_for(const RegistryOptions& o, const std::string& host) {
  if (!o.cert_dir.empty()) return o.cert_dir;
  for (const char* base : {"/etc/containers/certs.d/", "/etc/docker/certs.d/"})
    if (is_dir(base + host)) return base + host;
  return "";
}

#ifdef CUSLIM_HAVE_CURL

namespace {

using CurlPtr = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using SlistPtr = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// What one transfer needs in its callbacks.
struct Transfer {
  const HttpRequest* req;
  HttpResponse* resp;
  CURL* curl;
  int upload_fd = -1;
  uint64_t sent = 0, to_send = 0;
  bool sink_failed = false;
  bool body_cut = false;  // an answer past the largest manifest: stopped there, not read to its end
};

size_t on_header(char* data, size_t size, size_t n, void* ctx) {
  auto* t = static_cast<Transfer*>(ctx);
  std::string line(data, size * n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (line.rfind("HTTP/", 0) == 0) t->resp->headers.clear();  // a new response (redirect, 100-continue)
  else if (auto colon = line.find(':'); colon != std::string::npos) {
    std::string v = line.substr(colon + 1);
    v.erase(0, v.find_first_not_of(" \t"));
    t->resp->headers[ascii_lower(line.substr(0, colon))] = v;
  }
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* ctx) {
  auto* t = static_cast<Transfer*>(ctx);
  long status = 0;
  curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
  if (t->req->sink && status >= 200 && status < 300) {
    if (!t->req->sink(data, size * n)) {
      t->sink_failed = true;
      return 0;
    }
    return size * n;
  }
  // A manifest, token or error answer is never larger than a manifest may be: one byte past it is
  // kept (callers say "too large") and the transfer stops, so an answer without an end cannot
  // hold cuslim forever.
  constexpr size_t kKeep = media::kMaxManifestBytes + 1;
  t->resp->body.append(data, std::min(size * n, kKeep - t->resp->body.size()));
  if (t->resp->body.size() == kKeep) {
    t->body_cut = true;
    return 0;
  }
  return size * n;
}

size_t on_read(char* buf, size_t size, size_t n, void* ctx) {
  auto* t = static_cast<Transfer*>(ctx);
  size_t want = std::min<uint64_t>(size * n, t->to_send - t->sent);
  if (want == 0) return 0;
  if (t->upload_fd >= 0) {
    ssize_t got = ::pread(t->upload_fd, buf, want, static_cast<off_t>(t->req->upload_offset + t->sent));
    if (got <= 0) return CURL_READFUNC_ABORT;
    t->sent += static_cast<uint64_t>(got);
    if (t->req->sent) t->req->sent(static_cast<uint64_t>(got));
    return static_cast<size_t>(got);
  }
  std::memcpy(buf, t->req->body.data() + t->sent, want);
  t->sent += want;
  return want;
}

// A certs.d *.crt must hold a certificate: one that does not would be left out without a word, and
// the registry's certificate then fail as "unknown CA" far from the cause (exit 3 naming the file).
// A certificate of the certs dir (`role`: "*.crt ... a PEM CA certificate", "*.cert ... a PEM
// client certificate") that cannot be read is the file's error (exit 3), not a TLS failure later.
Status check_cert_file(const std::string& file, const std::string& role) {
  auto why = [&](const std::string& w) { return bad_input(file + ": " + w + " (" + role + ": fix or remove it)"); };
  CUSLIM_TRY(auto text, read_regular_file(file));
#ifdef CUSLIM_CURL_DLOPEN  // no TLS library of our own here: the PEM framing is checked, the host's libcurl reads the rest
  auto begin = text.find("-----BEGIN CERTIFICATE-----");
  if (begin == std::string::npos || text.find("-----END CERTIFICATE-----", begin) == std::string::npos) return why("no PEM certificate in it");
#else
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), BIO_free);
  int certs = 0;
  while (X509* cert = bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr) ++certs, X509_free(cert);
  ERR_clear_error();
  if (certs == 0) return why("no certificate could be read from it");
#endif
  return ok_status();
}

#ifdef CUSLIM_CURL_DLOPEN
// The certs.d CAs join the system store (docker's rule). The host's libcurl brings its own TLS
// library, whose context cuslim cannot touch: the system bundle and the CAs go to it as one PEM
// blob (CURLOPT_CAINFO_BLOB).
Result<std::string> ca_blob(const std::vector<std::string>& ca_files) {
  std::string pem;
  for (const char* bundle : {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/ca-bundle.pem",
                             "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"})
    if (auto text = read_regular_file(bundle); text.ok()) {
      pem = *text + "\n";
      break;
    }
  for (auto& f : ca_files) {
    CUSLIM_TRY(auto text, read_regular_file(f));
    pem += text + "\n";
  }
  return pem;
}
#else
// The certs.d CAs join the system store (docker's rule): added to the context curl set up.
CURLcode add_cas(CURL*, void* ssl_ctx, void* ctx) {
  auto* files = static_cast<std::vector<std::string>*>(ctx);
  X509_STORE* store = SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(ssl_ctx));
  for (auto& f : *files) {
    FILE* fp = std::fopen(f.c_str(), "r");
    if (!fp) return CURLE_SSL_CACERT_BADFILE;
    while (X509* cert = PEM_read_X509(fp, nullptr, nullptr, nullptr)) {
      X509_STORE_add_cert(store, cert);
      X509_free(cert);
    }
    std::fclose(fp);
  }
  return CURLE_OK;
}
#endif

}  // namespace

struct HttpClient::Impl {
  CurlPtr curl{nullptr, curl_easy_cleanup};
  std::vector<std::string> ca_files;
  std::string ca_pem;  // the portable build: the system bundle and ca_files, for CURLOPT_CAINFO_BLOB
  std::string client_cert, client_key;
  bool tls_verify = true;
};

Result<HttpClient> HttpClient::make(const RegistryOptions& o, const std::string& host) {
#ifdef CUSLIM_CURL_DLOPEN
  if (std::string why; !host_curl_available(&why)) return Error(Exit::network, host + ": " + why);
#endif
  global_init();
  auto impl = std::make_unique<Impl>();
  impl->curl.reset(curl_easy_init());
  if (!impl->curl) return Error(Exit::network, host + ": cannot set up an HTTP client (curl_easy_init)");
  impl->tls_verify = o.tls_verify;
  if (std::string dir = cert_dir_for(o, host); !dir.empty()) {
    if (!is_dir(dir)) return Error(Exit::usage, "--cert-dir " + dir + ": not a directory");
    impl->ca_files = files_ending(dir, ".crt");
    for (auto& f : impl->ca_files) CUSLIM_CHECK(check_cert_file(f, "a *.crt of the certs dir must be a PEM CA certificate"));
    // docker's pairing: each NAME.cert needs NAME.key and each NAME.key its NAME.cert.
    for (auto& key : files_ending(dir, ".key"))
      if (std::string cert = key.substr(0, key.size() - 4) + ".cert"; ::access(cert.c_str(), F_OK) != 0)
        return bad_input(key + ": client key without its certificate " + cert);
    for (auto& cert : files_ending(dir, ".cert")) {
      std::string key = cert.substr(0, cert.size() - 5) + ".key";
      if (::access(key.c_str(), R_OK) != 0) return bad_input(cert + ": client certificate without its key " + key);
      CUSLIM_CHECK(check_cert_file(cert, "a *.cert of the certs dir must be a PEM client certificate"));
      CUSLIM_TRY(auto key_text, read_regular_file(key));
      if (key_text.find("-----BEGIN") == std::string::npos || key_text.find("PRIVATE KEY-----") == std::string::npos)
        return bad_input(key + ": no PEM private key in it (the key of the client certificate " + cert + ": fix or remove it)");
      impl->client_cert = cert, impl->client_key = key;
    }
  }
#ifdef CUSLIM_CURL_DLOPEN
  if (!impl->ca_files.empty()) {
    CUSLIM_TRY(impl->ca_pem, ca_blob(impl->ca_files));
  }
#endif
  return HttpClient(std::move(impl));
}

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient::~HttpClient() = default;

Result<HttpResponse> HttpClient::send(const HttpRequest& req) {
  CURL* c = impl_->curl.get();
  curl_easy_reset(c);
  HttpResponse resp;
  Transfer t{&req, &resp, c};
  UniqueFd fd;
  bool has_body = req.method == "PUT" || req.method == "POST" || req.method == "PATCH";
  if (!req.upload_file.empty()) {
    fd = UniqueFd(::open(req.upload_file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return Error::from_errno(req.upload_file, errno);
    t.upload_fd = fd.get();
    t.to_send = req.upload_size;
  } else {
    t.to_send = req.body.size();
  }
  SlistPtr headers(nullptr, curl_slist_free_all);
  auto add_header = [&](const std::string& h) { headers.reset(curl_slist_append(headers.release(), h.c_str())); };
  for (auto& h : req.headers) add_header(h);
  add_header("Expect:");  // no 100-continue round trip
  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_USERAGENT, "cuslim");
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, req.method == "GET" || req.method == "HEAD" ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
  // HTTPS only, redirects too: a token realm, a blob's storage or a 30x to http:// would carry
  // credentials or bytes anyone on the path can read or change.
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);   // a stalled transfer ends after a minute
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, impl_->tls_verify ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, impl_->tls_verify ? 2L : 0L);
  if (!impl_->ca_files.empty()) {
#ifdef CUSLIM_CURL_DLOPEN
    curl_blob blob{impl_->ca_pem.data(), impl_->ca_pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
#else
    curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, add_cas);
    curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, &impl_->ca_files);
#endif
  }
  if (!impl_->client_cert.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, impl_->client_cert.c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEY, impl_->client_key.c_str());
  }
  if (req.method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  else if (has_body) {
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &t);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(t.to_send));
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  } else if (req.method != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }
  char err[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
  CURLcode rc = curl_easy_perform(c);
  // An upload's URL carries the registry's session state in its query (distribution's _state, a
  // signed token): messages name the URL without it.
  std::string said = req.url.substr(0, req.url.find('?'));
  if (t.sink_failed) return Error(Exit::network, said + ": the download was stopped (writing it failed)");
  if (rc != CURLE_OK && !t.body_cut) {
    std::string why = err[0] ? err : curl_easy_strerror(rc);
    // OpenSSL's words for a server that answered the TLS hello in plain HTTP.
    if (rc == CURLE_SSL_CONNECT_ERROR && why.find("wrong version number") != std::string::npos)
      why += " (the registry answers in plain HTTP, not TLS: cuslim speaks HTTPS only; serve the registry with TLS)";
    if (rc == CURLE_UNSUPPORTED_PROTOCOL)
      why += " (a plain-HTTP URL or a redirect to one: cuslim speaks HTTPS only and never follows a redirect to http://)";
    return Error(Exit::network, said + ": " + why);
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  char* url = nullptr;
  curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &url);
  resp.url = url ? url : req.url;
  return resp;
}

#else  // built without libcurl at all

struct HttpClient::Impl {};
Result<HttpClient> HttpClient::make(const RegistryOptions&, const std::string& host) {
  return Error(Exit::usage, host + ": this cuslim was built without registry support (no libcurl): move the image with skopeo instead");
}
HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient::~HttpClient() = default;
Result<HttpResponse> HttpClient::send(const HttpRequest&) { return Error(Exit::usage, "no registry support in this build"); }

#endif

}  // namespace cuslim
