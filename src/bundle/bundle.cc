#include "bundle/bundle.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "core/atomic_output.h"
#include "core/path.h"
#include "core/exec_path.h"
#include "bundle/layer_cache.h"
#include "loader/ld_cache.h"

namespace cuslim {

namespace {

// ELF files under the --include paths bring their own closures.
std::vector<std::string> elf_includes(const Root& root, const Plan& plan, const std::vector<std::string>& includes) {
  std::set<std::string> roots;
  for (auto& inc : includes) roots.insert(path::normalize(inc));
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

std::string rfc3339(int64_t t) {
  char buf[32];
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm;
  gmtime_r(&tt, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

ImageConfig make_config(const Plan& plan, const BundleRequest& req) {
  if (req.keep_config) {  // slim: the image's own config, with our history entry
    ImageConfig c = *req.keep_config;
    c.created = rfc3339(req.mtime);
    if (c.history.empty()) c.history = "cuslim slim";
    return c;
  }
  ImageConfig c;
  c.created = rfc3339(req.mtime);
  c.env.push_back(std::string("PATH=") + kDefaultPath);
  if (!plan.lib_dirs.empty()) {
    std::string llp = "LD_LIBRARY_PATH=";
    for (size_t i = 0; i < plan.lib_dirs.size(); ++i) llp += (i ? ":" : "") + plan.lib_dirs[i];
    c.env.push_back(llp);
  }
  c.env.push_back("NVIDIA_VISIBLE_DEVICES=all");
  c.env.push_back("NVIDIA_DRIVER_CAPABILITIES=compute,utility");
  if (plan.cuda) c.env.push_back("NVIDIA_REQUIRE_CUDA=cuda>=" + plan.cuda->str(2));
  for (auto& kv : req.env) {  // --env K=V replaces K
    std::string key = kv.substr(0, kv.find('='));
    c.env.erase(std::remove_if(c.env.begin(), c.env.end(), [&](auto& e) { return e.rfind(key + "=", 0) == 0; }), c.env.end());
    c.env.push_back(kv);
  }
  if (req.entrypoint) c.entrypoint = {*req.entrypoint};
  else if (!plan.executables.empty()) c.entrypoint = {plan.executables.front()};
  c.history = "cuslim bundle (base " + req.base + ")";
  if (req.base_image) {  // the base's Env and Entrypoint stay unless --env / --entrypoint say otherwise
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
    if (!req.entrypoint && !b.entrypoint.empty()) c.entrypoint = b.entrypoint;
    c.cmd = req.entrypoint ? std::vector<std::string>{} : b.cmd;
    c.working_dir = b.working_dir;
    c.user = b.user;
    for (auto& [k, v] : b.labels) c.labels.emplace(k, v);
  }
  c.labels["org.opencontainers.image.base.name"] = req.base;
  return c;
}

Status write_dir(const Root& root, const Plan& plan, const std::string& out) {
  namespace fs = std::filesystem;
  fs::create_directories(out);
  for (auto& [p, item] : plan.items) {
    std::string dst = out + p;
    std::error_code ec;
    switch (item.type) {
      case LayerEntry::dir: fs::create_directories(dst, ec); break;
      case LayerEntry::symlink: fs::create_symlink(item.target, dst, ec); break;
      case LayerEntry::file:
        if (!item.content.empty() || item.size == 0) {
          std::ofstream(dst, std::ios::binary) << item.content;
        } else {
          fs::copy_file(plan_source(root, p), dst, fs::copy_options::overwrite_existing, ec);
        }
        if (!ec) ::chmod(dst.c_str(), item.mode);
        break;
    }
    if (ec) return Error::from_errno(dst, ec.value()).wrap("writing dir bundle");
  }
  return ok_status();
}

// Drops plan items the base image already holds (same type; same size or same link target).
uint64_t leave_out_base(Plan& plan, const std::string& base_rootfs) {
  uint64_t n = 0;
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
      n += item.type == LayerEntry::file;
      it = plan.items.erase(it);
    } else {
      ++it;
    }
  }
  return n;
}

// Packs the layer into layout, or -- when `previous` (an existing OCI dir at OUT) already holds
// the blob for the same inputs -- links that blob instead of packing again.
Result<LayerBlob> write_or_reuse_layer(const std::vector<LayerEntry>& entries, const LayerOptions& lo, const std::string& layout,
                                       const std::string& previous) {
  std::string key = layer_key(entries, lo);
  if (!previous.empty())
    if (auto cached = cached_layer(previous, key)) {
      std::string from = blob_path(previous, cached->digest), to = blob_path(layout, cached->digest);
      std::error_code ec;
      if (::link(from.c_str(), to.c_str()) != 0) std::filesystem::copy_file(from, to, ec);
      if (!ec) {
        record_layer(layout, key, *cached);
        return *cached;
      }
    }
  std::string tmp_blob = layout + "/blobs/sha256/.layer.tmp";
  CUSLIM_TRY(auto layer, write_layer(entries, tmp_blob, lo));
  if (::rename(tmp_blob.c_str(), blob_path(layout, layer.digest).c_str()) != 0) return Error::from_errno(tmp_blob, errno);
  record_layer(layout, key, layer);
  return layer;
}

}  // namespace

std::optional<BundleFormat> parse_format(const std::string& s) {
  static const std::map<std::string, BundleFormat> m = {{"dir", BundleFormat::dir}, {"tar", BundleFormat::tar},
      {"tar.gz", BundleFormat::tar_gz}, {"tar.zst", BundleFormat::tar_zst}, {"oci", BundleFormat::oci},
      {"oci-archive", BundleFormat::oci_archive}, {"docker-archive", BundleFormat::docker_archive}};
  auto it = m.find(s);
  if (it == m.end()) return std::nullopt;
  return it->second;
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

BundleFormat format_from_path(const std::string& out) {
  auto ends = [&](const std::string& s) { return out.size() >= s.size() && out.compare(out.size() - s.size(), s.size(), s) == 0; };
  if (ends(".tar.gz") || ends(".tgz")) return BundleFormat::tar_gz;
  if (ends(".tar.zst")) return BundleFormat::tar_zst;
  if (ends(".oci.tar")) return BundleFormat::oci_archive;
  if (ends(".docker.tar")) return BundleFormat::docker_archive;
  if (ends(".tar")) return BundleFormat::tar;
  return BundleFormat::oci;
}

Result<int64_t> source_date_epoch() {
  const char* s = std::getenv("SOURCE_DATE_EPOCH");
  if (!s || !*s) return int64_t{0};
  std::string v(s);
  if (v.size() > 12 || v.find_first_not_of("0123456789") != std::string::npos)
    return Error(Exit::usage, "SOURCE_DATE_EPOCH='" + v + "': not a non-negative integer number of seconds");
  return static_cast<int64_t>(std::stoll(v));
}

Result<BundleResult> bundle(const Root& root, const Resolve& resolve, const BundleRequest& req) {
  if (req.targets.empty() && req.includes.empty() && req.traced.empty() && req.traced_files.empty()) return Error(Exit::usage, "bundle: nothing to pack (give a TARGET or --include)");
  if (req.base_image && req.format != BundleFormat::oci && req.format != BundleFormat::oci_archive && req.format != BundleFormat::docker_archive)
    return Error(Exit::usage, "--base IMAGE: the output must be an image (oci, oci-archive, docker-archive), not " + format_name(req.format));
  if (req.base_image && req.base_image->layers.empty())
    return Error(Exit::usage, "--base: only an OCI layout or oci-archive can be a base image (its layers are appended as they are)");
  PlanBuilder builder(root, req.keep_setuid);
  // 1. The closure of the targets, classified.
  if (!req.targets.empty()) {
    CUSLIM_TRY(auto g, resolve(req.targets, {}));
    if (!g.missing.empty())
      return Error(Exit::check_failed, g.missing[0].needed_by + ": " + g.missing[0].name + ": not found (cuslim deps shows what was tried)");
    builder.add_graph(g);
  }
  // 2. --include paths, and the closures of the ELF files among them.
  for (auto& inc : req.includes) CUSLIM_CHECK(builder.add_include(inc));
  auto elfs = elf_includes(root, builder.plan(), req.includes);
  if (!elfs.empty()) {
    CUSLIM_TRY(auto g, resolve(elfs, {}));
    builder.add_graph(g, false);  // included files are not entrypoints
  }
  // 2b. Objects a trace saw mapped: they join the graph (how: trace) with their own closures.
  if (!req.traced.empty()) {
    CUSLIM_TRY(auto g, resolve(req.traced, {}));
    for (auto& o : g.objects)
      if (o.root) o.how = How::trace;
    builder.add_graph(g, false);
  }
  for (auto& f : req.traced_files)  // files the traced run opened: as they are (regular files only)
    if (auto st = root.stat(f); st && S_ISREG(st->st_mode)) CUSLIM_CHECK(builder.add_include(f));
  // 3. What the host driver will load from the image (libm, libdl, ... for libcuda).
  if (req.base == "scratch" && !req.targets.empty() && !req.driver_needs.empty()) {
    std::string first = req.targets.front();
    CUSLIM_TRY(auto g, resolve({first}, req.driver_needs));
    builder.add_graph(g, false);
  }
  // 4. Loader files so the programs run with no environment.
  bool base_has_conf = false;
  if (req.base_image) {  // keep what the base's own cache knows
    Root base(req.base_image->rootfs);
    base_has_conf = base.stat("/etc/ld.so.conf").has_value();
    if (auto real = base.realpath("/etc/ld.so.cache"))
      if (auto c = LdCache::read(base.host_path(*real), "base /etc/ld.so.cache"); c.ok()) {
        std::vector<CacheLib> libs;
        for (auto& e : c->entries())
          if (e.hwcaps_subdir.empty()) libs.push_back({e.key, e.value, e.flags});
        builder.add_cache_entries(libs);
      }
  }
  if (req.generate_loader_files) {
    builder.add_loader_files(!base_has_conf);
    if (req.base == "scratch") builder.add_scratch_files();
  }
  BundleResult res;
  res.plan = builder.take();
  if (req.base_image) res.left_to_base = leave_out_base(res.plan, req.base_image->rootfs);
  res.config = make_config(res.plan, req);
  auto entries = layer_entries(root, res.plan);
  uint64_t total = 0;
  for (auto& e : entries) total += e.size;
  for (auto& [p, item] : res.plan.items)
    if (item.type == LayerEntry::file) {
      ++res.files;
      res.bytes += item.size;
      res.bytes_by_class[item.cls] += item.size;
      res.largest.push_back({p, item.size});
    }
  std::sort(res.largest.begin(), res.largest.end(), [](auto& a, auto& b) { return a.second > b.second; });
  if (res.largest.size() > 10) res.largest.resize(10);
  // 5. Write, atomically.
  AtomicOutput out(req.out);
  LayerOptions lo;
  lo.mtime = req.mtime;
  uint64_t done = 0;
  if (req.progress) lo.progress = [&](uint64_t n) { req.progress(done += n, total); };
  switch (req.format) {
    case BundleFormat::dir: CUSLIM_CHECK(write_dir(root, res.plan, out.temp())); break;
    case BundleFormat::tar:
    case BundleFormat::tar_gz:
    case BundleFormat::tar_zst: {
      lo.compression = req.format == BundleFormat::tar ? Compression::none : req.format == BundleFormat::tar_gz ? Compression::gzip : Compression::zstd;
      CUSLIM_TRY(auto layer, write_layer(entries, out.temp(), lo));
      res.layer = layer;
      break;
    }
    case BundleFormat::oci:
    case BundleFormat::oci_archive:
    case BundleFormat::docker_archive: {
      lo.compression = req.compression;
      std::string layout = req.format == BundleFormat::oci ? out.temp() : out.temp() + ".layout";
      std::filesystem::create_directories(layout + "/blobs/sha256");
      CUSLIM_TRY(auto layer, write_or_reuse_layer(entries, lo, layout, req.format == BundleFormat::oci ? req.out : ""));
      res.layer = layer;
      ImageBuild b{res.config, {}, req.tag};
      if (req.base_image) {  // the base's blobs as they are, then ours
        for (auto& l : req.base_image->layers) {
          std::string to = blob_path(layout, l.info.digest);
          std::error_code ec;
          if (::link(l.blob.c_str(), to.c_str()) != 0) std::filesystem::copy_file(l.blob, to, std::filesystem::copy_options::overwrite_existing, ec);
          if (ec) return Error::from_errno(l.blob, ec.value()).wrap("copying a base layer");
          b.layers.push_back(l.info);
        }
        b.base_history = req.base_image->history_json;
      }
      b.layers.push_back(layer);
      CUSLIM_TRY(auto w, write_oci_layout(layout, b));
      res.image = w;
      if (req.format != BundleFormat::oci) {
        auto st = write_layout_archive(layout, out.temp(), req.format == BundleFormat::docker_archive, b, w, req.mtime);
        remove_tree(layout);
        CUSLIM_CHECK(st);
      }
      break;
    }
  }
  CUSLIM_CHECK(out.commit());
  return res;
}

}  // namespace cuslim
