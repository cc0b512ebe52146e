#include "profile/profile_set.h"

#include <fstream>
#include <set>
#include <sstream>

#include <cstdlib>
#include <cstring>
#include <iterator>

#include "core/atomic_file.h"
#include "core/cache_dir.h"
#include "core/fs.h"
#include "core/path.h"
#include <cstdio>
#include "profile/embedded_profiles.h"
#include "profile/profile_codec.h"

namespace cuslim {

namespace {

// Where the ready form of the built-in profiles is kept: the cache dir, under a name that hashes
// the embedded YAML (a new build with other profiles never reads an old file).
std::string ready_form_path() {
  std::string dir = cache_dir();
  if (dir.empty()) return "";
  // FNV-1a over the texts: a name, not a security boundary (and no crypto library start-up cost).
  uint64_t h = 0xcbf29ce484222325ull;
  for (auto& e : embedded_profiles())
    for (const char* s : {e.file, e.text})
      for (const char* c = s;; ++c) {
        h = (h ^ static_cast<unsigned char>(*c)) * 0x100000001b3ull;
        if (!*c) break;
      }
  char name[64];
  std::snprintf(name, sizeof name, "/profiles-%016llx.bin", static_cast<unsigned long long>(h));
  return dir + name;
}

// FNV-1a of the ready form, stored after it: a damaged or edited file is parsed afresh, not trusted.
std::string checksum(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ull;
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<char>(h >> (8 * i));
  return out;
}

std::optional<std::vector<Profile>> decode_checked(const std::string& file) {
  if (file.size() < 8) return std::nullopt;
  std::string_view body(file.data(), file.size() - 8);
  if (checksum(body) != file.substr(file.size() - 8)) return std::nullopt;
  return decode_profiles(std::string(body));
}

Result<std::vector<Profile>> parse_embedded() {
  std::vector<Profile> out;
  for (auto& e : embedded_profiles()) {
    CUSLIM_TRY(auto p, Profile::parse(e.text, std::string("profiles/") + e.file));
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace

Result<ProfileSet> ProfileSet::builtin() {
  ProfileSet set;
  std::string ready = ready_form_path();
  std::optional<std::vector<Profile>> profiles;
  if (!ready.empty()) {
    if (auto bytes = read_regular_file(ready)) profiles = decode_checked(*bytes);
  }
  if (!profiles) {  // first start of this build (or no cache dir): parse, then store the ready form
    CUSLIM_TRY(profiles, parse_embedded());
    if (!ready.empty() && make_dirs(path::dirname(ready)).ok()) {
      std::string bytes = encode_profiles(*profiles);
      (void)write_file_atomic(ready, bytes + checksum(bytes), Durability::rename_only);
    }
  }
  for (auto& p : *profiles) CUSLIM_CHECK(set.add(std::move(p)));
  return set;
}

Result<std::string> ProfileSet::add_file(const std::string& path) {
  CUSLIM_TRY(auto text, read_regular_file(path));  // a directory or a fifo: said, not read as empty YAML
  CUSLIM_TRY(auto p, Profile::parse(text, path));
  std::string name = p.name;
  // A user profile may replace a built-in one; two user files of one name would have the last
  // win in silence.
  if (auto* had = find(name); had && !had->file.starts_with("profiles/"))
    return bad_input(path + ": profile '" + name + "' is given by " + had->file + " too (one --profile file per name)");
  CUSLIM_CHECK(add(std::move(p)));
  return name;
}

Result<std::vector<std::string>> ProfileSet::add_files(const std::vector<std::string>& paths) {
  std::vector<std::string> names;
  for (auto& f : paths) {
    CUSLIM_TRY(auto name, add_file(f));
    names.push_back(name);
  }
  for (auto& n : names)
    if (auto r = resolved(n); !r.ok()) return r.error();
  return names;
}

Status ProfileSet::add(Profile p) {
  std::string name = p.name;
  profiles_[name] = std::move(p);
  return ok_status();
}

const Profile* ProfileSet::find(const std::string& name) const {
  auto it = profiles_.find(name);
  return it == profiles_.end() ? nullptr : &it->second;
}

std::vector<const Profile*> ProfileSet::all() const {
  std::vector<const Profile*> out;
  for (auto& [_, p] : profiles_) out.push_back(&p);
  return out;
}

namespace {
Status merge(const ProfileSet& set, const Profile& p, Profile& out, std::set<std::string>& stack) {
  if (!stack.insert(p.name).second) return bad_input(p.file + ": extends: cycle through '" + p.name + "'");
  auto append = [](auto& dst, const auto& src) { dst.insert(dst.end(), src.begin(), src.end()); };
  append(out.rules, p.rules);
  append(out.dlopen, p.dlopen);
  append(out.provides, p.provides);
  append(out.devices, p.devices);
  append(out.firmware, p.firmware);
  append(out.library_dirs, p.library_dirs);
  append(out.wheel_lib_dirs, p.wheel_lib_dirs);
  append(out.image_needs, p.image_needs);
  append(out.keep, p.keep);
  append(out.jit, p.jit);
  for (auto& [k, v] : p.binaries) out.binaries.emplace(k, v);
  for (auto& [k, v] : p.cuda_major_by_soname) out.cuda_major_by_soname.emplace(k, v);
  if (out.glibc.empty()) out.glibc = p.glibc;
  if (out.forward_compat.empty()) out.forward_compat = p.forward_compat;
  for (auto& parent : p.extends) {
    const Profile* q = set.find(parent);
    if (!q) return bad_input(p.file + ": extends: unknown profile '" + parent + "'");
    CUSLIM_CHECK(merge(set, *q, out, stack));
  }
  stack.erase(p.name);
  return ok_status();
}
}  // namespace

Result<Profile> ProfileSet::resolved(const std::string& name) const {
  const Profile* p = find(name);
  if (!p) {
    std::string known;
    for (auto& [n, _] : profiles_) known += (known.empty() ? "" : ", ") + n;
    if (name.find('/') != std::string::npos)  // meant as an image: the path is what is wrong
      return Error(Exit::usage, name + ": no such image (a path that does not exist), and not a profile (known: " + known + ")");
    return Error(Exit::usage, "unknown profile '" + name + "' (known: " + known + ")");
  }
  Profile out;
  out.name = p->name;
  out.kind = p->kind;
  out.description = p->description;
  out.file = p->file;
  out.extends = p->extends;
  std::set<std::string> stack;
  CUSLIM_CHECK(merge(*this, *p, out, stack));
  return out;
}

}  // namespace cuslim
