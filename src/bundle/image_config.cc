#include "bundle/image_config.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <set>

#include "core/exec_path.h"
#include "core/path.h"
#include "elf/elf_file.h"
#include "profile/cuda_compat.h"
#include "profile/forward_compat.h"
#include "prune/gpu_arch.h"

namespace cuslim {

namespace {

// Whether the image has `dir` (not "/"): a directory of the plan or above one of its paths, or
// one of the base image's.
bool holds_dir(const Plan& plan, const BundleRequest& req, const std::string& dir) {
  if (dir.empty() || dir == "/" || dir[0] != '/') return false;
  if (auto it = plan.items.lower_bound(dir); it != plan.items.end() && (it->first == dir || it->first.rfind(dir + "/", 0) == 0))
    return it->first != dir || it->second.type == LayerEntry::dir;
  struct stat st;
  return req.base_image && ::stat((req.base_image->rootfs + dir).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Where `inside` leads through the plan's own symlinks (/bin/sh -> /usr/bin/sh where bin -> usr/bin),
// as the kernel walks it; nullopt for a loop.
std::optional<std::string> plan_resolve(const Plan& plan, const std::string& inside) {
  std::vector<std::string> todo = path::components(inside);
  std::reverse(todo.begin(), todo.end());  // a stack: links push their targets' components
  std::string cur = "/";
  for (int links = 0; !todo.empty();) {
    std::string c = todo.back();
    todo.pop_back();
    if (c.empty() || c == ".") continue;
    if (c == "..") {
      cur = path::dirname(cur);
      continue;
    }
    std::string next = path::join(cur, c);
    auto it = plan.items.find(next);
    if (it == plan.items.end() || it->second.type != LayerEntry::symlink) {
      cur = next;
      continue;
    }
    if (++links > 40) return std::nullopt;
    auto target = path::components(it->second.target);
    todo.insert(todo.end(), target.rbegin(), target.rend());
    if (!it->second.target.empty() && it->second.target[0] == '/') cur = "/";
  }
  return cur;
}

std::string rfc3339(int64_t t) {
  char buf[32];
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm;
  gmtime_r(&tt, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

// A traced variable whose value names files (SSL_CERT_FILE=/etc/ssl/certs/ca.crt, PYTHONPATH=/opt/p)
// that the image does not hold would point the program at nothing -- worse than the default it
// falls back to (certifi's bundle, the site dirs): it is left out of the config, with a warning.
// The loader's and the shell's search lists (LD_LIBRARY_PATH, PATH) name dirs that may come at
// run time (the driver's) and are kept.
void drop_env_naming_absent_files(ImageConfig& config, Plan& plan, const BundleRequest& req) {
  if (req.base != "scratch" && !req.base_image) return;  // a profile base may hold them
  auto in_image = [&](const std::string& p) {
    if (plan.items.count(path::normalize(p)) || holds_dir(plan, req, path::normalize(p))) return true;  // a file, or a dir, of the image
    struct stat st;
    return req.base_image && ::lstat((req.base_image->rootfs + path::normalize(p)).c_str(), &st) == 0;
  };
  for (auto& kv : req.traced_env) {
    std::string key = kv.substr(0, kv.find('=')), value = kv.substr(kv.find('=') + 1);
    if (key == "LD_LIBRARY_PATH" || key == "PATH" || value.empty() || value[0] != '/') continue;
    std::vector<std::string> absent;
    for (auto& p : path::split_list(value))
      if (!p.empty() && p[0] == '/' && !in_image(p)) absent.push_back(p);
    if (absent.empty()) continue;
    auto before = config.env.size();
    std::erase(config.env, kv);
    if (config.env.size() != before)
      plan.warnings.push_back(key + "=" + value + " (from the trace): " + absent.front() +
                              " is not in the image: left out of the image's Env (--include it, or --env to set one)");
  }
}

// Where a #! script's `env NAME` looks: first the dirs of the programs a trace saw run (the venv's
// bin/ whose python3 the traced run used), then the default PATH.
std::string program_search_path(const BundleRequest& req) {
  std::string out, defaults = std::string(":") + kDefaultPath + ":";
  for (auto& p : req.traced_programs)  // the default dirs keep their own order, after
    if (std::string d = path::dirname(p); d != "/" && defaults.find(":" + d + ":") == std::string::npos &&
                                          (":" + out).find(":" + d + ":") == std::string::npos)
      out += d + ":";
  return out + kDefaultPath;
}

// An entrypoint the image does not hold (from a FROM-scratch bundle or its base) is said: the
// image would fail at its first start. A bare name is looked up as the runtime does, through the
// config's PATH.
void warn_absent_entrypoint(Plan& plan, const BundleRequest& req, const ImageConfig& config) {
  if (!req.entrypoint || req.entrypoint->empty()) return;
  if (req.base != "scratch" && !req.base_image) return;  // a profile base may hold it
  const std::string& e = *req.entrypoint;
  auto held = [&](const std::string& inside) {
    auto p = plan_resolve(plan, inside);
    return (p && plan.items.count(*p)) || (req.base_image && (Root(req.base_image->rootfs).stat(inside) || (p && Root(req.base_image->rootfs).stat(*p))));
  };
  std::string where;
  if (e.find('/') != std::string::npos) {  // a path: from the working directory when relative
    if (held(e[0] == '/' ? e : path::join(config.working_dir.empty() ? "/" : config.working_dir, e))) return;
    where = "not in the image";
  } else {
    std::string search = path_from_env(config.env);
    for (auto& dir : path::split_list(search))
      if (!dir.empty() && held(path::join(dir, e))) return;
    where = "no directory of the image's PATH (" + search + ") holds it";
  }
  plan.warnings.push_back(req.entrypoint_from + " " + e + ": " + where +
                          " (the container would fail to start; give a program the image holds, or include it)");
}

// An image that ships a cuda-compat set keeps the dirs the host driver is injected into out of its
// LD_LIBRARY_PATH: searched before ld.so.cache, they would load the host's libcuda.so.1 ahead of
// the set the NVIDIA hook puts first in the cache (the loader's default dirs are searched anyway).
void keep_driver_dirs_out_of_llp(const Root& root, const ForwardCompatData& data, std::vector<std::string>& env, std::vector<std::string>& warnings) {
  const LoaderAbi* abi = native_loader_abi(root);  // the image's layout is the source root's
  if (!abi) return;
  std::set<std::string> hiding;
  for (auto& d : compat_hiding_dirs(env, *abi, data, root)) hiding.insert(d);
  if (hiding.empty()) return;
  for (auto it = env.begin(); it != env.end(); ++it) {
    if (it->rfind("LD_LIBRARY_PATH=", 0) != 0) continue;
    std::string kept;
    for (auto& d : path::split_list(it->substr(16)))
      if (!hiding.count(d)) kept += (kept.empty() ? "" : ":") + d;
    if (kept.empty()) env.erase(it);
    else *it = "LD_LIBRARY_PATH=" + kept;
    break;
  }
  std::string names;
  for (auto& d : hiding) names += (names.empty() ? "" : ", ") + d;
  warnings.push_back("LD_LIBRARY_PATH: " + names + " left out (the host driver is injected there; listed, it would hide the image's cuda-compat set)");
}

ImageConfig make_config(const Plan& plan, const BundleRequest& req, const std::vector<ForwardCompatShipped>& compat) {
  if (req.keep_config) {  // slim: the image's own config, with our history entry
    ImageConfig c = *req.keep_config;
    c.created = rfc3339(req.mtime);
    for (auto& kv : req.traced_env)  // what the traced run ran with, where the image says nothing
      if (std::none_of(c.env.begin(), c.env.end(), [&](auto& e) { return e.rfind(kv.substr(0, kv.find('=') + 1), 0) == 0; }))
        c.env.push_back(kv);
    if (c.history.empty()) c.history = "cuslim slim";
    return c;
  }
  ImageConfig c;
  c.created = rfc3339(req.mtime);
  // The programs' own directories first (a venv's bin/): `python app.py` runs as it did on the host.
  std::string path;
  auto defaults = path::split_list(kDefaultPath);
  std::vector<std::string> dirs;
  for (auto& e : plan.executables) dirs.push_back(path::dirname(e));
  // Then the dirs of the traced run's PATH that its programs were executed from (a launcher's
  // `exec python` ran the venv's python): where the image holds them.
  for (auto& d : req.traced_path_dirs)
    if (holds_dir(plan, req, d)) dirs.push_back(d);
  for (auto& d : dirs)
    if (std::find(defaults.begin(), defaults.end(), d) == defaults.end() && (":" + path + ":").find(":" + d + ":") == std::string::npos)
      path += (path.empty() ? "" : ":") + d;
  c.env.push_back("PATH=" + (path.empty() ? "" : path + ":") + kDefaultPath);
  if (!plan.lib_dirs.empty()) {
    std::string llp = "LD_LIBRARY_PATH=";
    for (size_t i = 0; i < plan.lib_dirs.size(); ++i) llp += (i ? ":" : "") + plan.lib_dirs[i];
    c.env.push_back(llp);
  }
  c.env.push_back("NVIDIA_VISIBLE_DEVICES=all");
  c.env.push_back("NVIDIA_DRIVER_CAPABILITIES=compute,utility");
  std::vector<int> compat_branches;  // the branches a shipped cuda-compat set of this major serves
  for (auto& s : compat)
    if (plan.cuda && s.cuda.rfind(std::to_string(plan.cuda->major) + ".", 0) == 0) compat_branches.insert(compat_branches.end(), s.branches.begin(), s.branches.end());
  if (plan.cuda) c.env.push_back("NVIDIA_REQUIRE_CUDA=" + nvidia_require_cuda(*plan.cuda, compat_branches));
  for (auto& kv : req.traced_env) {  // what the traced run ran with; its LD_LIBRARY_PATH after ours
    std::string key = kv.substr(0, kv.find('=') + 1);
    auto it = std::find_if(c.env.begin(), c.env.end(), [&](auto& e) { return e.rfind(key, 0) == 0; });
    if (it == c.env.end()) c.env.push_back(kv);
    else if (key == "LD_LIBRARY_PATH=") *it += ":" + kv.substr(key.size());
    else *it = kv;
  }
  for (auto& kv : req.env) {  // --env K=V replaces K
    std::string key = kv.substr(0, kv.find('='));
    c.env.erase(std::remove_if(c.env.begin(), c.env.end(), [&](auto& e) { return e.rfind(key + "=", 0) == 0; }), c.env.end());
    c.env.push_back(kv);
  }
  if (req.entrypoint) c.entrypoint = {*req.entrypoint};
  else if (!plan.executables.empty()) c.entrypoint = {plan.executables.front()};
  c.history = "cuslim bundle (base " + req.base + ")";
  // The base's Env stays unless --env says otherwise; its Entrypoint and Cmd only when this bundle
  // names no program of its own (no --entrypoint, no program among the targets: libraries on a base);
  // its WorkingDir, User, ExposedPorts, Volumes, StopSignal and labels stay.
  if (req.base_image) {
    const ImageConfig& b = req.base_image->config;
    std::vector<std::string> env = b.env;
    auto has = [&](const std::vector<std::string>& v, const std::string& kv) {
      std::string key = kv.substr(0, kv.find('=') + 1);
      return std::any_of(v.begin(), v.end(), [&](auto& e) { return e.rfind(key, 0) == 0; });
    };
    for (auto& kv : c.env)
      if (!has(env, kv) || has(req.env, kv)) {
        env.erase(std::remove_if(env.begin(), env.end(), [&](auto& e) { return e.rfind(kv.substr(0, kv.find('=') + 1), 0) == 0; }), env.end());
        env.push_back(kv);
      }
    c.env = env;
    bool own_program = req.entrypoint || !plan.executables.empty();
    if (!own_program && !b.entrypoint.empty()) c.entrypoint = b.entrypoint;
    c.cmd = own_program ? std::vector<std::string>{} : b.cmd;
    c.working_dir = b.working_dir;
    c.user = b.user;
    c.exposed_ports = b.exposed_ports;
    c.volumes = b.volumes;
    c.stop_signal = b.stop_signal;
    for (auto& [k, v] : b.labels) c.labels.emplace(k, v);
  }
  if (holds_dir(plan, req, req.traced_cwd)) c.working_dir = req.traced_cwd;  // `run IMG -- python app.py` as traced
  c.labels["org.opencontainers.image.base.name"] = req.base;
  return c;
}

Status set_architecture(const Root& root, const Plan& plan, const BundleRequest& req, ImageConfig& config) {
  if (req.keep_config) return ok_status();
  std::string arch;
  for (auto& e : plan.executables)
    if (arch.empty()) arch = oci_architecture_of(root.host_path(e));
  for (auto it = plan.items.begin(); arch.empty() && it != plan.items.end(); ++it)  // libraries only
    if (it->second.type == LayerEntry::file && it->second.content.empty()) arch = oci_architecture_of(root.host_path(it->first));
  if (arch.empty()) return ok_status();  // no ELF file: the default
  if (req.base_image && req.base_image->config.architecture != arch)
    return bad_input("--base " + req.base + ": an image for " + req.base_image->config.architecture + ", the programs bundled on it are " + arch);
  config.architecture = arch;
  return ok_status();
}

// The label that says which GPUs the image's code was pruned for: this prune's archs, less those
// an earlier prune (the input's label) already took the code of. When none of this prune's archs
// is left, the input's label stays: its GPUs still run every container (a container with nothing
// for this prune keeps an entry), and verify judges any other GPU container by container -- a
// label naming this prune's archs made verify pass code the first prune had taken.
// The covers label says which GPUs still run every container that had code for them: the known
// ones this prune took no container's last code of (`lost_for`), less those an earlier prune took
// (the input's covers label; an input pruned without one leaves the question to kept_for()).
// Returns a warning when the input was pruned for GPUs that do not cover this prune's.
std::optional<std::string> record_pruned_archs(ImageConfig& c, const std::vector<unsigned>& archs, bool zeroed, const std::set<unsigned>& lost_for) {
  if (zeroed) {
    std::optional<std::vector<unsigned>> before_covers;
    if (auto it = c.labels.find(kGpuArchCoversLabel); it != c.labels.end())
      if (auto ccs = parse_gpu_archs(it->second); ccs.ok()) before_covers = *ccs;
    bool pruned_before = c.labels.count(kGpuArchLabel) > 0;
    std::vector<unsigned> covers;
    for (unsigned cc : known_gpu_archs())
      if (!lost_for.count(cc) && (!before_covers || std::count(before_covers->begin(), before_covers->end(), cc))) covers.push_back(cc);
    if (pruned_before && !before_covers) c.labels.erase(kGpuArchCoversLabel);
    else c.labels[kGpuArchCoversLabel] = covers.empty() ? "none" : gpu_archs_text(covers);
  }
  std::vector<unsigned> keep = archs;
  std::optional<std::string> warning;
  bool pruned_before = false;
  if (auto it = c.labels.find(kGpuArchLabel); it != c.labels.end())
    if (auto before = parse_gpu_archs(it->second); before.ok()) {
      pruned_before = true;
      std::erase_if(keep, [&](unsigned a) { return !kept_for(a, *before); });
      if (keep.size() != archs.size())
        warning = "--gpu-arch " + gpu_archs_text(archs) + ": the input was already pruned for " + gpu_archs_text(*before) +
                  ": code for the others is gone from it, and this prune cannot bring it back (prune the unpruned image instead)";
    }
  if (zeroed && !(pruned_before && keep.empty())) c.labels[kGpuArchLabel] = gpu_archs_text(keep.empty() ? archs : keep);
  return warning;
}

Status check_prune_again(const ImageConfig& input, const std::vector<unsigned>& archs) {
  auto it = input.labels.find(kGpuArchLabel);
  if (archs.empty() || it == input.labels.end()) return ok_status();
  auto before = parse_gpu_archs(it->second);
  if (!before.ok() || std::any_of(archs.begin(), archs.end(), [&](unsigned a) { return kept_for(a, *before); })) return ok_status();
  return Error(Exit::usage, "--gpu-arch " + gpu_archs_text(archs) + ": the input was already pruned for " + it->second + " (label " +
                                kGpuArchLabel + "), and none of these GPUs is among them: pruning it again would remove the code it "
                                "still has (prune the unpruned image instead, or list one of " + it->second + ")");
}

std::optional<std::string> config_not_carried(const ImageConfig& c, const BundleRequest& req) {
  std::vector<std::string> lost;
  std::string names;
  auto given = [&](const std::string& kv) {
    std::string key = kv.substr(0, kv.find('=') + 1);
    auto named = [&](auto& list) { return std::any_of(list.begin(), list.end(), [&](auto& g) { return g.rfind(key, 0) == 0; }); };
    return named(req.env) || named(req.traced_env);
  };
  for (auto& kv : c.env)
    if (given(kv)) names += (names.empty() ? "" : ", ") + kv.substr(0, kv.find('='));
  if (!names.empty()) lost.push_back("Env " + names);
  if (!c.working_dir.empty() && c.working_dir != "/") lost.push_back("WorkingDir " + c.working_dir);
  if (req.entrypoint && !c.entrypoint.empty()) lost.push_back("Entrypoint " + c.entrypoint.front());
  if (lost.empty()) return std::nullopt;
  std::string what;
  for (auto& l : lost) what += (what.empty() ? "" : "; ") + l;
  return "a rootfs output carries no image config, so this is not in it: " + what +
         " (an OCI format -- oci, oci-archive, docker-archive -- keeps them)";
}

}  // namespace cuslim
