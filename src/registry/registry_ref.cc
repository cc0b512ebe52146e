#include "registry/registry_ref.h"

#include <regex>

#include "image/digest.h"

namespace cuslim {

namespace {

bool valid_tag(const std::string& tag) {
  static const std::regex tag_re("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  return tag.size() <= 128 && std::regex_match(tag, tag_re);  // the length first: std::regex recurses per character
}

}  // namespace

bool is_registry_ref(const std::string& s) { return s.rfind("docker://", 0) == 0; }

Result<RegistryRef> parse_registry_ref(const std::string& s) {
  auto usage = [&](const std::string& why) {
    return Error(Exit::usage, s + ": " + why + " (expected docker://[HOST[:PORT]/]REPO[:TAG|@DIGEST])");
  };
  if (!is_registry_ref(s)) return usage("not a registry reference");
  RegistryRef r;
  r.spelled = s;
  std::string rest = s.substr(9);
  if (rest.empty()) return usage("no image name");
  // docker's rule: the first component names a registry only with '.' or ':' in it, or as localhost.
  auto slash = rest.find('/');
  std::string first = slash == std::string::npos ? "" : rest.substr(0, slash);
  bool has_host = slash != std::string::npos &&
                  (first.find_first_of(".:") != std::string::npos || first == "localhost" || first.empty());
  std::string name = has_host ? rest.substr(slash + 1) : rest;
  r.host = has_host ? first : "docker.io";
  if (r.host.empty()) return usage("no HOST before the '/'");
  std::string hostname = r.host;  // HOST[:PORT]; an IPv6 address in brackets
  if (auto colon = r.host.rfind(':'); colon != std::string::npos && r.host.find(']', colon) == std::string::npos) {
    std::string port = r.host.substr(colon + 1);
    hostname.resize(colon);
    bool digits = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos;
    if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535) return usage("'" + port + "' is not a port (1-65535)");
  }
  static const std::regex host_re("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|\\[[0-9A-Fa-f:.]+\\]");
  // Lengths are checked before each std::regex_match, which recurses once per character (a long
  // enough string overflows the stack): DNS names are at most 253, repositories 255 with the host.
  if (hostname.size() > 253) return usage("the registry host name is longer than 253 characters");
  if (!std::regex_match(hostname, host_re)) return usage("'" + hostname + "' is not a host name or address");
  if (auto at = name.find('@'); at != std::string::npos) {
    r.digest = name.substr(at + 1);
    name.resize(at);
    if (!Digest::parse(r.digest)) return usage("'" + r.digest + "' is not a sha256 digest");
  }
  if (auto colon = name.rfind(':'); colon != std::string::npos && name.find('/', colon) == std::string::npos) {
    r.tag = name.substr(colon + 1);
    r.tag_given = true;
    name.resize(colon);
    if (!valid_tag(r.tag)) return usage("'" + r.tag + "' is not a valid tag");
  }
  // The distribution spec's repository name grammar.
  // docker://127.0.0.1:5000 or docker://localhost:5000 parses (docker's grammar) as Docker Hub's
  // library/127.0.0.1 with tag 5000: never what is meant. Said, with the spelling that is.
  if (!has_host && slash == std::string::npos && r.tag_given && r.tag.find_first_not_of("0123456789") == std::string::npos &&
      (name.find('.') != std::string::npos || name == "localhost"))
    return usage("a registry without a repository (docker's grammar reads it as Docker Hub's library/" + name + ", tag " + r.tag +
                 "): give docker://" + name + ":" + r.tag + "/REPO[:TAG]");
  static const std::regex repo_re("[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*");
  if (r.host.size() + 1 + name.size() > 255) return usage("the repository name is longer than 255 characters (with its host), which registries refuse");
  if (!std::regex_match(name, repo_re)) return usage("'" + name + "' is not a valid repository name (lower case, digits, . _ - /)");
  r.domain = r.host;
  if (r.host == "docker.io" || r.host == "index.docker.io" || r.host == "registry-1.docker.io") {
    r.domain = "docker.io";
    r.host = "registry-1.docker.io";
    if (name.find('/') == std::string::npos) name = "library/" + name;
  }
  r.repo = name;
  if (r.tag.empty() && r.digest.empty()) r.tag = "latest";
  return r;
}

Status apply_tag_option(RegistryRef& ref, const std::string& tag) {
  if (tag.empty()) return ok_status();
  if (!ref.digest.empty())
    return Error(Exit::usage, ref.spelled + ": names the digest " + ref.digest + " and the tag option says '" + tag + "': give one of them");
  if (ref.tag_given && ref.tag != tag)
    return Error(Exit::usage, ref.spelled + ": names the tag '" + ref.tag + "' and the tag option says '" + tag + "'");
  if (!valid_tag(tag)) return Error(Exit::usage, "'" + tag + "' is not a valid tag for " + ref.spelled);
  ref.tag = tag;
  ref.tag_given = true;
  return ok_status();
}

}  // namespace cuslim
