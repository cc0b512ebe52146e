#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/json_text.h"
#include "registry/credential_helper.h"
#include "registry/registry_options.h"
#include "core/fs.h"

namespace cuslim {

namespace {

const char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// USER:PASS from a flag (a usage error when it is not) or from a file (invalid input there).
Result<Credentials> split_creds(const std::string& s, const std::string& source, Exit bad = Exit::usage) {
  auto colon = s.find(':');
  if (colon == std::string::npos) return Error(bad, source + ": credentials must be USER:PASS");
  return Credentials{s.substr(0, colon), s.substr(colon + 1), source};
}

std::string docker_config_file() {
  if (const char* d = std::getenv("DOCKER_CONFIG"); d && *d) return std::string(d) + "/config.json";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.docker/config.json";
  return "";
}

// "https://host/v1/" -> "host"
std::string auth_key_host(std::string k) {
  for (const char* p : {"https://", "http://"})
    if (k.rfind(p, 0) == 0) k = k.substr(std::string(p).size());
  if (auto slash = k.find('/'); slash != std::string::npos) k.resize(slash);
  return k;
}

// A docker config key names `host` (Docker Hub: any of the names docker and skopeo write for it).
bool key_names(const std::string& key, const std::string& host) {
  std::string k = auth_key_host(key);
  if (host == "registry-1.docker.io") return k == "index.docker.io" || k == "docker.io" || k == "registry-1.docker.io";
  return k == host;
}

}  // namespace

std::string base64_encode(const std::string& in) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (uint8_t)in[i] << 16 | (uint8_t)in[i + 1] << 8 | (uint8_t)in[i + 2];
    for (int s : {18, 12, 6, 0}) out += kB64[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    unsigned v = (uint8_t)in[i] << 16;
    out += kB64[(v >> 18) & 63], out += kB64[(v >> 12) & 63], out += "==";
  } else if (i + 2 == in.size()) {
    unsigned v = (uint8_t)in[i] << 16 | (uint8_t)in[i + 1] << 8;
    out += kB64[(v >> 18) & 63], out += kB64[(v >> 12) & 63], out += kB64[(v >> 6) & 63], out += '=';
  }
  return out;
}

Result<std::string> base64_decode(const std::string& in) {
  std::string out;
  unsigned v = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=' || c == '\n' || c == '\r') continue;
    const char* p = std::strchr(kB64, c);
    if (!p || !c) return bad_input("not base64");
    v = (v << 6) | unsigned(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((v >> bits) & 0xff);
    }
  }
  return out;
}

Result<std::optional<Credentials>> find_credentials(const std::string& host, const RegistryOptions& o, RegistrySide side) {
  if (auto [flag, value] = o.creds_flag(side); !value.empty()) {
    CUSLIM_TRY(auto c, split_creds(value, flag));
    return std::optional<Credentials>{c};
  }
  std::string file = docker_config_file();
  if (file.empty()) return std::optional<Credentials>{};
  if (::access(file.c_str(), F_OK) != 0) return std::optional<Credentials>{};  // no config: anonymous
  CUSLIM_TRY(std::string text, read_regular_file(file));
  auto j = parse_json_or_discarded(text);
  if (j.is_discarded() || !j.is_object()) return bad_input(file + ": not a JSON object");
  // A helper for this registry comes first, then auths, then the default store (docker's order).
  if (j.contains("credHelpers") && j["credHelpers"].is_object())
    for (auto& [key, helper] : j["credHelpers"].items())
      if (key_names(key, host) && helper.is_string()) return run_credential_helper(helper.get<std::string>(), key);
  auto from_store = [&]() -> Result<std::optional<Credentials>> {
    if (j.contains("credsStore") && j["credsStore"].is_string() && !j["credsStore"].get<std::string>().empty())
      return run_credential_helper(j["credsStore"].get<std::string>(), host == "registry-1.docker.io" ? "https://index.docker.io/v1/" : host);
    return std::optional<Credentials>{};
  };
  if (!j.contains("auths") || !j["auths"].is_object()) return from_store();
  for (auto& [key, entry] : j["auths"].items()) {
    if (!key_names(key, host) || !entry.is_object()) continue;
    // An identity token (what `docker login` keeps for an OAuth registry) is used before the
    // entry's auth, as docker does; that auth's user, if any, is only for messages.
    if (entry.contains("identitytoken") && entry["identitytoken"].is_string() && !entry["identitytoken"].get<std::string>().empty())
      return std::optional<Credentials>{Credentials{.source = file, .identity_token = entry["identitytoken"].get<std::string>()}};
    // An empty auth is none (docker's decodeAuth): the entry's username and password, else anonymous.
    if (entry.contains("auth") && entry["auth"].is_string() && !entry["auth"].get<std::string>().empty()) {
      auto decoded = base64_decode(entry["auth"].get<std::string>());
      if (!decoded) return bad_input(file + ": auths." + key + ".auth: not base64");
      CUSLIM_TRY(auto c, split_creds(*decoded, file + ": auths." + key + ".auth", Exit::bad_input));
      return std::optional<Credentials>{c};
    }
    if (entry.contains("username") && entry["username"].is_string() && entry.contains("password") && entry["password"].is_string())
      return std::optional<Credentials>{Credentials{entry["username"].get<std::string>(), entry["password"].get<std::string>(), file}};
  }
  return from_store();
}

}  // namespace cuslim
