// The portable build's libcurl: not linked (Debian has no static libcurl with its dependencies),
// but the host's libcurl.so.4 opened at the first registry transfer. curl_dlopen.cc defines the
// curl_* functions cuslim calls, each forwarding to the host library's own.
#pragma once

#include <string>

namespace cuslim {

// Whether the host's libcurl could be opened; `why` says what was tried when not.
bool host_curl_available(std::string* why);

}  // namespace cuslim
