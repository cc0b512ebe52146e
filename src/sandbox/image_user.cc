#include "sandbox/image_user.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <optional>

#include "core/fs.h"
#include "core/in_root.h"
#include "core/path.h"

namespace cuslim {

namespace {

// The colon-separated fields of each line of an /etc/passwd or /etc/group of the image (none
// when the image has no such file).
Result<std::vector<std::vector<std::string>>> entries(const std::string& rootfs, const std::string& file) {
  std::vector<std::vector<std::string>> out;
  auto inside = resolve_in_root(rootfs, file, MissingComponent::error);
  if (!inside) return out;  // no such file (or a link to nowhere): no names
  CUSLIM_TRY(std::string text, read_regular_file(rootfs + *inside, 16ull << 20));
  for (auto& line : path::split_list(text, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    size_t start = 0;
    for (size_t colon; (colon = line.find(':', start)) != std::string::npos; start = colon + 1) fields.push_back(line.substr(start, colon - start));
    fields.push_back(line.substr(start));
    out.push_back(std::move(fields));
  }
  return out;
}

std::optional<uint32_t> number(const std::string& s) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v > 0x7fffffffu) return std::nullopt;
  return v;
}

}  // namespace

Result<ImageUser> resolve_image_user(const std::string& rootfs, const std::string& user) {
  auto colon = user.find(':');
  std::string name = user.substr(0, colon), group = colon == std::string::npos ? "" : user.substr(colon + 1);
  std::string what = "the image's User '" + user + "'";
  if (name.empty()) return bad_input(what + ": no user before the ':'");
  ImageUser u;
  CUSLIM_TRY(auto passwd, entries(rootfs, "/etc/passwd"));
  auto num = number(name);
  auto entry = std::find_if(passwd.begin(), passwd.end(), [&](auto& f) { return f.size() >= 7 && (num ? number(f[2]) == num : f[0] == name); });
  if (entry != passwd.end()) {
    // A uid or gid that is not a number is refused: never a made-up id (some runtimes read it as 0).
    auto uid = number((*entry)[2]), gid = number((*entry)[3]);
    if (!uid || !gid)
      return bad_input(what + ": the image's /etc/passwd gives '" + (*entry)[0] + "' the " + (!uid ? "uid '" + (*entry)[2] : "gid '" + (*entry)[3]) +
                       "', not a number from 0 to 2147483647");
    u.uid = *uid;
    u.gid = *gid;
    if (!(*entry)[5].empty()) u.home = (*entry)[5];
  } else if (num) {
    u.uid = *num;
  } else {
    return bad_input(what + ": no user '" + name + "' in the image's /etc/passwd");
  }
  CUSLIM_TRY(auto groups, entries(rootfs, "/etc/group"));
  if (!group.empty()) {
    if (auto g = number(group)) u.gid = *g;
    else {
      auto e = std::find_if(groups.begin(), groups.end(), [&](auto& f) { return f.size() >= 3 && f[0] == group; });
      if (e == groups.end() || !number((*e)[2])) return bad_input(what + ": no group '" + group + "' in the image's /etc/group");
      u.gid = *number((*e)[2]);
    }
  }
  u.groups.push_back(u.gid);
  if (entry != passwd.end())  // the groups that list the user by name
    for (auto& f : groups) {
      if (f.size() < 4 || !number(f[2])) continue;
      auto members = path::split_list(f[3], ',');
      if (std::find(members.begin(), members.end(), (*entry)[0]) != members.end() && *number(f[2]) != u.gid) u.groups.push_back(*number(f[2]));
    }
  return u;
}

}  // namespace cuslim
