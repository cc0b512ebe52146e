// Plan: what a bundle holds -- the files of a classified graph (minus driver files and what the
// base provides), every symlink on the way to them kept as a symlink, --include paths, the
// generated ld.so.conf.d entry and ld.so.cache, and the image config values derived from them.
#pragma once

#include <algorithm>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

#include "core/root.h"
#include "image/layer.h"
#include "loader/dep_graph.h"
#include "loader/ld_cache_writer.h"
#include "profile/cuda_compat.h"

namespace cuslim {

class Classifier;

struct PlanItem {
  LayerEntry::Type type = LayerEntry::file;
  std::string target;  // symlink target, as stored
  uint32_t mode = 0644;
  uint64_t size = 0;
  ObjectClass cls = ObjectClass::app;
  std::string content;  // generated files
  std::shared_ptr<const FileExtents> extents;  // a rewritten copy of the source (fatbin pruning)
  FileOwner owner;  // 0:0 unless the source's attributes are kept
  Xattrs xattrs;    // kept attributes: the source's; normalized: file capabilities with --keep-setuid only
};

// The modes and owners of what ships. Normalized (bundle from a host): files 0755 or 0644 by
// their exec bits, directories 0755, all root's -- the same image whatever the build machine's
// umask and users. Kept (slim): every file, directory and link has the input's mode and owner (an
// image's /etc/shadow stays 0640 root:shadow, /home/app 0700 app:app); an image input's owners
// come from its layers' entries, a rootfs dir's from the files. Setuid/setgid bits follow
// keep_setuid either way.
struct SourceAttributes {
  bool keep = false;
  // An unpacked image's (UnpackedImage::owners); null: lstat's. A directory an image input has
  // no entry for (made on the way to a file) is 0755 root's, whatever the umask made it.
  const std::map<std::string, FileOwner>* owners = nullptr;
  const std::map<std::string, uint32_t>* modes = nullptr;  // stored modes a non-root unpack widened (UnpackedImage::modes)
  const std::set<std::string>* setuid_stripped = nullptr;  // an image input's files unpacking stripped: warned where kept
  const std::set<std::string>* capabilities_stripped = nullptr;  // ... whose file capabilities unpacking left out
  const std::map<std::string, Xattrs>* xattrs = nullptr;  // an image input's (UnpackedImage::xattrs); null: the files' own
};

struct Plan {
  std::map<std::string, PlanItem> items;  // by in-image absolute path: sorted, no duplicates
  std::vector<std::string> lib_dirs;      // for /etc/ld.so.conf.d/cuslim.conf and LD_LIBRARY_PATH
  std::set<std::string> default_dirs;     // those of lib_dirs their loader searches by default (not in cuslim.conf)
  std::vector<CacheLib> cache;            // for /etc/ld.so.cache
  std::optional<Version> cuda;            // the bundled runtime's CUDA version
  std::vector<std::string> executables;   // targets that are programs, in order
  std::vector<std::string> warnings;
  std::vector<std::string> dropped_driver;  // driver files left to the host (their names where this machine has none)
  std::set<std::string> held_back_left_out;  // link-only and profiler-only files of kept Python distributions, left out and said so
  std::map<std::string, std::string> needed_by;  // a shipped library -> the object that first needed it
  std::set<std::string> left_to_base;            // what the base provides: its profile's objects, its image's files
  std::set<std::string> programs;                // the programs' files, as named and as their links resolve
  std::map<std::string, std::string> reasons;    // a path (a file, or a dir for all under it) -> why it ships, for reports
  std::map<std::string, std::string> link_targets;  // a file shipped as where a kept link leads -> the first such link
  std::map<std::string, std::string> families;   // a CUDA library outside site dirs -> its profile family ("cublas"), for --layers auto
  std::map<std::string, std::string> distributions;  // a file of a large Python distribution -> its name ("torch"), for --layers auto

  // Whether the image holds `inside` as a regular file (slim: an input file not dropped).
  bool ships_file(const std::string& inside) const {
    auto it = items.find(inside);
    return it != items.end() && it->second.type == LayerEntry::file;
  }
};

class PlanBuilder {
 public:
  explicit PlanBuilder(const Root& root, bool keep_setuid = false, SourceAttributes attributes = {})
      : root_(root), keep_setuid_(keep_setuid), attributes_(attributes) {}

  // Adds every object of a classified graph that ships; its roots are entrypoint candidates
  // unless `programs` is false (included files, driver needs).
  void add_graph(const DepGraph& g, bool programs = true);
  // Adds one in-root path (file, symlink chain or whole directory), with its parents.
  Status add_include(const std::string& inside);
  // Adds a directory (empty unless something else is added under it), with its parents.
  void add_directory(const std::string& inside) { add_dir_item(inside); }
  // Adds a #! script that is a program (an entrypoint candidate, as ELF programs are).
  Status add_script(const std::string& inside) {
    plan_.executables.push_back(inside);
    return add_include(inside);
  }
  // Takes a driver file out of the plan: it is left to the host driver, and said so.
  void leave_to_driver(const std::string& inside, const std::string& why) {
    if (plan_.items.erase(inside)) note_left_to_driver(inside, why);
  }
  // A driver file that never entered the plan (one a kept Python distribution holds): left to
  // the host driver, and said so, as if it had been taken out.
  void note_left_to_driver(const std::string& inside, const std::string& why) {
    if (std::find(plan_.dropped_driver.begin(), plan_.dropped_driver.end(), inside) != plan_.dropped_driver.end()) return;  // said once
    plan_.dropped_driver.push_back(inside), plan_.warnings.push_back(inside + ": " + why);
  }
  // A name said to be left to the host driver that the host cannot provide after all: no longer
  // listed (the caller warns instead).
  void unlist_left_to_driver(const std::string& name) { std::erase(plan_.dropped_driver, name); }
  void warn(std::string text) { plan_.warnings.push_back(std::move(text)); }
  // Raises plan().cuda to the newest CUDA release a shipped CUDA library was built for (a cuBLAS
  // 12.8 beside an unused libcudart 11.8 needs what CUDA 12.8 needs), and says so.
  void raise_cuda_to_built_for(const Classifier& c);
  // Why `inside` (a file, or a directory for everything under it) ships, for the report; a link's
  // target gets the same reason (the report groups files by where they really are).
  void note_reason(const std::string& inside, const std::string& why);
  // A link-only library of a kept Python distribution that stays out (the warning names it).
  void note_held_back(const std::string& inside) { plan_.held_back_left_out.insert(inside); }
  // Takes a file out of the plan, saying why.
  void leave_out(const std::string& inside, const std::string& why) {
    if (plan_.items.erase(inside)) plan_.warnings.push_back(inside + ": " + why);
  }
  // Where a kept link leads, for the report: that file ships because the link does.
  void note_link_target(const std::string& link);
  // Takes a file out of the plan without a word (what a report accounts for elsewhere).
  void drop(const std::string& inside) { plan_.items.erase(inside); }
  // Sets the class of a planned file (an included file found to be cuda, jit, toolkit ...).
  void set_class(const std::string& inside, ObjectClass cls) {
    if (auto it = plan_.items.find(inside); it != plan_.items.end()) it->second.cls = cls;
  }
  // Adds the generated loader files (ld.so.conf, conf.d entry, ld.so.cache).
  void add_loader_files(bool with_ld_so_conf);
  // As ldconfig does for the dirs the conf entry lists: every shared library shipped directly in
  // one of them enters the cache under its soname (a library shipped whole beside the closure's --
  // libnvvm, found by a dlopen by name -- is found in the image as on the host).
  void add_dir_libraries_to_cache();
  // A generated file (a loader entry): its content, mode 0644, class app.
  void add_generated(const std::string& inside, std::string content);
  // A symlink the source does not have (the /usr/local/cuda link NVIDIA's hook needs to a set).
  void add_generated_link(const std::string& inside, const std::string& target);
  // Entries of a base image's ld.so.cache, kept in the generated one.
  void add_cache_entries(const std::vector<CacheLib>& libs) { plan_.cache.insert(plan_.cache.begin(), libs.begin(), libs.end()); }
  // A FROM-scratch image has no users: adds a minimal /etc/passwd and /etc/group (root, nobody)
  // unless the plan already carries them; getpwuid() and friends need them.
  void add_scratch_files();
  Plan take();  // the plan, each warning once (a file reached twice is warned about once)
  const Plan& plan() const { return plan_; }

 private:
  Status add_path(const std::string& inside, ObjectClass cls, int depth = 0);
  // add_include's walk; `walking`: the realpaths of the directories it is inside (a symlink back
  // to one of them ships as the link, not walked again).
  Status include_tree(const std::string& inside, std::set<std::string>& walking);
  void add_dir_item(const std::string& inside);
  // The owner a kept-attributes plan gives `inside` (lstat'ed as `st`): the image's record, else the file's.
  FileOwner owner_of(const std::string& inside, const struct stat& st) const;
  // The mode the input stored for `inside` (a non-root unpack widens some on disk); st's otherwise.
  mode_t stored_mode(const std::string& inside, const struct stat& st) const;
  // A regular file's mode: the source's (kept) or 0755/0644 by its exec bits; setuid/setgid bits
  // kept only with keep_setuid (stripped with a warning, once per file).
  uint32_t file_mode(const std::string& inside, const struct stat& st);
  // The extended attributes `inside` ships with (warns, once, for file capabilities left out).
  Xattrs xattrs_of(const std::string& inside);

  const Root& root_;
  bool keep_setuid_ = false;
  SourceAttributes attributes_;
  Plan plan_;
};

// Every plan item's in-image path (for the presence of distributions and the places of {site}
// and {prefix}), and the bytes of its regular files.
std::vector<std::string> planned_paths(const Plan& plan);
uint64_t planned_bytes(const Plan& plan);

// Host path of a plan file's content.
std::string plan_source(const Root& root, const std::string& inside);

// The layer entries for a plan (sorted; directory modes fixed; exec bits kept).
std::vector<LayerEntry> layer_entries(const Root& root, const Plan& plan);

}  // namespace cuslim
