#include "image/transport_spelling.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <unistd.h>

#include "core/ascii.h"

namespace cuslim {

namespace {

constexpr const char* kTransports[] = {"docker://", "oci:", "oci-archive:", "docker-archive:", "dir:"};
constexpr const char* kExpected = "(transports: docker://HOST/REPO[:TAG], oci:DIR[:TAG], oci-archive:FILE[:TAG], "
                                  "docker-archive:FILE[:NAME:TAG], dir:DIR)";

}  // namespace

Status check_transport_spelling(const std::string& ref) {
  if (::access(ref.c_str(), F_OK) == 0) return ok_status();  // an existing path is itself, whatever its name
  std::string low = ascii_lower(ref);
  for (const char* t : kTransports) {
    std::string name(t);
    if (low.rfind(name, 0) == 0 && ref.rfind(name, 0) != 0)
      return Error(Exit::usage, ref + ": transport names are lower case: " + name + " " + kExpected);
    if (ref.rfind(name, 0) == 0 && ref.size() == name.size())
      return Error(Exit::usage, ref + ": no path after '" + name + "' " + kExpected);
  }
  if (low.rfind("docker:", 0) == 0 && ref.rfind("docker://", 0) != 0 && low.rfind("docker-archive:", 0) != 0)
    return Error(Exit::usage, ref + ": a registry reference starts with docker:// " + kExpected);
  for (const char* t : {"oci:", "oci-archive:", "docker-archive:"})
    if (ref.rfind(t, 0) == 0 && ref[std::string(t).size()] == ':')
      return Error(Exit::usage, ref + ": no path before the tag " + kExpected);
  return ok_status();
}

// Longer image references are refused before the grammar is matched (docker's own limits are 255
// for a name and 128 for a tag; this bound is only there so the check cannot exhaust the stack).
constexpr size_t kMaxRefLength = 1024;

Status check_oci_tag(const std::string& ref, const std::string& tag) {
  // The image-spec's ref.name grammar (skopeo's oci: transport checks the same):
  // component ("/" component)*, component = alphanum (separator alphanum)*, separator = [-._:@+] | "--".
  static const std::regex re("[A-Za-z0-9]+(([-._:@+]|--)[A-Za-z0-9]+)*(/[A-Za-z0-9]+(([-._:@+]|--)[A-Za-z0-9]+)*)*");
  // The length first: std::regex recurses once per character (a long enough tag overflows the stack).
  if (tag.size() > kMaxRefLength)
    return Error(Exit::usage, ref + ": a tag of " + std::to_string(tag.size()) + " characters: at most " + std::to_string(kMaxRefLength) + " are accepted");
  if (tag.empty() || std::regex_match(tag, re)) return ok_status();
  return Error(Exit::usage, ref + ": '" + tag + "' is not a valid tag (an OCI ref.name: letters and digits joined by . _ - : @ + or /)");
}

Status check_docker_archive_ref(const std::string& ref, const std::string& name) {
  // [HOST[:PORT]/]REPO[:TAG], REPO in the distribution grammar, TAG as docker's. The first
  // component is a HOST only with '.' or ':' in it, or as localhost (as docker:// reads it):
  // UPPER/x is a repository, and not a valid one.
  static const std::regex host_re("([A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\])(:[0-9]+)?");  // an IPv6 address in brackets, as docker://
  static const std::regex re("[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?");
  if (name.size() > kMaxRefLength)
    return Error(Exit::usage, ref + ": a reference of " + std::to_string(name.size()) + " characters: at most " + std::to_string(kMaxRefLength) + " are accepted");
  if (name.empty()) return ok_status();
  std::string repo = name;
  if (auto slash = name.find('/'); slash != std::string::npos) {
    std::string first = name.substr(0, slash);
    if (first.find_first_of(".:") != std::string::npos || first == "localhost") {
      if (!std::regex_match(first, host_re)) return Error(Exit::usage, ref + ": '" + first + "' is not a registry HOST[:PORT]");
      repo = name.substr(slash + 1);
    }
  }
  if (std::regex_match(repo, re)) return ok_status();
  return Error(Exit::usage, ref + ": '" + name + "' is not a docker reference [HOST[:PORT]/]NAME[:TAG] (a lower-case name, a valid tag)");
}

}  // namespace cuslim
