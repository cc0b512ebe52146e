#include "bundle/plan.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <climits>
#include <memory>

#include "core/fs.h"
#include "core/path.h"
#include "elf/elf_file.h"
#include "loader/loader_abi.h"
#include "profile/inspection.h"
#include "profile/classifier.h"
#include "profile/library_version.h"

namespace cuslim {

namespace {

constexpr int kMaxDepth = 40;

// Forward-compat objects a search found (a root whose ld.so.conf lists the compat dir) ship only
// as a whole set, by the forward-compat step (forward_compat_plan.h).
bool ships(const DepObject& o) {
  return o.path && o.cls != ObjectClass::driver && o.cls != ObjectClass::system && o.cls != ObjectClass::toolkit &&
         o.cls != ObjectClass::forward_compat;
}

// CUDA X.Y of a bundled libcudart, read from its code (wheels name 11.8 libcudart.so.11.0).
std::optional<Version> cudart_version(const Root& root, const DepObject& o) {
  if (o.rule != "cuda:cudart") return std::nullopt;
  if (auto v = cudart_version_of(root, o.realpath)) return v->version;
  if (auto v = cudart_cuda_version(path::basename(o.realpath), o.soname)) return v->version;
  return std::nullopt;
}

}  // namespace

std::string plan_source(const Root& root, const std::string& inside) { return root.host_path(inside); }

FileOwner PlanBuilder::owner_of(const std::string& inside, const struct stat& st) const {
  if (!attributes_.owners) return {st.st_uid, st.st_gid};
  auto it = attributes_.owners->find(inside);
  return it != attributes_.owners->end() ? it->second : FileOwner{};
}

mode_t PlanBuilder::stored_mode(const std::string& inside, const struct stat& st) const {
  if (attributes_.modes)
    if (auto it = attributes_.modes->find(inside); it != attributes_.modes->end()) return (st.st_mode & S_IFMT) | it->second;
  return st.st_mode;
}

uint32_t PlanBuilder::file_mode(const std::string& inside, const struct stat& disk) {
  struct stat st = disk;
  st.st_mode = stored_mode(inside, disk);
  uint32_t mode = attributes_.keep ? (st.st_mode & 01777) : (st.st_mode & 0111) ? 0755 : 0644;
  bool stripped = attributes_.setuid_stripped && attributes_.setuid_stripped->count(inside);  // on unpacking
  if ((st.st_mode & (S_ISUID | S_ISGID)) || stripped) {
    if (keep_setuid_) mode |= st.st_mode & (S_ISUID | S_ISGID);
    else if (!plan_.items.count(inside)) plan_.warnings.push_back(inside + ": setuid/setgid bit stripped");  // once per file
  }
  return mode;
}

Xattrs PlanBuilder::xattrs_of(const std::string& inside) {
  const bool first = !plan_.items.count(inside);
  auto stripped = [&] {
    if (first) plan_.warnings.push_back(inside + ": file capabilities (security.capability) stripped" + (attributes_.keep ? " (--keep-setuid keeps them)" : ""));
  };
  if (attributes_.xattrs) {  // an image input's, as its layers recorded them
    if (attributes_.capabilities_stripped && attributes_.capabilities_stripped->count(inside)) stripped();
    auto it = attributes_.xattrs->find(inside);
    return it != attributes_.xattrs->end() ? it->second : Xattrs{};
  }
  // The files' own: every attribute where the source's are kept (a rootfs dir), else only
  // file capabilities, privilege as setuid bits are.
  Xattrs out;
  for (auto& [name, value] : read_xattrs(root_.host_path(inside), attributes_.keep ? "" : "security.capability")) {
    if (name == "security.capability" && !keep_setuid_) stripped();
    else out.emplace_back(name, value);
  }
  return out;
}

void PlanBuilder::add_dir_item(const std::string& inside) {
  if (inside == "/" || plan_.items.count(inside)) return;
  add_dir_item(path::dirname(inside));
  PlanItem item{LayerEntry::dir, "", 0755, 0, ObjectClass::app, ""};
  // A directory the source lacks (one for generated files) is made 0755 root's either way.
  bool recorded = !attributes_.owners || attributes_.owners->count(inside);
  if (struct stat st; attributes_.keep && recorded && ::lstat(root_.host_path(inside).c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    item.mode = stored_mode(inside, st) & 07777;  // a setgid directory (/var/mail 2775) stays one: it only passes on its group
    item.owner = owner_of(inside, st);
    item.xattrs = xattrs_of(inside);
  }
  plan_.items[inside] = std::move(item);
}

Status PlanBuilder::add_path(const std::string& inside, ObjectClass cls, int depth) {
  if (depth > kMaxDepth) return bad_input(inside + ": too many levels of symbolic links");
  std::string cur = "/";
  auto comps = path::components(inside);
  for (size_t i = 0; i < comps.size(); ++i) {
    if (comps[i] == ".") continue;
    if (comps[i] == "..") {  // `cur` is always a resolved directory, so its parent is the real one
      cur = path::dirname(cur);
      continue;
    }
    std::string next = path::join(cur, comps[i]);
    // In a layer a ".wh." name is a whiteout: shipped, it would delete files instead of being one.
    if (comps[i].rfind(".wh.", 0) == 0)
      return bad_input(next + ": a name starting with .wh. cannot be stored in an image layer (it is a whiteout there): rename it or leave it out");
    struct stat st;
    if (::lstat(root_.host_path(next).c_str(), &st) != 0) return Error::from_errno(next, errno);
    bool last = i + 1 == comps.size();
    if (S_ISLNK(st.st_mode)) {
      char buf[PATH_MAX];
      ssize_t n = ::readlink(root_.host_path(next).c_str(), buf, sizeof buf - 1);
      if (n < 0) return Error::from_errno(next, errno);
      std::string target(buf, static_cast<size_t>(n));
      add_dir_item(cur);
      if (!plan_.items.count(next)) {
        Xattrs xattrs = attributes_.keep ? xattrs_of(next) : Xattrs{};
        auto& link = plan_.items[next] = {LayerEntry::symlink, target, 0777, 0, cls, ""};
        if (attributes_.keep) link.owner = owner_of(next, st), link.xattrs = std::move(xattrs);
      }
      std::string resolved = target[0] == '/' ? target : path::join(cur, target);
      auto chain = add_path(resolved, cls, depth + 1);  // keep the whole chain ('..' resolved as the walk goes)
      // A link that leads nowhere in the source (/etc/localtime without tzdata, a loop, a link to
      // such a link) ships as it is.
      if (last) return root_.realpath(next).ok() ? chain : ok_status();
      CUSLIM_CHECK(chain);
      CUSLIM_TRY(cur, root_.realpath(next));
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      add_dir_item(next);
      cur = next;
      continue;
    }
    if (!last) return bad_input(next + ": not a directory");
    if (!S_ISREG(st.st_mode)) {
      plan_.warnings.push_back(next + ": not a regular file (device, fifo or socket): left out");
      return ok_status();
    }
    uint32_t mode = file_mode(next, st);
    Xattrs xattrs = xattrs_of(next);
    add_dir_item(cur);
    auto& item = plan_.items[next];
    item = {LayerEntry::file, "", mode, static_cast<uint64_t>(st.st_size), cls, ""};
    item.xattrs = std::move(xattrs);
    if (attributes_.keep) item.owner = owner_of(next, st);
  }
  return ok_status();
}

void PlanBuilder::note_reason(const std::string& inside, const std::string& why) {
  plan_.reasons.emplace(inside, why);
  if (auto real = root_.realpath(inside); real.ok() && *real != inside) plan_.reasons.emplace(*real, why);
}

void PlanBuilder::raise_cuda_to_built_for(const Classifier& c) {
  std::vector<std::string> cuda_files;
  for (auto& [inside, item] : plan_.items)
    if (item.type == LayerEntry::file && item.cls == ObjectClass::cuda && item.content.empty()) cuda_files.push_back(inside);
  auto built = newest_cuda_built_for(root_, cuda_files, c);
  if (!built || (plan_.cuda && built->cuda <= *plan_.cuda)) return;
  if (plan_.cuda)
    plan_.warnings.push_back(built->path + ": built for CUDA " + built->cuda.str(2) + " (" + built->source + "), newer than the image's libcudart " +
                             plan_.cuda->str(2) + ": the image needs what CUDA " + built->cuda.str(2) + " needs of the driver");
  plan_.cuda = built->cuda;
}

Plan PlanBuilder::take() {
  std::set<std::string> seen;
  auto& w = plan_.warnings;
  w.erase(std::remove_if(w.begin(), w.end(), [&](const std::string& s) { return !seen.insert(s).second; }), w.end());
  return std::move(plan_);
}

void PlanBuilder::add_graph(const DepGraph& g, bool programs) {
  for (auto& p : g.passed_over) warn(describe(p));
  for (auto& m : g.dlopen_unmet) warn(describe_unmet(m) + " (in the source too)");
  for (auto& o : g.objects) {
    if (o.cls == ObjectClass::driver) {  // by path; by name when this machine has no driver
      std::string what = o.path ? *o.path : o.name;
      // Named by the user (--include, a target) or by a trace: said as a warning, since it was
      // asked for; one a program needs (libcuda.so.1) is the ordinary case, said in the summary.
      if ((o.root || o.how == How::trace) && o.path) note_left_to_driver(*o.path, "driver file left out (the host driver provides it at run time)");
      else if (std::find(plan_.dropped_driver.begin(), plan_.dropped_driver.end(), what) == plan_.dropped_driver.end()) plan_.dropped_driver.push_back(what);
      continue;
    }
    if (o.cls == ObjectClass::toolkit && o.path && !o.root)
      plan_.warnings.push_back(*o.path + ": toolkit file needed at run time by " + (o.parents.empty() ? "?" : o.parents[0]) +
                               ": left out (verify will fail)");
    if (o.cls == ObjectClass::system && o.path) plan_.left_to_base.insert(*o.path);
    // A target the user named ships whatever its class: `bundle nvcc` is asked for (a toolkit
    // target is then named among the toolkit files packed, and verify fails the image).
    bool named_target = programs && o.root && o.cls == ObjectClass::toolkit && o.path;
    if (!ships(o) && !named_target) continue;
    auto st = add_path(*o.path, o.cls);
    if (!st.ok()) {
      plan_.warnings.push_back(st.error().message());
      continue;
    }
    for (auto& p : o.also_at)  // the other paths a loader looks it up by (a program's PT_INTERP)
      if (auto also = add_path(p, o.cls); !also.ok()) plan_.warnings.push_back(also.error().message());
    if (programs && o.root && o.has_interp) plan_.executables.push_back(*o.path);
    if (programs && o.root) {
      plan_.programs.insert(*o.path);
      if (!o.realpath.empty()) plan_.programs.insert(o.realpath);
    }
    if (!o.root && !o.parents.empty()) {
      plan_.needed_by.emplace(*o.path, o.parents[0]);
      if (!o.realpath.empty()) plan_.needed_by.emplace(o.realpath, o.parents[0]);
    }
    if (o.soname && o.elf_type == 3 /* ET_DYN */ && (!o.root || o.how == How::trace)) plan_.cache.push_back({*o.soname, *o.path, 0x0303});
    bool via_search = o.how == How::ld_so_cache || o.how == How::ld_so_conf || o.how == How::ld_library_path ||
                      o.how == How::dlopen_profile || o.how == How::trace;
    std::string dir = path::dirname(*o.path);
    if (via_search && std::find(plan_.lib_dirs.begin(), plan_.lib_dirs.end(), dir) == plan_.lib_dirs.end()) plan_.lib_dirs.push_back(dir);
    // A default dir of its loader is searched without being listed in ld.so.conf: listing it
    // would make the conf of an image that found a library through its cache differ from one
    // that found it there (slimming slim's output would not give the same image).
    if (const LoaderAbi* abi = via_search ? find_loader_abi(o.machine, o.elf_class, root_) : nullptr)
      if (std::find(abi->default_dirs.begin(), abi->default_dirs.end(), dir) != abi->default_dirs.end()) plan_.default_dirs.insert(dir);
    if (auto v = cudart_version(root_, o); v && (!plan_.cuda || *v > *plan_.cuda)) plan_.cuda = v;
  }
}

Status PlanBuilder::add_include(const std::string& inside) {
  std::set<std::string> walking;
  return include_tree(inside, walking);
}

Status PlanBuilder::include_tree(const std::string& inside, std::set<std::string>& walking) {
  struct stat st;
  auto real = root_.realpath(inside);
  if (!real) {  // a dangling symlink is kept as the link it is; anything else missing is an error
    if (add_path(inside, ObjectClass::app).ok()) return ok_status();
    return real.error();
  }
  if (::stat(root_.host_path(*real).c_str(), &st) != 0) return Error::from_errno(inside, errno);
  CUSLIM_CHECK(add_path(inside, ObjectClass::app));
  note_link_target(inside);
  if (!S_ISDIR(st.st_mode)) return ok_status();
  // A directory the walk is already inside, or one holding it (a link to "/" or to a parent),
  // ships as the link: walking it would walk the tree again, or the whole root.
  for (auto& w : walking)
    if (w == *real || path::is_within(w, *real)) return ok_status();
  walking.insert(*real);
  auto* names = root_.list_dir(inside);
  if (!names) {  // an unreadable directory is an error, as tar makes it: never shipped empty in silence
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(root_.host_path(*real).c_str()), ::closedir);
    return Error::from_errno(inside, d ? EIO : errno);
  }
  std::vector<std::string> sorted;
  for (auto& [n, type] : *names)
    if (n != "." && n != "..") sorted.push_back(n);
  std::sort(sorted.begin(), sorted.end());
  for (auto& n : sorted) {
    // Walked where the directory really is: a path through an in-root symlink (app/models ->
    // /models) would leave the root when the host opens it.
    std::string child = path::join(*real, n);
    struct stat cst;
    if (::lstat(root_.host_path(child).c_str(), &cst) != 0) {
      if (errno == ENOENT) continue;  // removed since the listing
      return Error::from_errno(child, errno);  // (a path past PATH_MAX: never dropped in silence)
    }
    // A symlink to a directory (app/models -> /data/models) brings the directory's contents, as
    // naming it in --include does: the link alone would point at an empty directory.
    bool dir_link = false;
    if (S_ISLNK(cst.st_mode))
      if (auto target = root_.stat(child)) dir_link = S_ISDIR(target->st_mode);  // followed in the root
    if (S_ISDIR(cst.st_mode) || dir_link) CUSLIM_CHECK(include_tree(child, walking));
    else CUSLIM_CHECK(add_path(child, ObjectClass::app));
    if (S_ISLNK(cst.st_mode)) note_link_target(child);
  }
  walking.erase(*real);
  return ok_status();
}

void PlanBuilder::note_link_target(const std::string& link) {
  if (auto real = root_.realpath(link); real.ok() && *real != link && plan_.items.count(*real)) plan_.link_targets.emplace(*real, link);
}

void PlanBuilder::add_loader_files(bool with_ld_so_conf) {
  add_dir_item("/etc/ld.so.conf.d");
  if (with_ld_so_conf && !plan_.items.count("/etc/ld.so.conf"))
    plan_.items["/etc/ld.so.conf"] = {LayerEntry::file, "", 0644, 0, ObjectClass::app, "include /etc/ld.so.conf.d/*.conf\n"};
  std::string conf = "# written by cuslim bundle: the library dirs the bundled programs search\n";
  for (auto& d : plan_.lib_dirs)
    if (!plan_.default_dirs.count(d)) conf += d + "\n";
  plan_.items["/etc/ld.so.conf.d/cuslim.conf"] = {LayerEntry::file, "", 0644, 0, ObjectClass::app, conf};
  add_dir_libraries_to_cache();
  plan_.items["/etc/ld.so.cache"] = {LayerEntry::file, "", 0644, 0, ObjectClass::app, write_ld_cache(plan_.cache)};
  for (auto* p : {"/etc/ld.so.conf", "/etc/ld.so.conf.d/cuslim.conf", "/etc/ld.so.cache"})
    if (auto it = plan_.items.find(p); it != plan_.items.end() && !it->second.content.empty()) it->second.size = it->second.content.size();
}

void PlanBuilder::add_dir_libraries_to_cache() {
  std::set<std::string> dirs(plan_.lib_dirs.begin(), plan_.lib_dirs.end());
  std::set<std::string> known;
  for (auto& c : plan_.cache) known.insert(c.soname);
  for (auto& [p, item] : plan_.items) {
    if (item.type != LayerEntry::file || !item.content.empty() || !dirs.count(path::dirname(p))) continue;
    if (path::basename(p).find(".so") == std::string::npos) continue;
    auto real = root_.realpath(p);
    if (!real) continue;
    auto elf = ElfFile::read(root_.host_path(*real), p, ElfFile::Parts::loader);
    if (!elf.ok() || !elf->soname || elf->type != 3 /* ET_DYN */) continue;
    const LoaderAbi* abi = find_loader_abi(elf->machine, elf->elf_class, root_);
    if (!abi || abi->cache_flags.empty() || !known.insert(*elf->soname).second) continue;
    std::string by_soname = path::join(path::dirname(p), *elf->soname);
    plan_.cache.push_back({*elf->soname, plan_.items.count(by_soname) ? by_soname : p, abi->cache_flags.front()});
  }
}

void PlanBuilder::add_generated(const std::string& inside, std::string content) {
  add_dir_item(path::dirname(inside));
  uint64_t size = content.size();
  plan_.items[inside] = {LayerEntry::file, "", 0644, size, ObjectClass::app, std::move(content)};
}

void PlanBuilder::add_generated_link(const std::string& inside, const std::string& target) {
  add_dir_item(path::dirname(inside));
  plan_.items[inside] = {LayerEntry::symlink, target, 0777, 0, ObjectClass::app, ""};
}

void PlanBuilder::add_scratch_files() {
  add_dir_item("/etc");
  auto add = [&](const char* p, const std::string& text) {
    if (!plan_.items.count(p)) plan_.items[p] = {LayerEntry::file, "", 0644, text.size(), ObjectClass::app, text};
  };
  add("/etc/passwd", "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n");
  add("/etc/group", "root:x:0:\nnogroup:x:65534:\n");
}

std::vector<LayerEntry> layer_entries(const Root& root, const Plan& plan) {
  std::vector<LayerEntry> out;
  for (auto& [p, item] : plan.items) {
    LayerEntry e;
    e.type = item.type;
    e.name = p.substr(1);
    e.mode = item.mode;
    e.uid = item.owner.uid, e.gid = item.owner.gid;
    e.xattrs = item.xattrs;
    e.size = item.size;
    e.target = item.target;
    if (item.type == LayerEntry::file) {
      if (item.content.empty() && item.size) e.source = plan_source(root, p);
      e.extents = item.extents;
      e.content = item.content;
    }
    out.push_back(std::move(e));
  }
  return out;
}

// Every plan item, for the presence of distributions and the places of {site} and {prefix}.
std::vector<std::string> planned_paths(const Plan& plan) {
  std::vector<std::string> out;
  for (auto& [p, item] : plan.items) out.push_back(p);
  return out;
}

uint64_t planned_bytes(const Plan& plan) {
  uint64_t n = 0;
  for (auto& [p, item] : plan.items) n += item.type == LayerEntry::file ? item.size : 0;
  return n;
}

}  // namespace cuslim
