#include "sandbox/run_setup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "core/fs.h"
#include "core/in_root.h"
#include "core/path.h"
#include "loader/search_plan.h"
#include "core/exec_path.h"
#include "profile/profile_set.h"
#include "sandbox/image_user.h"

namespace cuslim {

std::optional<GpuMode> parse_gpu_mode(const std::string& s) {
  if (s == "auto") return GpuMode::auto_;
  if (s == "on") return GpuMode::on;
  if (s == "off") return GpuMode::off;
  return std::nullopt;
}

namespace {

// The host driver of `driver_root`, found as the NVIDIA stack finds it: its ld.so.cache, and on
// the host also cuslim's own LD_LIBRARY_PATH.
Result<std::optional<HostDriver>> find_driver_in(const Root& root, const Classifier& classifier) {
  DriverSearch search;
  std::optional<LdCache> cache;
  if (auto real = root.realpath("/etc/ld.so.cache"))
    if (auto c = LdCache::read(root.host_path(*real), root.display() + " /etc/ld.so.cache"); c.ok()) cache = std::move(*c);
  if (cache) search.ld_cache = &*cache;
  if (const char* llp = std::getenv("LD_LIBRARY_PATH"); llp && root.is_host()) search.ld_library_path = ld_library_path_dirs(llp);
  return find_host_driver(root, classifier, search);
}

// The image's cuda-compat set the NVIDIA hook would make the program use on this driver, if any;
// the choice is recorded either way (run says which driver it used).
const CompatSet* choose_compat(PreparedRun& p, const Classifier& classifier, std::vector<CompatSet>& sets) {
  const ForwardCompatData* data = forward_compat_data(classifier);
  if (!data) return nullptr;
  sets = find_compat_sets(Root(p.spec.rootfs), *data);
  if (sets.empty()) return nullptr;
  auto seen = std::find_if(sets.begin(), sets.end(), [&](auto& s) { return hook_sees(s, *data); });
  if (seen == sets.end()) {  // the hook looks in /usr/local/cuda/compat only: the host driver it is
    p.forward_compat = CompatChoice{false, "the image's " + sets.front().describe() + " is not at " + data->dirs.front() +
                                               ", the only place NVIDIA's hook looks: using the host driver"};
    p.notes.push_back("forward compat: " + p.forward_compat->why);
    return nullptr;
  }
  std::iter_swap(sets.begin(), seen);  // the set the hook sees answers
  p.forward_compat = hook_choice(sets.front(), p.driver->version);
  if (const LoaderAbi* abi = native_loader_abi(Root(p.spec.rootfs)); abi && p.forward_compat->use_compat) {
    if (auto hiding = compat_hiding_dirs(p.spec.env, *abi, *data, Root(p.spec.rootfs)); !hiding.empty()) {  // the image's Env
      std::string dirs;
      for (auto& d : hiding) dirs += (dirs.empty() ? "" : ":") + d;
      p.forward_compat->why += "; but the image's LD_LIBRARY_PATH names " + dirs +
                               ", where the host driver is injected: the program loads the host's libcuda.so.1 from there, not the set's";
    }
  }
  p.notes.push_back("forward compat: " + p.forward_compat->why);
  return p.forward_compat->use_compat ? &sets.front() : nullptr;
}

// With no driver injected, the image's own loader entry answers libcuda.so.1 from its set: said,
// as run always says which libcuda a program gets when the image carries a set.
Status note_compat_without_driver(PreparedRun& p, const std::string& why_no_driver) {
  CUSLIM_TRY(auto set, ProfileSet::builtin());
  CUSLIM_TRY(auto classifier, Classifier::make(set, "glibc"));
  const ForwardCompatData* data = forward_compat_data(classifier);
  if (!data) return ok_status();
  auto sets = find_compat_sets(Root(p.spec.rootfs), *data);
  if (sets.empty()) return ok_status();
  p.notes.push_back("forward compat: " + why_no_driver + ": the program gets the image's " + sets.front().package + " (libcuda " +
                    sets.front().version_text + ") through the image's loader entry");
  return ok_status();
}

// The directories the sandbox mounts fresh ones on must be directories in the image: a symlink
// or a file there is an image a runtime cannot start (exit 3 naming it, before any mount). A /tmp
// symlink is the image's own (docker mounts nothing there): kept, and the program follows it
// inside the image (`tmp_is_link` says so).
Status check_mount_points(const std::string& rootfs, bool& tmp_is_link) {
  tmp_is_link = false;
  for (const char* d : {"/proc", "/dev", "/sys", "/tmp"}) {
    struct stat st;
    if (::lstat((rootfs + d).c_str(), &st) != 0 || S_ISDIR(st.st_mode)) continue;  // missing: made empty
    if (S_ISLNK(st.st_mode) && std::string_view(d) == "/tmp") {
      tmp_is_link = true;
      continue;
    }
    std::string what = S_ISLNK(st.st_mode) ? "a symlink" : "a file";
    std::error_code ec;
    if (S_ISLNK(st.st_mode))
      if (auto target = std::filesystem::read_symlink(rootfs + d, ec); !ec) what += " to " + target.string();
    return bad_input(std::string("the image's ") + d + ": " + what + ", not a directory (the sandbox mounts a fresh " + d + " there)");
  }
  return ok_status();
}

// The WorkingDir must be a directory in the image, or not there at all (then made, as docker
// does): a file there, or a path no directory can have, is the image's error (exit 3), not a
// failed chdir the program's own exit codes would be confused with.
Status check_working_dir(const std::string& rootfs, const std::string& dir) {
  std::string what = "the image's WorkingDir '" + dir + "'";
  if (dir.size() >= PATH_MAX) return bad_input(what.substr(0, 40) + "...': longer than a path can be");
  auto inside = resolve_in_root(rootfs, dir, MissingComponent::keep);
  if (!inside) return bad_input(what + ": " + inside.error().message());
  struct stat st;
  if (::stat((rootfs + *inside).c_str(), &st) == 0) return S_ISDIR(st.st_mode) ? ok_status() : bad_input(what + ": a file, not a directory");
  if (errno == ENOTDIR) return bad_input(what + ": a component of it is a file, not a directory");
  return ok_status();  // not there: made when the program starts
}

// The image's User, as docker runs it: the program's uid, gid and groups, and HOME when the
// config sets none (no User is root: HOME from root's passwd entry, else "/", as runc sets it).
// Without root the sandbox maps only the caller's own user (as root inside), so another uid
// cannot be taken: said, and the program runs as that mapped root.
Status run_as_image_user(PreparedRun& p) {
  const std::string& user = p.image.config.user;
  auto& env = p.spec.env;
  bool has_home = std::any_of(env.begin(), env.end(), [](auto& e) { return e.starts_with("HOME="); });
  if (user.empty()) {
    if (!has_home) {
      auto root = resolve_image_user(p.spec.rootfs, "0");
      env.push_back("HOME=" + (root.ok() ? root->home : std::string("/")));
    }
    return ok_status();
  }
  CUSLIM_TRY(auto u, resolve_image_user(p.spec.rootfs, user));
  if (!has_home) env.push_back("HOME=" + u.home);
  if (u.uid == 0 && u.gid == 0 && u.groups.size() <= 1) return ok_status();
  if (p.spec.user_namespace) {
    p.notes.push_back("warning: the image's User " + user + " is not taken: without root the sandbox holds only your own user (root inside); run as root to run as " + user);
    return ok_status();
  }
  p.spec.user = SandboxUser{u.uid, u.gid, u.groups};
  return ok_status();
}

}  // namespace

Result<PreparedRun> prepare_run(const std::string& image, const UnpackOptions& unpack, GpuMode gpu, const std::string& staging,
                                const std::string& driver_root_given, const ImageCacheOptions* cache) {
  // --driver-root: an existing directory, as --root is (exit 3 naming the option), by its real path.
  struct stat st;
  if (::stat(driver_root_given.c_str(), &st) != 0) return Error::from_errno(driver_root_given, errno).wrap("--driver-root");
  if (!S_ISDIR(st.st_mode)) return bad_input("--driver-root: " + driver_root_given + ": not a directory");
  CUSLIM_TRY(const std::string driver_root, canonical_path(driver_root_given));
  CUSLIM_CHECK(make_dirs(staging));
  std::string cache_warning;
  if (cache)  // a cache dir that cannot be made or written (a read-only HOME) is not a reason to fail
    if (auto st = make_dirs(cache->dir); !st.ok() || ::access(cache->dir.c_str(), W_OK | X_OK) != 0) {
      cache_warning = "warning: the image cache " + cache->dir + " is not usable (" +
                      (st.ok() ? std::string(std::strerror(EACCES)) : st.error().message()) + "): unpacking without it (set CUSLIM_CACHE_DIR, or --no-cache)";
      cache = nullptr;
    }
  if (cache) {
    CUSLIM_TRY(auto cached, cached_unpack(image, unpack, *cache));
    if (cached) {  // the cache's copy, never written: through an overlay like a rootfs dir
      CUSLIM_TRY(auto p, prepare_unpacked(std::move(cached->image), gpu, staging, driver_root));
      p.cache_lock = std::move(cached->lock);
      p.notes.insert(p.notes.begin(), std::string(cached->hit ? "image cache hit: " : "unpacked into the image cache: ") + cached->entry);
      return p;
    }
  }
  CUSLIM_TRY(auto unpacked, unpack_image(image, staging, unpack));
  bool overlay = unpacked.kind == ImageKind::rootfs_dir;  // never write into the input
  CUSLIM_TRY(auto p, prepare_unpacked(std::move(unpacked), gpu, staging, driver_root));
  if (!overlay) p.spec.overlay_upper.clear();
  if (!cache_warning.empty()) p.notes.insert(p.notes.begin(), cache_warning);
  return p;
}

Result<PreparedRun> prepare_unpacked(UnpackedImage image, GpuMode gpu, const std::string& staging, const std::string& driver_root) {
  PreparedRun p;
  CUSLIM_CHECK(make_dirs(staging));
  p.image = std::move(image);
  auto& s = p.spec;
  CUSLIM_TRY(s.rootfs, canonical_path(p.image.rootfs));
  CUSLIM_CHECK(check_mount_points(s.rootfs, s.tmp_from_image));
  if (s.tmp_from_image) {
    std::error_code ec;
    p.notes.push_back("the image's /tmp is a symlink to " + std::filesystem::read_symlink(s.rootfs + "/tmp", ec).string() +
                      ": left as it is (no fresh tmpfs there; writes land in the run's copy)");
  }
  s.overlay_upper = staging + "/overlay";
  s.user_namespace = ::geteuid() != 0;
  s.argv = p.image.config.entrypoint;
  s.argv.insert(s.argv.end(), p.image.config.cmd.begin(), p.image.config.cmd.end());
  s.env = p.image.config.env;
  if (s.env.empty()) s.env.push_back(std::string("PATH=") + kDefaultPath);
  if (!p.image.config.working_dir.empty()) s.cwd = p.image.config.working_dir;
  CUSLIM_CHECK(check_working_dir(s.rootfs, s.cwd));
  CUSLIM_CHECK(run_as_image_user(p));
  if (gpu == GpuMode::off) {
    CUSLIM_CHECK(note_compat_without_driver(p, "no host driver injected (--gpu off)"));
    return p;
  }
  CUSLIM_TRY(auto set, ProfileSet::builtin());
  CUSLIM_TRY(auto classifier, Classifier::make(set, "glibc"));
  Root host(driver_root);
  std::string where = host.is_host() ? "on this host" : "in --driver-root " + driver_root;
  CUSLIM_TRY(p.driver, find_driver_in(host, classifier));
  if (!p.driver) {
    if (gpu == GpuMode::on) return Error(Exit::check_failed, "--gpu on: no NVIDIA driver " + where + " (cuslim driver says where it looked)");
    p.notes.push_back("no NVIDIA driver " + where + ": running without GPU injection");
    CUSLIM_CHECK(note_compat_without_driver(p, "no NVIDIA driver " + where));
    return p;
  }
  std::vector<CompatSet> sets;
  const CompatSet* compat = choose_compat(p, classifier, sets);
  CUSLIM_TRY(p.injection, plan_injection(*p.driver, host, s.rootfs, staging, compat));
  s.binds = p.injection->binds;
  s.symlinks = p.injection->symlinks;
  s.devices = p.injection->devices;
  p.notes.push_back("injected driver " + p.driver->version_text + ": " + std::to_string(p.injection->libraries.size()) + " libraries into " +
                    p.injection->libdir + ", " + std::to_string(s.devices.size()) + " device nodes");
  return p;
}

}  // namespace cuslim
