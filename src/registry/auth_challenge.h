// A `WWW-Authenticate` header as a plain value: scheme (Basic, Bearer) and its parameters
// (realm, service, scope), quoted strings unescaped.
#pragma once

#include <map>
#include <string>

namespace cuslim {

struct AuthChallenge {
  std::string scheme;  // lower case: "basic", "bearer"
  std::map<std::string, std::string> params;  // lower-case keys
  std::string param(const std::string& k) const {
    auto it = params.find(k);
    return it == params.end() ? "" : it->second;
  }
};

AuthChallenge parse_auth_challenge(const std::string& header);

}  // namespace cuslim
