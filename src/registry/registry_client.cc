#include "registry/registry_client.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/json_text.h"
#include "registry/auth_challenge.h"

namespace cuslim {

namespace {

std::string reason(long status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
  }
  return "HTTP error";
}

bool retryable(long status) { return status == 429 || status >= 500; }

// Before retry number `attempt` (0-based) of an answer that was 429/5xx: 0.25 s doubling, or the
// answer's Retry-After in seconds, at most 10 s (any number of digits: 400 of them is "long", not
// an exception).
void wait_before_retry(int attempt, const HttpResponse& r) {
  double wait = 0.25 * (1 << attempt);
  if (auto ra = r.header("retry-after"); !ra.empty() && ra.find_first_not_of("0123456789") == std::string::npos) {
    std::string n = ra.substr(std::min(ra.find_first_not_of('0'), ra.size()));  // "0005" is 5 s
    wait = n.size() <= 2 ? std::min(10.0, n.empty() ? 0.0 : std::stod(n)) : 10.0;  // 3+ digits: past the cap (and any double)
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(wait));
}

// "%XX" for everything but unreserved characters (query values of the token request).
std::string url_escape(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else out += '%', out += hex[c >> 4], out += hex[c & 15];
  }
  return out;
}

}  // namespace

Result<RegistryClient> RegistryClient::make(const RegistryRef& ref, const RegistryOptions& o, std::string actions) {
  auto http = HttpClient::make(o, ref.host);
  if (!http) return http.error().wrap(ref.spelled);
  RegistryClient c(ref, o, std::move(actions), std::move(*http), std::nullopt);
  if (o.creds_flag(c.side()).second.empty()) return c;
  auto creds = find_credentials(ref.host, o, c.side());  // a credentials flag: checked before any request
  if (!creds) return creds.error().wrap(ref.spelled);
  c.creds_ = *creds;
  c.creds_looked_up_ = true;
  return c;
}

Status RegistryClient::look_up_credentials() {
  if (creds_looked_up_) return ok_status();
  creds_looked_up_ = true;
  auto creds = find_credentials(ref_.host, opt_, side());
  if (!creds) return creds.error().wrap(ref_.spelled + ": the registry asks for credentials");
  creds_ = *creds;
  return ok_status();
}

Result<RegistryClient> RegistryClient::fork() const {
  auto http = HttpClient::make(opt_, ref_.host);
  if (!http) return http.error().wrap(ref_.spelled);
  RegistryClient c(ref_, opt_, actions_, std::move(*http), creds_);
  c.extra_scopes_ = extra_scopes_;
  c.authorization_ = authorization_;
  c.creds_looked_up_ = creds_looked_up_;
  return c;
}

std::string RegistryClient::url(const std::string& p) const {
  if (p.rfind("https://", 0) == 0 || p.rfind("http://", 0) == 0) return p;
  return "https://" + ref_.host + p;
}

Error RegistryClient::http_error(const std::string& what, const HttpResponse& r) const {
  std::string msg = ref_.spelled + ": " + what + ": " + std::to_string(r.status) + " " + reason(r.status);
  auto j = parse_json_or_discarded(r.body);
  if (j.is_object() && j.contains("errors") && j["errors"].is_array())
    for (auto& e : j["errors"]) {
      if (!e.is_object()) continue;
      msg += ": ";
      if (e.contains("code") && e["code"].is_string()) msg += e["code"].get<std::string>();
      if (e.contains("message") && e["message"].is_string()) msg += " (" + e["message"].get<std::string>() + ")";
    }
  if (r.status == 401 && !creds_) msg += "; no credentials (--creds USER:PASS, --src-creds/--dest-creds when two registries, or docker login)";
  else if (r.status == 401) msg += "; credentials from " + creds_->source + " refused";
  return Error(Exit::network, msg);
}

// The token request of a Bearer challenge for this repository's scopes: a GET with the
// credentials (Basic) when there are some, anonymous otherwise; with an identity token, the OAuth2
// form docker and skopeo send: a POST of grant_type=refresh_token, the scopes space-separated.
HttpRequest RegistryClient::token_request(const std::string& realm, const std::string& service) const {
  std::vector<std::string> scopes{"repository:" + ref_.repo + ":" + actions_};
  scopes.insert(scopes.end(), extra_scopes_.begin(), extra_scopes_.end());
  if (creds_ && !creds_->identity_token.empty()) {
    std::string joined;
    for (auto& s : scopes) joined += (joined.empty() ? "" : " ") + s;
    std::string form = "grant_type=refresh_token&refresh_token=" + url_escape(creds_->identity_token) + "&client_id=cuslim";
    if (!service.empty()) form += "&service=" + url_escape(service);
    form += "&scope=" + url_escape(joined);
    return HttpRequest{.method = "POST", .url = realm, .headers = {"Content-Type: application/x-www-form-urlencoded"}, .body = form};
  }
  std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
  if (!service.empty()) url += "service=" + url_escape(service) + "&";
  for (size_t i = 0; i < scopes.size(); ++i) url += (i ? "&scope=" : "scope=") + url_escape(scopes[i]);
  HttpRequest tr{.url = url};
  if (creds_) tr.headers.push_back("Authorization: Basic " + base64_encode(creds_->user + ":" + creds_->password));
  return tr;
}

// Basic: the user's credentials. Bearer: a token from the realm for this repository's scope,
// asked with the credentials when there are some (anonymous otherwise).
Status RegistryClient::answer_challenge(const HttpResponse& r, const std::string& what) {
  CUSLIM_CHECK(look_up_credentials());
  auto c = parse_auth_challenge(r.header("www-authenticate"));
  if (c.scheme == "basic") {
    if (!creds_) return http_error(what, r);
    if (!creds_->identity_token.empty())
      return Error(Exit::network, ref_.spelled + ": " + what + ": the registry asks for Basic credentials; " + creds_->source +
                                      " holds an identity token (OAuth), which only a Bearer token realm takes");
    authorization_ = "Authorization: Basic " + base64_encode(creds_->user + ":" + creds_->password);
    return ok_status();
  }
  if (c.scheme != "bearer") return http_error(what + " (authentication scheme '" + c.scheme + "' not supported)", r);
  std::string realm = c.param("realm");
  if (realm.empty()) return Error(Exit::network, ref_.spelled + ": " + what + ": a Bearer challenge without a realm");
  if (realm.rfind("https://", 0) != 0)  // credentials go to the realm: never in plain HTTP
    return Error(Exit::network, ref_.spelled + ": " + what + ": the token realm '" + realm + "' is not an https:// URL; cuslim sends credentials over HTTPS only");
  HttpRequest tr = token_request(realm, c.param("service"));
  // A token server is as busy as its registry when a fleet starts at once: its 429/5xx are retried alike.
  auto sent = http_.send(tr);
  for (int attempt = 0; sent && retryable(sent->status) && attempt < opt_.retries; ++attempt) {
    wait_before_retry(attempt, *sent);
    sent = http_.send(tr);
  }
  if (!sent) {  // "docker://...: token from REALM: why" (the transport's own "URL: " prefix, URL without its query, dropped)
    std::string why = sent.error().message(), said = tr.url.substr(0, tr.url.find('?'));
    if (why.rfind(said + ": ", 0) == 0) why.erase(0, said.size() + 2);
    return Error(sent.error().code(), ref_.spelled + ": token from " + realm + ": " + why);
  }
  auto& resp = *sent;
  if (resp.status != 200) return http_error("token from " + realm, resp);
  auto j = parse_json_or_discarded(resp.body);
  std::string token;
  for (const char* k : {"token", "access_token"})
    if (token.empty() && j.is_object() && j.contains(k) && j[k].is_string()) token = j[k].get<std::string>();
  if (token.empty()) return Error(Exit::network, ref_.spelled + ": token from " + realm + ": the answer has no token");
  authorization_ = "Authorization: Bearer " + token;
  return ok_status();
}

Result<HttpResponse> RegistryClient::send_once(HttpRequest req, const std::string& what) {
  req.url = url(req.url);
  if (!authorization_.empty()) req.headers.push_back(authorization_);
  auto r = http_.send(req);
  if (!r) return r.error().wrap(ref_.spelled + ": " + what);
  return r;
}

Result<HttpResponse> RegistryClient::send(HttpRequest req, const std::string& what) {
  bool answered = false;
  for (int attempt = 0;; ++attempt) {
    CUSLIM_TRY(auto r, send_once(req, what));
    if (r.status == 401 && !answered) {
      CUSLIM_CHECK(answer_challenge(r, what));
      answered = true;
      --attempt;
      continue;
    }
    if (retryable(r.status) && attempt < opt_.retries) {
      wait_before_retry(attempt, r);
      continue;
    }
    return r;
  }
}

}  // namespace cuslim
