// Only in the portable build (CUSLIM_CURL_DLOPEN): see curl_dlopen.h.
#ifdef CUSLIM_CURL_DLOPEN

#define CURL_DISABLE_TYPECHECK  // the functions below are defined, not called through curl's macros
#include "registry/curl_dlopen.h"

#include <curl/curl.h>
#include <dlfcn.h>

#include <cstdarg>
#include <mutex>

namespace cuslim {

namespace {

// Tried in order: the OpenSSL flavour every distribution ships as libcurl.so.4, then Debian's
// GnuTLS one.
constexpr const char* kNames[] = {"libcurl.so.4", "libcurl-gnutls.so.4"};

struct HostCurl {
  void* handle = nullptr;
  std::string why;
  CURLcode (*global_init)(long) = nullptr;
  CURL* (*easy_init)() = nullptr;
  void (*easy_cleanup)(CURL*) = nullptr;
  void (*easy_reset)(CURL*) = nullptr;
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...) = nullptr;
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...) = nullptr;
  CURLcode (*easy_perform)(CURL*) = nullptr;
  const char* (*easy_strerror)(CURLcode) = nullptr;
  curl_slist* (*slist_append)(curl_slist*, const char*) = nullptr;
  void (*slist_free_all)(curl_slist*) = nullptr;
};

template <class F>
bool bind(void* h, const char* name, F& fn) {
  fn = reinterpret_cast<F>(::dlsym(h, name));
  return fn != nullptr;
}

const HostCurl& host() {
  static HostCurl c;
  static std::once_flag once;
  std::call_once(once, [] {
    for (const char* n : kNames)
      if ((c.handle = ::dlopen(n, RTLD_NOW | RTLD_LOCAL))) break;
    if (!c.handle) {
      c.why = "this portable cuslim uses the host's libcurl for registries, and none is installed (libcurl.so.4: apt-get install libcurl4, dnf install libcurl)";
      return;
    }
    bool all = bind(c.handle, "curl_global_init", c.global_init) && bind(c.handle, "curl_easy_init", c.easy_init) &&
               bind(c.handle, "curl_easy_cleanup", c.easy_cleanup) && bind(c.handle, "curl_easy_reset", c.easy_reset) &&
               bind(c.handle, "curl_easy_setopt", c.easy_setopt) && bind(c.handle, "curl_easy_getinfo", c.easy_getinfo) &&
               bind(c.handle, "curl_easy_perform", c.easy_perform) && bind(c.handle, "curl_easy_strerror", c.easy_strerror) &&
               bind(c.handle, "curl_slist_append", c.slist_append) && bind(c.handle, "curl_slist_free_all", c.slist_free_all);
    if (!all) {
      c.why = "the host's libcurl lacks a function cuslim needs (too old?)";
      ::dlclose(c.handle);
      c.handle = nullptr;
    }
  });
  return c;
}

}  // namespace

bool host_curl_available(std::string* why) {
  const auto& c = host();
  if (!c.handle && why) *why = c.why;
  return c.handle != nullptr;
}

}  // namespace cuslim

using cuslim::host;

extern "C" {

CURLcode curl_global_init(long flags) { return host().handle ? host().global_init(flags) : CURLE_FAILED_INIT; }
CURL* curl_easy_init() { return host().handle ? host().easy_init() : nullptr; }
void curl_easy_cleanup(CURL* h) {
  if (h) host().easy_cleanup(h);
}
void curl_easy_reset(CURL* h) { host().easy_reset(h); }
CURLcode curl_easy_perform(CURL* h) { return host().easy_perform(h); }
const char* curl_easy_strerror(CURLcode c) { return host().handle ? host().easy_strerror(c) : "libcurl not loaded"; }
curl_slist* curl_slist_append(curl_slist* l, const char* s) { return host().slist_append(l, s); }
void curl_slist_free_all(curl_slist* l) {
  if (l) host().slist_free_all(l);
}

// One argument follows the option; its type is in the option's number range (curl.h CURLOPTTYPE_*).
CURLcode curl_easy_setopt(CURL* h, CURLoption opt, ...) {
  va_list ap;
  va_start(ap, opt);
  CURLcode r;
  if (opt < CURLOPTTYPE_OBJECTPOINT) r = host().easy_setopt(h, opt, va_arg(ap, long));
  else if (opt >= CURLOPTTYPE_OFF_T && opt < CURLOPTTYPE_BLOB) r = host().easy_setopt(h, opt, va_arg(ap, curl_off_t));
  else r = host().easy_setopt(h, opt, va_arg(ap, void*));  // object, function and blob pointers
  va_end(ap);
  return r;
}

CURLcode curl_easy_getinfo(CURL* h, CURLINFO info, ...) {
  va_list ap;
  va_start(ap, info);
  CURLcode r = host().easy_getinfo(h, info, va_arg(ap, void*));  // always a pointer to the answer
  va_end(ap);
  return r;
}

}  // extern "C"

#endif  // CUSLIM_CURL_DLOPEN
