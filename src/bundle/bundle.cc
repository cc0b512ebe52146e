#include "bundle/bundle.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <tuple>
#include <nlohmann/json.hpp>
#include <set>

#include "core/atomic_file.h"
#include "core/json_text.h"
#include "core/staging.h"
#include "registry/registry_ref.h"
#include "core/atomic_output.h"
#include "core/fs.h"
#include "core/output_guard.h"
#include "core/signal_cleanup.h"
#include "core/path.h"
#include "core/exec_path.h"
#include "bundle/image_config.h"
#include "bundle/jit_plan.h"
#include "bundle/layer_cache.h"
#include "bundle/layer_reuse.h"
#include "bundle/layout_staging.h"
#include "bundle/locale_plan.h"
#include "bundle/plan_closure.h"
#include "profile/cuda_compat.h"
#include "profile/forward_compat.h"
#include "bundle/programs.h"
#include "bundle/python_plan.h"
#include "elf/elf_file.h"
#include "image/layer_history.h"
#include "image/transport_spelling.h"
#include "image/utf8_names.h"
#include "jit/jit_needs.h"
#include "prune/gpu_arch.h"
#include "loader/ld_cache.h"
#include "report/kept_groups.h"
#include "trace/run_environment.h"
#include "trace/trace_file.h"

namespace cuslim {

namespace {

// ELF files under the --include paths bring their own closures.
std::vector<std::string> elf_includes(const Root& root, const Plan& plan, const std::vector<std::string>& includes) {
  std::set<std::string> roots;
  for (auto& inc : includes) {
    roots.insert(path::normalize(inc));
    // Through a link (/usr/local/cuda -> cuda-13.0): the plan holds the files at their real paths.
    if (auto real = root.realpath(inc); real.ok()) roots.insert(*real);
  }
  auto under = [&](std::string p) {  // p or one of its parents was included
    for (; p != "/"; p = path::dirname(p))
      if (roots.count(p)) return true;
    return false;
  };
  std::vector<std::string> out;
  for (auto& [p, item] : plan.items)
    if (item.type == LayerEntry::file && item.content.empty() && under(p) && has_elf_magic(root.host_path(p))) out.push_back(p);
  return out;
}

// Modes and owners: kept from the input (slim; an image's as its layers recorded them) or normalized.
SourceAttributes source_attributes(const BundleRequest& req) {
  if (!req.keep_attributes) return {};
  bool image = req.input_image && req.input_image->kind != ImageKind::rootfs_dir;
  if (!image) return {.keep = true};
  return {.keep = true,
          .owners = &req.input_image->owners,
          .modes = &req.input_image->modes,
          .setuid_stripped = &req.input_image->setuid_stripped,
          .capabilities_stripped = &req.input_image->capabilities_stripped,
          .xattrs = &req.input_image->xattrs};
}

// A dir bundle's owners and modes, deepest first once everything is written (a 0500 directory
// must not stop its own files). Owners only as root, as tar does: an unprivileged writer cannot
// give files away. The mode after the owner: chown clears setuid/setgid bits.
// Owners, modes and the one mtime a layer would give (SOURCE_DATE_EPOCH, else 0), children
// before their directories (a directory's mtime moves while entries are made in it).
Status set_attributes(const Plan& plan, const std::string& out, int64_t mtime) {
  const bool chown_too = ::geteuid() == 0;
  const struct timespec times[2] = {{.tv_sec = mtime, .tv_nsec = 0}, {.tv_sec = mtime, .tv_nsec = 0}};
  for (auto it = plan.items.rbegin(); it != plan.items.rend(); ++it) {
    auto& [p, item] = *it;
    std::string dst = out + p;
    if (chown_too && ::lchown(dst.c_str(), item.owner.uid, item.owner.gid) != 0) return Error::from_errno(dst, errno).wrap("writing dir bundle");
    if (item.type != LayerEntry::symlink && ::chmod(dst.c_str(), item.mode) != 0) return Error::from_errno(dst, errno).wrap("writing dir bundle");
    if (::utimensat(AT_FDCWD, dst.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) return Error::from_errno(dst, errno).wrap("writing dir bundle");
  }
  if (::utimensat(AT_FDCWD, out.c_str(), times, 0) != 0) return Error::from_errno(out, errno).wrap("writing dir bundle");
  return ok_status();
}

Status write_dir(const Root& root, const Plan& plan, const std::string& out, int64_t mtime) {
  CUSLIM_CHECK(make_dirs(out));
  // The first destination of each hard-linked source inode: its other names are linked to it.
  // (A pruned file's names share one rewrite -- its extents -- and are linked only to that rewrite.)
  std::map<std::tuple<dev_t, ino_t, const FileExtents*>, std::string> links;
  auto linked = [&](const std::string& src, const std::string& dst, const PlanItem& item) -> std::optional<Status> {
    struct stat st;
    if (::stat(src.c_str(), &st) != 0 || st.st_nlink < 2 || static_cast<uint64_t>(st.st_size) != item.size) return std::nullopt;
    auto [it, first] = links.try_emplace({st.st_dev, st.st_ino, item.extents.get()}, dst);
    if (first) return std::nullopt;
    if (::link(it->second.c_str(), dst.c_str()) != 0) return Error::from_errno(dst, errno);
    return ok_status();
  };
  for (auto& [p, item] : plan.items) {
    std::string dst = out + p;
    Status st = ok_status();
    switch (item.type) {
      case LayerEntry::dir: st = make_dirs(dst); break;
      case LayerEntry::symlink:
        if (::symlink(item.target.c_str(), dst.c_str()) != 0) st = Error::from_errno(dst, errno);
        break;
      case LayerEntry::file:
        if (!item.content.empty() || item.size == 0) st = write_file_atomic(dst, item.content, Durability::rename_only, item.mode);
        else if (auto l = linked(plan_source(root, p), dst, item)) {
          st = *l;
          break;  // one inode with the first name (modes are set below)
        } else if (item.extents) st = write_extents(plan_source(root, p), *item.extents, dst);
        else st = copy_regular_file(plan_source(root, p), dst);
        break;
    }
    if (!st.ok()) return st.error().wrap("writing dir bundle");
  }
  return set_attributes(plan, out, mtime);
}

// Drops plan items the base image already holds (same type; same size or same link target).
void leave_out_base(Plan& plan, const std::string& base_rootfs) {
  for (auto it = plan.items.begin(); it != plan.items.end();) {
    auto& [p, item] = *it;
    struct stat st;
    bool same = false;
    if (item.content.empty() && ::lstat((base_rootfs + p).c_str(), &st) == 0) {
      if (item.type == LayerEntry::dir) same = S_ISDIR(st.st_mode);
      else if (item.type == LayerEntry::file) same = S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) == item.size;
      else if (S_ISLNK(st.st_mode)) {
        char buf[4096];
        ssize_t len = ::readlink((base_rootfs + p).c_str(), buf, sizeof buf);
        same = len >= 0 && std::string(buf, static_cast<size_t>(len)) == item.target;
      }
    }
    if (same) {
      if (item.type == LayerEntry::file) plan.left_to_base.insert(p);
      it = plan.items.erase(it);
    } else {
      ++it;
    }
  }
}

// The pruning request, measured (with --report) in the compression OUT's format uses.
PruneRequest prune_request(const BundleRequest& req) {
  PruneRequest p = req.prune;
  switch (req.format) {
    case BundleFormat::dir:
    case BundleFormat::tar:  // nothing compressed: no stored sizes to measure (the report says measured: false)
      p.compression = Compression::none;
      p.measure = false;
      break;
    case BundleFormat::tar_gz: p.compression = Compression::gzip; break;
    case BundleFormat::tar_zst: p.compression = Compression::zstd; break;
    default: p.compression = req.compression;
  }
  return p;
}


// Packs the layer into layout, or -- when `previous` (an existing OCI dir at OUT) already holds
// the blob for the same inputs -- links that blob instead of packing again.
Result<LayerBlob> write_or_reuse_layer(const std::vector<LayerEntry>& entries, const LayerOptions& lo, const std::string& layout,
                                       const std::string& previous) {
  // A dead run's temp blob goes first, whether or not this run packs (the layout may be a user's,
  // updated in place). Temps sit beside blobs/, not in it: `umoci gc` refuses names that are not digests.
  remove_stale_temps(layout);
  remove_stale_temps(layout + "/blobs/sha256");  // where runs before this one left them
  std::string key = layer_key(entries, lo);
  if (!previous.empty())
    if (auto cached = cached_layer(previous, key))
      if (previous == layout || link_or_copy(blob_path(previous, cached->digest), blob_path(layout, cached->digest)).ok()) {
        CUSLIM_CHECK(record_layer(layout, key, *cached));
        return *cached;
      }
  // A temp name of this process, removed on failure.
  std::string tmp_blob = layout + "/.layer.cuslim-tmp-" + std::to_string(::getpid());
  SignalCleanup on_signal(tmp_blob);
  auto layer = write_layer(entries, tmp_blob, lo);
  if (layer.ok() && ::rename(tmp_blob.c_str(), blob_path(layout, layer->digest).c_str()) != 0) layer = Error::from_errno(tmp_blob, errno);
  if (!layer.ok()) {
    ::unlink(tmp_blob.c_str());
    return layer.error().said_as(tmp_blob, layout);  // said as the layout, not the temp blob's name
  }
  CUSLIM_CHECK(record_layer(layout, key, *layer));
  return layer;
}

// The request makes sense: something to pack; --base IMAGE only with image outputs.
Status check_request(const BundleRequest& req) {
  if (req.targets.empty() && req.includes.empty() && req.traced.empty() && req.traced_files.empty())
    return Error(Exit::usage, "nothing to pack (give a TARGET or --include)");
  if (req.base_image && req.format != BundleFormat::oci && req.format != BundleFormat::oci_archive && req.format != BundleFormat::docker_archive)
    return Error(Exit::usage, "--base IMAGE: the output must be an image (oci, oci-archive, docker-archive), not " + format_name(req.format));
  if (req.base_image && req.base_image->layers.empty())
    return Error(Exit::usage, "--base " + req.base + ": a rootfs " + (req.base_image->kind == ImageKind::rootfs_tar ? "tar" : "directory") +
                                  " has no layers to build on (a base's layers are reused as they are): "
                              "give an OCI layout, an oci-archive, a docker-archive or a docker:// image (a directory can become one: "
                              "cuslim slim dir:DIR --keep '*' -o oci:LAYOUT:TAG)");
  return ok_status();
}

// The data of every locale the image's Env will name (--env, the traces, a slimmed image's own),
// whole: a locale is a directory of LC_* files, and a run opens only some of them.
Status add_locales(const Root& root, const BundleRequest& req, PlanBuilder& builder) {
  std::vector<std::string> env = req.env;
  env.insert(env.end(), req.traced_env.begin(), req.traced_env.end());
  if (req.keep_config) env.insert(env.end(), req.keep_config->env.begin(), req.keep_config->env.end());
  for (auto& kv : req.traced_env_dropped)
    builder.warn(kv + " (from the trace): the image has no data for that locale in /usr/lib/locale: left out of its Env (setlocale() would fail where the input ran without it)");
  CUSLIM_TRY(auto lacking, add_locale_data(root, env, builder));
  for (auto& name : lacking)
    builder.warn("locale " + name + " (named by the image's Env): no data for it in the source (" +
                 (locpath_of(env).empty() ? std::string("/usr/lib/locale") : "LOCPATH " + locpath_of(env)) + "): setlocale() fails for it in the image");
  return ok_status();
}

// A #! script the traced run executed: the kernel opened its interpreter by the name the #! line
// gives (a venv's bin/python3 -> /usr/bin/python3.11), which no trace event shows. That name ships
// too, an ELF interpreter with its closure (a program's own file is not among the mapped objects).
Status add_traced_interpreters(const Analysis& analysis, const BundleRequest& req, PlanBuilder& builder) {
  const Root& root = analysis.root();
  std::set<std::string> ran(req.traced_programs.begin(), req.traced_programs.end());
  for (auto& f : req.traced_files)  // slim --probe: the programs it ran are among the files
    if (auto st = root.stat(f); st && S_ISREG(st->st_mode) && (st->st_mode & 0111)) ran.insert(f);
  std::vector<std::string> elfs;
  for (auto& f : ran) {
    if (is_elf_in(root, f)) continue;  // a program, not a script (and no first line to read through)
    auto interp = script_interpreter(root, f);
    if (!interp || !root.stat(*interp) || builder.plan().items.count(*interp)) continue;
    if (is_elf_in(root, *interp)) elfs.push_back(*interp);
    else CUSLIM_CHECK(builder.add_include(*interp));
  }
  if (elfs.empty()) return ok_status();
  CUSLIM_TRY(auto g, resolve_each_or_warn(analysis, elfs, traced_loaded(root, req.traced), builder));
  builder.add_graph(g, false);
  for (auto& p : elfs)
    if (!builder.plan().items.count(p) && builder.plan().items.count(root.realpath(p).value_or(p))) CUSLIM_CHECK(builder.add_include(p));
  return ok_status();
}

// The closures of ELF files, each as it will be loaded: a program (every file when there is no
// trace) starts a process of its own and is resolved alone; a library is loaded into a process
// like the traced one, so with a trace its needs are met as there (traced_loaded) -- by the
// objects already loaded (a wheel's libcublas the framework loaded by path), not by a second
// copy the search would find (the toolkit's).
Result<std::vector<DepGraph>> resolve_as_loaded(const Analysis& analysis, const std::vector<std::string>& elfs, const std::vector<std::string>& traced) {
  const Root& root = analysis.root();
  std::vector<std::string> own, in_process;
  for (auto& p : elfs) {
    auto real = root.realpath(p);
    auto elf = real ? ElfFile::read(root.host_path(*real), p, ElfFile::Parts::loader) : Result<ElfFile>(real.error());
    (traced.empty() || !elf.ok() || elf->interp ? own : in_process).push_back(p);
  }
  std::vector<DepGraph> out;
  if (!own.empty()) {
    CUSLIM_TRY(auto g, analysis.resolve(own));
    out.push_back(std::move(g));
  }
  if (!in_process.empty()) {
    CUSLIM_TRY(auto g, analysis.resolve(in_process, {}, traced_loaded(root, traced)));
    out.push_back(std::move(g));
  }
  return out;
}

// The classified closures of the targets, the --include paths (and their ELF files), the traced
// objects and files, and what the host driver loads from the image.
Status add_closures(const Analysis& analysis, const BundleRequest& req, const Programs& programs, PlanBuilder& builder) {
  const Root& root = analysis.root();
  // #! scripts ship as they are and bring their interpreters.
  for (auto& s : programs.scripts) CUSLIM_CHECK(builder.add_script(s));
  if (!programs.elf.empty()) {
    CUSLIM_TRY(auto graphs, resolve_as_loaded(analysis, programs.elf, req.traced));
    for (auto& g : graphs) {
      if (!g.missing.empty())
        return Error(Exit::check_failed, g.missing[0].needed_by + ": " + g.missing[0].name + ": " + missing_what(g.missing[0]) + " (cuslim deps shows what was tried)");
      builder.add_graph(g);
    }
    // Programs with one realpath are one object of the graph: each ships under every name it was
    // asked by too (the venv's bin/python3 link a #! line names, beside /usr/bin/python3).
    for (auto& p : programs.elf)
      if (auto real = root.realpath(p); real.ok() && *real != p && builder.plan().items.count(*real)) CUSLIM_CHECK(builder.add_include(p));
  }
  for (auto& inc : req.includes) {
    // Named itself (not found inside a named directory, where it is a warning): a fifo, socket or
    // device cannot ship, and the image would lack what was asked for.
    if (auto st = root.stat(inc); st && !S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
      return bad_input(inc + ": --include: a " + (S_ISFIFO(st->st_mode) ? "fifo" : S_ISSOCK(st->st_mode) ? "socket" : "device") +
                       ", not a file, directory or link: it cannot ship in an image");
    CUSLIM_CHECK(builder.add_include(inc));
  }
  {  // the ELF files under the --include paths bring their closures (they are not entrypoints)
    CUSLIM_TRY(auto graphs, resolve_as_loaded(analysis, elf_includes(root, builder.plan(), req.includes), req.traced));
    for (auto& g : graphs) builder.add_graph(g, false);
  }
  if (!req.traced.empty()) {  // objects a trace saw mapped join the graph (how: trace) with their closures
    CUSLIM_TRY(auto g, analysis.resolve(req.traced, {}, traced_loaded(root, req.traced)));
    for (auto& o : g.objects)
      if (o.root) o.how = How::trace;
    builder.add_graph(g, false);
  }
  for (auto& f : req.traced_files)  // files the traced run opened: as they are (regular files only)
    if (auto st = root.stat(f); st && S_ISREG(st->st_mode)) CUSLIM_CHECK(builder.add_include(f));
  CUSLIM_CHECK(add_traced_interpreters(analysis, req, builder));
  // With base scratch, the driver's own needs ship as the programs' dlopen of libcuda.so.1 would load them.
  if (req.base == "scratch" && req.with_driver_needs && !programs.elf.empty() && !analysis.driver_needs().empty()) {
    CUSLIM_TRY(auto g, analysis.resolve({programs.elf.front()}, analysis.driver_needs()));
    builder.add_graph(g, false);
  }
  return ok_status();
}

// Driver files never ship, whatever brought them (--include, a trace, a keep-set): the host's
// driver is injected at run time and a bundled copy breaks on every other driver. Link-time
// driver stubs are left out too. Toolkit files that do ship are named.
void leave_out_driver_files(const Analysis& analysis, const BundleRequest& req, PlanBuilder& builder) {
  std::vector<std::string> drop, toolkit;
  std::vector<std::pair<std::string, ObjectClass>> classes;
  auto present = distributions_present(analysis.root(), planned_paths(builder.plan()));
  for (auto& [p, item] : builder.plan().items) {
    if (item.type == LayerEntry::dir || !item.content.empty()) continue;
    auto c = analysis.classifier().classify(p, p, std::nullopt, path::basename(p));
    auto cls = class_given(c, present);  // a jit file of a framework that does not ship is toolkit
    if (cls == ObjectClass::driver || c.rule.ends_with(":driver-stub")) drop.push_back(p);
    else if (cls == ObjectClass::toolkit) toolkit.push_back(p + " (" + rule_given(c, present) + ")");
    // Included files get their class; a jit file of a framework that does not ship is toolkit, as verify says.
    if ((item.cls == ObjectClass::app || item.cls == ObjectClass::jit) && cls != item.cls) classes.push_back({p, cls});
  }
  for (auto& [p, cls] : classes) builder.set_class(p, cls);
  for (auto& p : drop) builder.leave_to_driver(p, "driver file left out (the host driver provides it at run time)");
  // A toolkit file a traced run touched (torch.compile runs `nvcc --version`) is not a run-time
  // need: it is left out, and said so; one the user --include'd stays, with the warning below.
  std::set<std::string> traced;  // by real path: nvcc was run as /usr/local/cuda/bin/nvcc
  for (auto& f : req.traced_files) {
    traced.insert(f);
    if (auto real = analysis.root().realpath(f); real.ok()) traced.insert(*real);
  }
  auto included = [&](const std::string& p) {  // the user named it (or a directory above it)
    for (auto& inc : req.includes) {
      std::string i = path::normalize(inc);
      auto real = analysis.root().realpath(i);
      for (auto& base : {i, real.ok() ? *real : i})
        if (p == base || p.rfind(base + "/", 0) == 0) return true;
    }
    return false;
  };
  std::vector<std::string> kept_toolkit;
  for (auto& t : toolkit) {
    std::string p = t.substr(0, t.rfind(" ("));
    if (traced.count(p) && !included(p)) builder.leave_out(p, "toolkit file the traced run used, left out (not a run-time need; --include it to ship it)");
    else kept_toolkit.push_back(t);
  }
  toolkit = kept_toolkit;
  if (!toolkit.empty()) {
    std::string list;
    for (size_t i = 0; i < toolkit.size() && i < 10; ++i) list += (i ? ", " : "") + toolkit[i];
    if (toolkit.size() > 10) list += ", ... and " + std::to_string(toolkit.size() - 10) + " more";
    builder.warn(std::to_string(toolkit.size()) + " toolkit-class file(s) packed (verify fails such an image): " + list);
  }
}

// slim: what the input's ld.so.cache knew of the libraries kept stays known. A library kept by
// --keep is a root of the walk, not a library found through the cache, so the generated cache
// would otherwise forget it (slim --keep '*' wrote an empty cache over the input's).
void keep_input_cache_entries(const UnpackedImage& input, PlanBuilder& builder) {
  Root in(input.rootfs);
  auto real = in.realpath("/etc/ld.so.cache");
  if (!real) return;
  auto c = LdCache::read(in.host_path(*real), "input /etc/ld.so.cache");
  if (!c.ok()) return;  // a cache the loader could not read either: nothing it knew to keep
  std::set<std::string> known;  // what the walk found stays as it found it
  for (auto& e : builder.plan().cache) known.insert(e.soname);
  auto& items = builder.plan().items;
  std::vector<CacheLib> libs;
  for (auto& e : c->entries()) {
    std::string key(e.key), path(e.value);
    if (!e.hwcaps_subdir.empty() || known.count(key)) continue;
    if (items.count(path)) libs.push_back({key, path, e.flags, e.hwcap});  // kept where the cache said
    else if (auto r = in.realpath(path); r && items.count(*r)) libs.push_back({key, *r, e.flags, e.hwcap});  // kept, its link dir not: the file itself
  }
  builder.add_cache_entries(libs);
}

// What a --base image's ld.so.cache knows stays known (and, for slim, what the input's knew of
// what is kept); the generated loader files (and, FROM scratch, passwd/group) let the programs run
// with no environment.
void add_base_and_loader_files(const BundleRequest& req, PlanBuilder& builder) {
  bool base_has_conf = false;
  if (req.base_image) {
    Root base(req.base_image->rootfs);
    base_has_conf = base.stat("/etc/ld.so.conf").has_value();
    if (auto real = base.realpath("/etc/ld.so.cache"))
      if (auto c = LdCache::read(base.host_path(*real), "base /etc/ld.so.cache"); c.ok()) {
        std::vector<CacheLib> libs;
        for (auto& e : c->entries())
          if (e.hwcaps_subdir.empty()) libs.push_back({std::string(e.key), std::string(e.value), e.flags, e.hwcap});
        builder.add_cache_entries(libs);
      }
  }
  if (!req.generate_loader_files) return;
  if (req.input_image) keep_input_cache_entries(*req.input_image, builder);
  builder.add_loader_files(!base_has_conf);
  if (req.base == "scratch") builder.add_scratch_files();
}

// Files, bytes per class and the ten largest files of the plan.
void add_size_stats(BundleResult& res) {
  for (auto& [p, item] : res.plan.items)
    if (item.type == LayerEntry::file) {
      ++res.files;
      res.bytes += item.size;
      res.bytes_by_class[item.cls] += item.size;
      res.largest.push_back({p, item.size});
    }
  std::sort(res.largest.begin(), res.largest.end(), [](auto& a, auto& b) { return a.second > b.second; });
  if (res.largest.size() > 10) res.largest.resize(10);
}

// Stored layer blobs (a --base image's, or slim's input layers kept whole), as they are, into the
// new layout (linked where possible; from `held`, an OCI OUT updated in place, where it has them).
Result<std::vector<LayerBlob>> link_layers(const std::vector<const StoredLayer*>& layers, const std::string& layout, const char* what,
                                           const std::string& held) {
  std::vector<LayerBlob> out;
  for (auto* l : layers) {
    std::string to = blob_path(layout, l->info.digest);
    if (::access(to.c_str(), F_OK) == 0) {  // the layout holds it already (named by its digest)
      out.push_back(l->info);
      continue;
    }
    std::string from = !held.empty() && ::access(blob_path(held, l->info.digest).c_str(), F_OK) == 0 ? blob_path(held, l->info.digest) : l->blob;
    auto st = link_or_copy(from, to);
    if (!st.ok()) return st.error().wrap(std::string("copying ") + what);
    out.push_back(l->info);
  }
  return out;
}

// A layer on top of the image, with its history entry (one per layer: umoci and docker history
// pair them in order).
void add_layer(ImageBuild& b, const LayerBlob& layer, nlohmann::json history_entry) {
  auto history = parse_json_or_discarded(b.history);
  if (!history.is_array()) history = nlohmann::json::array();
  history.push_back(std::move(history_entry));
  b.history = history.dump();
  b.layers.push_back(layer);
}

void add_layer(ImageBuild& b, const LayerBlob& layer, const std::string& created_by) {
  add_layer(b, layer, nlohmann::json{{"created", b.config.created}, {"created_by", created_by}});
}

// slim: the input's bottom layers the plan keeps whole go in as they are (layer_reuse.h), each
// with a history entry; returns what is left of the plan to pack.
Result<Plan> reuse_input_layers(const BundleRequest& req, const std::string& layout, BundleResult& res, ImageBuild& b) {
  auto reused = reusable_layers(*req.input_image, res.plan);
  if (reused.layers.empty()) return res.plan;
  CUSLIM_TRY(res.reused_layers, link_layers(reused.layers, layout, "an input layer", req.format == BundleFormat::oci ? req.out : ""));
  // Each keeps the input's history entry for it (the i-th entry that is not an empty_layer), so
  // slimming slim's own output gives the same image; an input whose history does not pair with
  // its layers gets an entry of ours.
  auto input_history = parse_json_or_discarded(req.input_image->history_json);
  std::vector<nlohmann::json> per_layer;
  if (input_history.is_array())
    for (auto& h : input_history)
      if (h.is_object() && !h.value("empty_layer", false)) per_layer.push_back(h);
  bool paired = per_layer.size() == req.input_image->layers.size();
  for (size_t i = 0; i < res.reused_layers.size(); ++i) {
    auto& l = res.reused_layers[i];
    if (paired) add_layer(b, l, per_layer[i]);
    else add_layer(b, l, "cuslim slim: input layer " + l.digest.str() + " kept whole, as it was");
    std::optional<std::string> group;
    if (paired && per_layer[i].contains("created_by") && per_layer[i]["created_by"].is_string())
      group = layer_group_from_history(per_layer[i]["created_by"].get<std::string>());
    res.reused_groups.push_back(group);
  }
  return plan_without(res.plan, reused.covered);
}

// An OCI layout at `layout`: the base's layers, then ours (reused from the previous OUT when the
// inputs are the same), the config and manifest, the index.
Status write_image(const Root& root, const BundleRequest& req, const LayerOptions& lo, const std::string& layout, BundleResult& res,
                   ImageBuild& b, IndexUpdate index) {
  CUSLIM_CHECK(make_dirs(layout + "/blobs/sha256"));
  b = ImageBuild{res.config, {}, req.tag};
  if (req.base_image) {
    std::vector<const StoredLayer*> base;
    for (auto& l : req.base_image->layers) base.push_back(&l);
    CUSLIM_TRY(b.layers, link_layers(base, layout, "a base layer", req.format == BundleFormat::oci ? req.out : ""));
    res.base_layers = b.layers;
    b.history = req.base_image->history_json;
  }
  Plan rest;  // what is left to pack once input layers are reused (--layers auto only: single means one layer)
  if (req.input_image && req.layers == LayerSplit::auto_split) {
    CUSLIM_TRY(rest, reuse_input_layers(req, layout, res, b));
  }
  const Plan& to_pack = res.reused_layers.empty() ? res.plan : rest;
  auto groups = layer_groups(root, to_pack, req.layers);  // one layer, or --layers auto's groups
  for (auto& g : groups) {
    CUSLIM_TRY(auto layer, write_or_reuse_layer(g.entries, lo, layout, req.format == BundleFormat::oci ? req.out : ""));
    res.layers.push_back({g.name, layer});
    res.layer = layer;
    // Each layer's history names its group (what report and a later slim read back); one layer
    // of --layers single is the image.
    add_layer(b, layer, req.layers == LayerSplit::single ? res.config.history : res.config.history + ": layer " + g.name);
  }
  CUSLIM_TRY(res.image, write_oci_layout(layout, b, index));
  return ok_status();
}

// What OUT may be: never an input (or inside one); an existing OCI layout is updated in place.
Result<ExistingOutput> check_out(const Root& root, const BundleRequest& req, const Plan& plan) {
  OutputRequest o{.out = req.out, .inputs = req.inputs, .oci_output = req.format == BundleFormat::oci, .force = req.force};
  for (auto* list : {&req.targets, &req.includes})
    // --root itself is where they live, not an input; each resolved inside the root (a link in an
    // image to / is not the host's /).
    for (auto& p : *list) o.inputs.push_back(root.host_path(root.realpath(p).value_or(p)));
  for (auto& [flag, file] : req.side_outputs) CUSLIM_CHECK(check_side_output(flag, file, o.inputs, req.out));
  // Every file the plan reads: OUT over a library the program loads would destroy it.
  o.read_root = root.is_host() ? "" : root.host_path("/");
  for (auto& [p, item] : plan.items)
    if (item.type == LayerEntry::file && item.content.empty()) o.read_files.push_back(p);
  return check_output(o);
}

// docker://: the OCI layout is written to a staging dir, then pushed (blobs first, the manifest
// last: a push that fails leaves no tag).
Status write_and_push(const Root& root, const BundleRequest& req, BundleResult& res) {
  CUSLIM_TRY(auto ref, parse_registry_ref(req.out));
  CUSLIM_TRY(auto staging, Staging::make());
  BundleRequest local = req;
  local.out = staging.path() + "/layout";
  local.format = BundleFormat::oci;
  if (local.tag.empty()) local.tag = ref.tag;
  auto entries = layer_entries(root, res.plan);
  uint64_t total = 0, done = 0;
  for (auto& e : entries) total += e.size;
  LayerOptions lo{.compression = req.compression, .mtime = req.mtime};
  if (req.progress) lo.progress = [&](uint64_t n) { req.progress(done += n, total); };
  ImageBuild b;
  BundleRequest reuse_nothing = local;
  reuse_nothing.format = BundleFormat::dir;  // write_image reuses a layer of an OCI OUT only; there is none here
  CUSLIM_CHECK(write_image(root, reuse_nothing, lo, local.out, res, b, IndexUpdate::replace));
  if (req.progress) req.progress(total, total);
  std::vector<std::string> mount_from;  // a docker:// base on the same registry holds its layers
  if (is_registry_ref(req.base))
    if (auto base = parse_registry_ref(req.base); base.ok() && base->host == ref.host) mount_from.push_back(base->repo);
  CUSLIM_TRY(res.pushed, push_image(local.out, local.tag, ref, req.registry, mount_from, req.push_progress));
  return ok_status();
}

// Another run made OUT an OCI layout while this one wrote a new one there: the image joins it,
// as it would have had the layout been there at the start (its tag added, the others kept).
Status join_layout(const AtomicOutput& out, const BundleRequest& req, const ImageBuild& b, BundleResult& res) {
  CUSLIM_CHECK(check_layout_index(req.out));
  LayoutStaging staging(req.out);
  if (::rename(out.temp().c_str(), staging.dir().c_str()) != 0)
    return Error::from_errno(req.out, errno).wrap("adding the image to the OCI layout another run wrote there meanwhile");
  return staging.commit([&]() -> Status {
    CUSLIM_TRY(res.image, write_oci_layout(req.out, b, IndexUpdate::merge));
    return ok_status();
  });
}

// Writes the plan in the requested format under a temp name, then renames it over OUT; an
// existing OCI layout gets the new blobs and the tag in its index.json, the rest kept.
Status write_output(const Root& root, const BundleRequest& req, BundleResult& res) {
  if (is_registry_ref(req.out)) return write_and_push(root, req, res);
  CUSLIM_TRY(auto existing, check_out(root, req, res.plan));
  auto entries = layer_entries(root, res.plan);
  uint64_t total = 0, done = 0;
  for (auto& e : entries) total += e.size;
  LayerOptions lo{.mtime = req.mtime};
  if (req.progress) lo.progress = [&](uint64_t n) { req.progress(done += n, total); };
  // The last chunks of a step are below the progress line's redraw interval: say 100% at the end.
  auto all_done = [&] {
    if (req.progress) req.progress(total, total);
  };
  if (existing == ExistingOutput::oci_layout) {
    CUSLIM_CHECK(check_layout_index(req.out));  // a broken index.json: refused before a blob is written
    lo.compression = req.compression;
    ImageBuild b;
    // Staged inside the layout, its new blobs moved in at the end and index.json written with
    // signals held: a failure or a signal leaves the layout as it was (no unreferenced blob).
    LayoutStaging staging(req.out);
    if (auto st = write_image(root, req, lo, staging.dir(), res, b, IndexUpdate::replace); !st.ok()) return staging.as_layout(st.error());
    CUSLIM_CHECK(staging.commit([&]() -> Status {
      CUSLIM_TRY(res.image, write_oci_layout(req.out, b, IndexUpdate::merge));
      return ok_status();
    }));
    all_done();
    return ok_status();
  }
  AtomicOutput out(req.out);
  ImageBuild b;
  auto write = [&]() -> Status {
    switch (req.format) {
      case BundleFormat::dir: CUSLIM_CHECK(write_dir(root, res.plan, out.temp(), req.mtime)); break;
      case BundleFormat::tar:
      case BundleFormat::tar_gz:
      case BundleFormat::tar_zst: {
        lo.compression = req.format == BundleFormat::tar ? Compression::none : req.format == BundleFormat::tar_gz ? Compression::gzip : Compression::zstd;
        CUSLIM_TRY(res.layer, write_layer(entries, out.temp(), lo));
        break;
      }
      case BundleFormat::oci: {
        lo.compression = req.compression;
        CUSLIM_CHECK(write_image(root, req, lo, out.temp(), res, b, IndexUpdate::replace));
        break;
      }
      case BundleFormat::oci_archive:
      case BundleFormat::docker_archive: {  // an OCI layout in a staging dir the atomic output owns, packed as a tar
        lo.compression = req.compression;
        std::string layout = out.temp() + ".layout";
        out.own_also(layout);
        CUSLIM_CHECK(write_image(root, req, lo, layout, res, b, IndexUpdate::replace));
        CUSLIM_CHECK(write_layout_archive(layout, out.temp(), req.format == BundleFormat::docker_archive, b, *res.image, req.mtime));
        break;
      }
    }
    return ok_status();
  };
  if (auto st = write(); !st.ok()) return out.as_out(st.error());  // errors name OUT, not its temp name
  all_done();
  auto st = out.commit();
  if (!st.ok() && out.appeared() && req.format == BundleFormat::oci && ::access((req.out + "/oci-layout").c_str(), F_OK) == 0)
    return join_layout(out, req, b, res);
  return st;
}

}  // namespace

std::optional<BundleFormat> parse_format(const std::string& s) {
  for (auto f : kBundleFormats)
    if (format_name(f) == s) return f;
  return std::nullopt;
}

std::vector<std::string> format_names() {
  std::vector<std::string> names;
  for (auto f : kBundleFormats) names.push_back(format_name(f));
  return names;
}

Status settle_compression(BundleFormat format, const std::string& given, Compression& out) {
  if (given.empty() || given == "gzip") out = Compression::gzip;
  else if (given == "zstd") out = Compression::zstd;
  else return Error(Exit::usage, "--compression '" + given + "': not a compression (allowed: gzip, zstd)");
  bool rootfs = format == BundleFormat::dir || format == BundleFormat::tar || format == BundleFormat::tar_gz || format == BundleFormat::tar_zst;
  bool agrees = (format == BundleFormat::tar_gz && out == Compression::gzip) || (format == BundleFormat::tar_zst && out == Compression::zstd);
  if (!given.empty() && rootfs && !agrees)
    return Error(Exit::usage, "--compression " + given + ": a " + format_name(format) +
                                  " output is compressed as its format says (tar.gz, tar.zst); --compression sets the layers of image outputs (oci, oci-archive, docker-archive, docker://)");
  return ok_status();
}

bool holds_tags(BundleFormat f) {
  return f == BundleFormat::oci || f == BundleFormat::oci_archive || f == BundleFormat::docker_archive;
}

std::string format_name(BundleFormat f) {
  switch (f) {
    case BundleFormat::dir: return "dir";
    case BundleFormat::tar: return "tar";
    case BundleFormat::tar_gz: return "tar.gz";
    case BundleFormat::tar_zst: return "tar.zst";
    case BundleFormat::oci: return "oci";
    case BundleFormat::oci_archive: return "oci-archive";
    case BundleFormat::docker_archive: return "docker-archive";
  }
  return "?";
}

Status settle_output_ref(std::string& out, BundleFormat& format, std::string& tag, bool format_given) {
  struct T {
    const char* prefix;
    BundleFormat format;
    bool tagged;
  };
  static const T kTransports[] = {{"oci:", BundleFormat::oci, true}, {"oci-archive:", BundleFormat::oci_archive, true},
                                  {"docker-archive:", BundleFormat::docker_archive, true}, {"dir:", BundleFormat::dir, false}};
  const std::string spelled = out;
  auto agree = [&](BundleFormat implied, const std::string& what) -> Status {
    if (format_given && format != implied)
      return Error(Exit::usage, spelled + ": " + what + " writes " + format_name(implied) + ", --format says " + format_name(format));
    format = implied;
    return ok_status();
  };
  auto take_tag = [&](const std::string& t) -> Status {
    if (t.empty()) return ok_status();
    if (!tag.empty() && tag != t) return Error(Exit::usage, spelled + ": names the tag '" + t + "' and --tag says '" + tag + "'");
    tag = t;
    return ok_status();
  };
  auto check_tag = [&]() -> Status {  // --tag or the reference's: the grammar the format's readers check
    if (format == BundleFormat::docker_archive) return check_docker_archive_ref(spelled, tag);
    if (format == BundleFormat::oci || format == BundleFormat::oci_archive) return check_oci_tag(spelled, tag);
    if (!tag.empty())  // a rootfs tree or tar has nowhere to keep it: refused, not dropped
      return Error(Exit::usage, spelled + ": a " + format_name(format) + " output holds no tag, so the tag '" + tag +
                                    "' would be lost (tags go to oci, oci-archive, docker-archive and docker:// outputs)");
    return ok_status();
  };
  // -o a symlink to a directory (a layout on a bigger disk) means that directory.
  auto follow_dir_link = [&] {
    struct stat lst, st;
    if (::lstat(out.c_str(), &lst) == 0 && S_ISLNK(lst.st_mode) && ::stat(out.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      if (auto real = canonical_path(out); real.ok()) out = *real;
    return check_tag();
  };
  if (is_registry_ref(out)) {
    CUSLIM_TRY(auto ref, parse_registry_ref(out));
    CUSLIM_CHECK(agree(BundleFormat::oci, "a registry"));
    if (!ref.digest.empty() && (ref.tag_given || !tag.empty()))  // a push by digest tags nothing
      return Error(Exit::usage, spelled + ": a push names its tag or its digest, not both (the tag would be dropped)");
    if (!ref.tag_given && ref.digest.empty() && !tag.empty()) {  // docker://HOST/REPO --tag T: pushed as REPO:T
      out += ":" + tag;
      return parse_registry_ref(out).ok() ? ok_status() : Status(parse_registry_ref(out).error());
    }
    return take_tag(ref.tag_given ? ref.tag : "");
  }
  CUSLIM_CHECK(check_transport_spelling(out));
  // A name whose extension says one format and --format another: refused, not written under a
  // name that lies about its bytes (x.tar.zst holding gzip). A plain .tar holds any tar format.
  if (struct stat st; format_given && !(::stat(out.c_str(), &st) == 0 && S_ISDIR(st.st_mode))) {
    BundleFormat named = format_from_path(out);
    bool plain_tar = named == BundleFormat::tar &&
                     (format == BundleFormat::tar || format == BundleFormat::oci_archive || format == BundleFormat::docker_archive);
    if (named != BundleFormat::oci && named != format && !plain_tar)
      return Error(Exit::usage, spelled + ": its name says " + format_name(named) + ", --format says " + format_name(format) +
                                    " (name the output for its format, or leave --format out)");
  }
  if (::access(out.c_str(), F_OK) == 0) return follow_dir_link();  // an existing path is never split
  for (auto& t : kTransports) {
    std::string p = t.prefix;
    if (out.rfind(p, 0) != 0) continue;
    std::string rest = out.substr(p.size()), t_tag;
    // The path ends at the first ':' (skopeo's split): a tag may hold ':' and '/' (app:v1:x, a REF).
    if (auto colon = rest.find(':'); t.tagged && colon != std::string::npos && colon > 0) t_tag = rest.substr(colon + 1), rest.resize(colon);
    if (rest.empty()) return Error(Exit::usage, spelled + ": no path after '" + p + "'");
    CUSLIM_CHECK(agree(t.format, "'" + p + "'"));
    CUSLIM_CHECK(take_tag(t_tag));
    out = rest;
    return follow_dir_link();
  }
  // LAYOUT:TAG of an existing OCI layout (as an input reads it): that layout, tagged TAG; the
  // layout is the first prefix that is one (a tag may hold ':').
  for (auto colon = out.find(':'); colon != std::string::npos; colon = out.find(':', colon + 1)) {
    std::string dir = out.substr(0, colon);
    if (struct stat st; colon > 0 && ::stat((dir + "/oci-layout").c_str(), &st) == 0) {
      CUSLIM_CHECK(agree(BundleFormat::oci, "an OCI layout's DIR:TAG"));
      CUSLIM_CHECK(take_tag(out.substr(colon + 1)));
      out = dir;
      return follow_dir_link();
    }
  }
  return check_tag();
}

BundleFormat format_from_path(const std::string& out) {
  auto ends = [&](const std::string& s) { return out.size() >= s.size() && out.compare(out.size() - s.size(), s.size(), s) == 0; };
  if (ends(".tar.gz") || ends(".tgz")) return BundleFormat::tar_gz;
  if (ends(".tar.zst")) return BundleFormat::tar_zst;
  if (ends(".oci.tar")) return BundleFormat::oci_archive;
  if (ends(".docker.tar")) return BundleFormat::docker_archive;
  if (ends(".tar")) return BundleFormat::tar;
  return BundleFormat::oci;
}

bool output_names_format(const std::string& out) {
  for (const char* p : {"oci:", "oci-archive:", "docker-archive:", "dir:"})
    if (out.rfind(p, 0) == 0) return true;
  if (is_registry_ref(out)) return true;
  for (const char* e : {".tar", ".tar.gz", ".tgz", ".tar.zst"})
    if (out.ends_with(e)) return true;
  return false;
}

Result<int64_t> source_date_epoch() {
  const char* s = std::getenv("SOURCE_DATE_EPOCH");
  if (!s || !*s) return int64_t{0};
  std::string v(s);
  if (v.size() > 12 || v.find_first_not_of("0123456789") != std::string::npos)
    return Error(Exit::usage, "SOURCE_DATE_EPOCH='" + v + "': not a non-negative integer number of seconds");
  return static_cast<int64_t>(std::stoll(v));
}

Result<BundleResult> bundle(const Analysis& analysis, const BundleRequest& request) {
  const Root& root = analysis.root();
  CUSLIM_CHECK(check_request(request));
  // OUT against the inputs before any work (a -o inside an --include'd tree is refused at once);
  // against every file the plan reads once there is a plan (write_output).
  if (!is_registry_ref(request.out))
    if (auto early = check_out(root, request, Plan{}); !early.ok()) return early.error();
  BundleRequest req = request;
  auto optional_jit = leave_out_optional_jit(analysis, req);  // --no-jit: torch runs without triton
  PlanBuilder builder(root, req.keep_setuid, source_attributes(req));
  for (auto& w : optional_jit) builder.warn(w);
  for (auto& w : req.trace_warnings) builder.warn(w);
  CUSLIM_TRY(auto programs, expand_programs(root, req.targets, program_search_path(req)));  // ELF programs; #! scripts and their interpreters
  CUSLIM_CHECK(add_closures(analysis, req, programs, builder));  // resolve + classify: what the programs load
  CUSLIM_CHECK(add_python_startup(analysis, programs, builder, req));  // Python: what every interpreter start reads
  CUSLIM_CHECK(add_locales(root, req, builder));                  // locale: the data of the locales the Env names
  BundleResult res;
  CUSLIM_TRY(auto python, add_python_distributions(analysis, req, builder));  // Python: used distributions whole
  CUSLIM_TRY(res.jit, add_jit_toolchains(analysis, req, builder));           // JIT: what the frameworks run at run time
  leave_out_driver_files(analysis, req, builder);            // classify: driver files never ship
  builder.raise_cuda_to_built_for(analysis.classifier());  // plan: the CUDA release the shipped libraries need
  CUSLIM_TRY(res.forward_compat, plan_forward_compat(analysis, req.forward_compat, builder));  // cuda-compat: the set, its loader entry
  add_base_and_loader_files(req, builder);              // base: what the base holds; the loader's files
  res.format = req.format;
  res.plan = builder.take();
  name_cuda_families(analysis.classifier(), root, res.plan);  // layers: a CUDA family per layer
  name_distributions(root, res.plan);                         // layers: a large Python distribution per layer
  if (req.base_image) leave_out_base(res.plan, req.base_image->rootfs);
  res.left_to_base = res.plan.left_to_base.size();
  res.python = python_report(std::move(python), root, res.plan);  // report: each distribution, why kept
  if (req.keep_config) CUSLIM_CHECK(check_prune_again(*req.keep_config, req.prune.archs));  // prune: never twice for other GPUs
  CUSLIM_TRY(res.prune, prune_gpu_code(root, res.plan, prune_request(req)));  // prune: GPU code for the listed archs only
  res.config = make_config(res.plan, req, res.forward_compat);  // plan: the image config
  CUSLIM_CHECK(set_architecture(root, res.plan, req, res.config));  // config: the programs' architecture
  drop_env_naming_absent_files(res.config, res.plan, req);  // config: no traced variable names a file the image lacks
  bool llp_given = std::any_of(req.env.begin(), req.env.end(), [](auto& kv) { return kv.rfind("LD_LIBRARY_PATH=", 0) == 0; });
  if (const ForwardCompatData* fc = forward_compat_data(analysis.classifier()); fc && !res.forward_compat.empty() && !llp_given)
    keep_driver_dirs_out_of_llp(root, *fc, res.config.env, res.plan.warnings);  // config: the set stays reachable
  warn_absent_entrypoint(res.plan, req, res.config);                       // config: an --entrypoint the image lacks is said
  if (req.format == BundleFormat::dir || req.format == BundleFormat::tar || req.format == BundleFormat::tar_gz || req.format == BundleFormat::tar_zst)
    if (auto w = config_not_carried(res.config, req)) res.plan.warnings.push_back(*w);  // config: a rootfs output has none
  if (!res.prune.archs.empty())
    if (auto w = record_pruned_archs(res.config, res.prune.archs, res.prune.bytes_zeroed > 0, res.prune.lost_for)) res.prune.warnings.push_back(*w);
  add_size_stats(res);                                  // report: files and bytes per class
  if (req.report_contents) res.groups = kept_groups(FileGrouper(root, analysis.classifier(), plan_files(res.plan), generated_files(res.plan)), req, res);
  CUSLIM_CHECK(write_output(root, req, res));           // write: layer, image, atomically
  return res;
}

// A traced run that imported from a user site (~/.local/lib/python3.X/site-packages, found through
// $HOME, which the image's /etc/passwd does not give): the image's Env names that user base
// (PYTHONUSERBASE), so the interpreter finds the same site dir, unless the trace set one itself.
void add_user_site_base(BundleRequest& req) {
  if (std::any_of(req.traced_env.begin(), req.traced_env.end(), [](auto& e) { return e.rfind("PYTHONUSERBASE=", 0) == 0; })) return;
  // BASE/lib/pythonX.Y/site-packages/... where BASE is an absolute path ending in /.local (string
  // work, not std::regex: a trace's paths can be of any length, and std::regex recurses per byte).
  // The last such base (a .local nested in a site dir is the deeper one), on one line.
  auto user_base = [](const std::string& f) -> std::optional<std::string> {
    static const std::string mark = "/.local/lib/python";
    std::optional<std::string> found;
    for (size_t at = f.find(mark); at != std::string::npos; at = f.find(mark, at + 1)) {
      if (f.find_first_of("\r\n") < at) break;
      size_t i = at + mark.size(), major = i;
      while (i < f.size() && std::isdigit(static_cast<unsigned char>(f[i]))) ++i;
      if (i == major || i >= f.size() || f[i] != '.') continue;
      size_t minor = ++i;
      while (i < f.size() && std::isdigit(static_cast<unsigned char>(f[i]))) ++i;
      if (i == minor || f.compare(i, 15, "/site-packages/") != 0 || f[0] != '/' || at == 0) continue;
      found = f.substr(0, at + 7);  // through "/.local"
    }
    return found;
  };
  for (auto& f : req.traced_files)
    if (auto base = user_base(f); base && valid_utf8(*base)) {
      req.traced_env.push_back("PYTHONUSERBASE=" + *base);
      return;
    }
}

Status add_trace_files(BundleRequest& req, const std::vector<std::string>& trace_files, const Root& root) {
  req.trace_without_files = !trace_files.empty();  // until one trace has file events
  for (auto& tf : trace_files) {
    CUSLIM_TRY(auto t, read_trace(tf));
    if (!t.files.empty() || !t.looked_at.empty()) req.trace_without_files = false;
    req.traced_programs.insert(req.traced_programs.end(), t.executed.begin(), t.executed.end());  // as run: bin/python3, not python3.11
    // A launcher's `exec python` found python on the run's PATH: that directory goes on the
    // image's PATH, in the run's order.
    if (auto it = t.env.find("PATH"); it != t.env.end())
      for (auto& d : path::split_list(it->second))
        if (std::any_of(t.executed.begin(), t.executed.end(), [&](auto& e) { return path::dirname(e) == d; }) &&
            std::find(req.traced_path_dirs.begin(), req.traced_path_dirs.end(), d) == req.traced_path_dirs.end() && valid_utf8(d))
          req.traced_path_dirs.push_back(d);
    if (req.traced_cwd.empty() && valid_utf8(t.cwd)) req.traced_cwd = t.cwd;  // an image config carries UTF-8 only
    // What the traced run mapped, minus the programs themselves and what is gone since (a JIT
    // framework's module built in a cold cache that the trace removed afterwards).
    for (auto& p : t.opened)
      if (!t.programs.count(p) && root.stat(p)) req.traced.push_back(p);
    // The program each process ran, as the loader saw it: besides the paths execve was given, the
    // ones the kernel loaded itself (a #! script's interpreter, `/usr/bin/env`), which no file event shows.
    if (!t.files.empty())
      for (auto& p : t.programs)
        if (auto st = root.stat(p); st && S_ISREG(st->st_mode) && p.rfind("/.cuslim/", 0) != 0) req.traced_files.push_back(p);
    size_t files = 0, absent = 0;
    std::string example;
    for (auto& f : packable_files(t)) {
      ++files;
      if (!root.stat(f)) {
        if (!absent++) example = f;
        continue;
      }
      req.traced_files.push_back(f);
      // Time zones are data looked up by name at run time (TZ, zoneinfo.ZoneInfo("...")): a run that
      // read one zone ships the whole database (a few MB), as slim's keep-set keeps it.
      for (const char* tzdir : {"/usr/share/zoneinfo"})
        if (f.rfind(std::string(tzdir) + "/", 0) == 0 && std::find(req.includes.begin(), req.includes.end(), tzdir) == req.includes.end())
          req.includes.push_back(tzdir);
      // Python's codecs are looked up by the locale's name at start-up: the package ships whole,
      // with os.py, the landmark by which the interpreter finds its standard library.
      if (std::string dir = path::dirname(f); path::basename(dir) == "encodings" && f.ends_with(".py") &&
          std::find(req.includes.begin(), req.includes.end(), dir) == req.includes.end()) {
        req.includes.push_back(dir);
        if (std::string os_py = path::join(path::dirname(dir), "os.py"); root.stat(os_py)) req.includes.push_back(os_py);
      }
    }
    // slim: a trace of another tree (the host's ~/proj/.venv against an image's /opt/venv) matches
    // little of the image, and the image would lose what its program needs: said, not silent.
    if (req.keep_config && files && absent * 2 > files)
      req.trace_warnings.push_back(tf + ": " + std::to_string(absent) + " of the " + std::to_string(files) +
                                   " files the traced run used are not in the image (" + example +
                                   ", ...): a trace of another tree or another image? What the image's program needs may be dropped");
    std::string locpath = t.env.count("LOCPATH") ? t.env.at("LOCPATH") : "";
    for (auto& kv : image_env_from_trace(t.env, [&](const std::string& n) { return locale_data(root, n, locpath).has_value(); })) {
      std::string key = kv.substr(0, kv.find('=') + 1);
      // slim: a locale the image has no data for would make setlocale() fail where the input ran
      // without it (the host's trace named it): left out, and said.
      if (auto names = locale_names({kv}); req.keep_config && !names.empty() && !locale_data(root, names.front(), locpath)) {
        req.traced_env_dropped.push_back(kv);
        continue;
      }
      std::erase_if(req.traced_env, [&](auto& e) { return e.rfind(key, 0) == 0; });
      req.traced_env.push_back(kv);
    }
  }
  add_user_site_base(req);
  return ok_status();
}

}  // namespace cuslim
