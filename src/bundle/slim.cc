#include "bundle/slim.h"

#include <fnmatch.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bundle/programs.h"
#include "core/path.h"
#include "jit/jit_needs.h"
#include "core/exec_path.h"
#include "elf/elf_file.h"

namespace cuslim {

namespace {

// Every file, symlink and empty directory of the rootfs, as in-image paths (a glob that names an
// empty directory keeps it: an application's spool or upload dir is often empty).
std::vector<std::string> all_paths(const Root& root) {
  std::vector<std::string> out;
  std::error_code ec;
  std::string base = root.is_host() ? std::string("/") : root.dir();
  for (auto it = std::filesystem::recursive_directory_iterator(base, std::filesystem::directory_options::skip_permission_denied, ec);
       it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_directory(ec) && !it->is_symlink(ec) && !std::filesystem::is_empty(it->path(), ec)) continue;
    out.push_back("/" + it->path().lexically_relative(base).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A --keep glob written as a path often is (/app/data/, /app//data, /app/./data), as the path it names.
std::string keep_glob(std::string glob) {
  for (size_t at; (at = glob.find("//")) != std::string::npos;) glob.erase(at, 1);
  for (size_t at; (at = glob.find("/./")) != std::string::npos;) glob.erase(at, 2);
  while (glob.size() > 1 && glob.back() == '/') glob.pop_back();
  return glob;
}

// Whether a --keep glob keeps `p`: it matches the path or a directory above it (--keep /app keeps
// the tree, as bundle --include /app does).
bool keeps(const std::string& glob, const std::string& p) {
  for (std::string q = p; q != "/" && !q.empty(); q = path::dirname(q))
    if (::fnmatch(glob.c_str(), q.c_str(), 0) == 0) return true;
  return false;
}

}  // namespace

Result<SlimSelection> select_for_slim(const Root& root, const UnpackedImage& img, const Classifier& c,
                                      const std::vector<std::string>& targets, const std::vector<std::string>& keep,
                                      const std::vector<std::string>& keep_set, const std::function<std::optional<HeldBack>(const std::string&)>& held_back) {
  SlimSelection s;
  std::vector<std::string> programs = targets;
  std::vector<std::string> argv = img.config.entrypoint;
  argv.insert(argv.end(), img.config.cmd.begin(), img.config.cmd.end());
  std::string search = path_from_env(img.config.env);
  if (!argv.empty()) {
    auto prog = find_program(root, search, argv[0]);
    if (!prog) return bad_input("image entrypoint '" + argv[0] + "': not found in the image's PATH");
    programs.insert(programs.begin(), *prog);
  }
  if (programs.empty() && keep.empty() && keep_set.empty()) return Error(Exit::usage, "slim: the image has no Entrypoint or Cmd; give --target or --keep");
  CUSLIM_TRY(auto expanded, expand_programs(root, programs, search));  // scripts bring their interpreters
  s.targets = expanded.elf;
  s.includes = expanded.scripts;
  std::vector<bool> keep_used(keep.size(), false);
  std::vector<std::string> keep_globs;  // as written in warnings, normalized for matching
  for (auto& g : keep) keep_globs.push_back(keep_glob(g));
  for (auto& p : all_paths(root)) {
    auto cls = c.classify(p, p, std::nullopt, path::basename(p)).cls;
    if (cls == ObjectClass::driver) {  // never kept, always said
      s.dropped_driver.push_back(p);
      continue;
    }
    if (cls == ObjectClass::forward_compat) {  // the one driver-side set meant to ship: kept, and said
      s.forward_compat.push_back(p);
      s.includes.push_back(p);
      continue;
    }
    bool asked = false, by_set = false;
    for (size_t k = 0; k < keep.size(); ++k)
      if (keeps(keep_globs[k], p)) asked = true, keep_used[k] = true;
    for (auto& g : keep_set) by_set = by_set || ::fnmatch(g.c_str(), p.c_str(), 0) == 0;
    // A keep-set keeps a tree (the nvidia wheels' lib dirs); the toolkit files in it (static
    // libraries) stay out. What the user's --keep names is kept whatever it is.
    // (jit files too: the JIT step adds what a framework that is there needs).
    if (!asked && by_set) {
      auto cls = c.classify(p, p, std::nullopt, path::basename(p)).cls;
      if (cls == ObjectClass::toolkit || cls == ObjectClass::jit) continue;
      if (auto kind = held_back ? held_back(p) : std::nullopt) {
        s.held_back[*kind].push_back(p);
        continue;
      }
    }
    if (!asked && !by_set) continue;
    // A symlink kept is kept as the link (with its chain); one to a program also brings its closure.
    struct stat lst;
    if (::lstat(root.host_path(p).c_str(), &lst) != 0) continue;  // gone since the listing
    bool link = S_ISLNK(lst.st_mode);
    if (!link && !S_ISREG(lst.st_mode) && !S_ISDIR(lst.st_mode)) {  // as an image input's are on unpacking: said, not kept
      s.warnings.push_back(p + ": a " + std::string(S_ISFIFO(lst.st_mode) ? "fifo" : S_ISSOCK(lst.st_mode) ? "socket" : "device node") + " matched by " +
                           (asked ? "--keep" : "a profile keep-set") + ": left out (cuslim writes files, directories and links only)");
      continue;
    }
    s.kept.push_back(p);
    if (link) s.includes.push_back(p);
    if (is_elf_in_root(root, p) && c.classify(p, p, std::nullopt, "").cls != ObjectClass::toolkit) s.targets.push_back(p);
    else if (!link) s.includes.push_back(p);
  }
  for (size_t k = 0; k < keep.size(); ++k)  // a typo would drop what was meant to stay, in silence
    if (!keep_used[k]) s.warnings.push_back("--keep '" + keep[k] + "' matches nothing in the image");
  return s;
}

std::map<ObjectClass, ClassCount> count_by_class(const Root& root, const Classifier& c, std::vector<std::pair<std::string, uint64_t>>* regular) {
  std::map<ObjectClass, ClassCount> out;
  auto paths = all_paths(root);
  auto present = distributions_present(root, paths);  // a JIT toolchain is `jit` only while its framework is there
  for (auto& p : paths) {
    struct stat st;
    if (::lstat(root.host_path(p).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (regular) regular->emplace_back(p, static_cast<uint64_t>(st.st_size));
    auto& n = out[class_given(c.classify(p, p, std::nullopt, path::basename(p)), present)];
    ++n.files;
    n.bytes += static_cast<uint64_t>(st.st_size);
  }
  return out;
}

}  // namespace cuslim
