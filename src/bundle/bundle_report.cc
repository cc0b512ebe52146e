#include "bundle/bundle_report.h"

#include <algorithm>
#include <map>
#include <iomanip>
#include <sstream>

#include "bundle/slim_image.h"
#include "core/plural.h"
#include "core/units.h"

namespace cuslim {

namespace {

std::string mb(uint64_t b) { return human_bytes(b); }  // kB/MB/GB as fits, as every summary

}  // namespace

std::optional<uint64_t> written_stored_bytes(const BundleResult& r) {
  if (r.layers.empty()) return r.layer ? std::optional<uint64_t>(r.layer->size) : std::nullopt;
  uint64_t sum = 0;
  for (auto& [group, l] : r.layers) sum += l.size;
  return sum;
}

nlohmann::json prune_report_json(const PruneReport& p, std::optional<uint64_t> written_stored_bytes) {
  nlohmann::json j{{"archs", p.archs}, {"bytes_zeroed", p.bytes_zeroed}, {"nvidia_libraries_pruned", p.nvidia_pruned}, {"measured", p.measured},
                   {"warnings", p.warnings}};
  uint64_t saved = 0;
  std::map<std::string, uint64_t> by_arch;  // summed over the files: the per-arch view of reports
  for (auto& f : p.files)
    for (auto& [arch, b] : f.stats.zeroed_by_arch) by_arch[arch] += b;
  j["zeroed_by_arch"] = by_arch;
  auto& files = j["files"] = nlohmann::json::array();
  for (auto& f : p.files) {
    nlohmann::json x = to_json(f.stats);
    x["path"] = f.path, x["nvidia"] = f.nvidia, x["pruned"] = f.pruned, x["size"] = f.size;
    if (!f.why.empty()) x["why"] = f.why;
    if (p.measured && f.pruned) {
      x["stored_before"] = f.stored_before, x["stored_after"] = f.stored_after;
      saved += f.stored_before - std::min(f.stored_before, f.stored_after);
    }
    files.push_back(std::move(x));
  }
  if (written_stored_bytes) {
    j["layer_stored_bytes"] = *written_stored_bytes;
    if (p.measured) j["layer_stored_bytes_without_pruning"] = *written_stored_bytes + saved;  // from the pruned files' own compressed sizes
  }
  return j;
}

void prune_summary(const PruneReport& p, std::ostream& out) {
  if (p.archs.empty()) return;
  size_t pruned = 0, whole = 0;
  uint64_t untouched = 0;
  for (auto& f : p.files) {
    pruned += f.pruned;
    if (f.nvidia && !f.pruned && f.why.find("--no-prune-nvidia") != std::string::npos) {  // not looked into at all
      ++whole;
      continue;
    }
    for (auto& e : f.stats.not_indexed) untouched += e.section_size;
  }
  std::string archs;
  for (auto a : p.archs) archs += (archs.empty() ? "sm_" : ",sm_") + std::to_string(a);
  out << "  gpu-arch " << archs << ": " << mb(p.bytes_zeroed) << " of GPU code zeroed in " << pruned << " of " << p.files.size()
      << " files with GPU code";
  if (untouched) out << "; " << mb(untouched) << " in library-private stores (.ldata) left untouched";
  if (whole) out << "; " << count_of(whole, "NVIDIA library", "NVIDIA libraries") << " left whole (--no-prune-nvidia)";
  out << "\n";
  std::vector<const PrunedFile*> top;
  for (auto& f : p.files)
    if (f.pruned) top.push_back(&f);
  std::sort(top.begin(), top.end(), [](auto* a, auto* b) { return a->stats.bytes_zeroed > b->stats.bytes_zeroed; });
  for (size_t i = 0; i < top.size() && i < 8; ++i) {
    out << "    " << std::left << std::setw(10) << mb(top[i]->stats.bytes_zeroed) << " of " << std::setw(10) << mb(top[i]->size) << top[i]->path;
    if (p.measured) out << "  (stored " << mb(top[i]->stored_before) << " -> " << mb(top[i]->stored_after) << ")";
    out << "\n";
  }
  if (p.nvidia_pruned)
    out << "  notice: " << count_of(p.nvidia_pruned, "NVIDIA library", "NVIDIA libraries") << " pruned; NVIDIA's licence limits modifying them -- see the README (--no-prune-nvidia leaves them whole)\n";
}

nlohmann::json bundle_report_json(const BundleResult& r) {
  nlohmann::json j{{"format", format_name(r.format)}, {"files", r.files}, {"bytes", r.bytes}};
  j["bytes_by_class"] = nlohmann::json::object();
  for (auto& [cls, bytes] : r.bytes_by_class) j["bytes_by_class"][to_string(cls)] = bytes;
  j["left_to_host_driver"] = r.plan.dropped_driver;
  j["left_to_base"] = r.left_to_base;
  j["left_to_base_files"] = r.plan.left_to_base;
  j["warnings"] = r.plan.warnings;
  if (r.image) j["manifest"] = r.image->manifest.str();
  if (r.pushed)
    j["pushed"] = {{"reference", r.pushed->pushed}, {"digest", r.pushed->manifest.str()},
                   {"blobs_uploaded", r.pushed->blobs_uploaded}, {"bytes_uploaded", r.pushed->bytes_uploaded},
                   {"blobs_skipped", r.pushed->blobs_skipped}, {"bytes_skipped", r.pushed->bytes_skipped},
                   {"blobs_mounted", r.pushed->blobs_mounted}, {"bytes_mounted", r.pushed->bytes_mounted}};
  auto& py = j["python"]["distributions"] = nlohmann::json::array();
  for (auto& d : r.python)
    py.push_back({{"name", d.name}, {"version", d.version}, {"site", d.site}, {"kept", d.kept}, {"reason", d.reason},
                  {"files", d.files}, {"bytes", d.bytes}, {"left_out_files", d.left_out}});
  if (r.layer) j["layer"] = {{"digest", r.layer->digest.str()}, {"stored_bytes", r.layer->size}, {"uncompressed_bytes", r.layer->uncompressed}};
  if (!r.prune.archs.empty()) j["gpu_prune"] = prune_report_json(r.prune, written_stored_bytes(r));
  j["jit"] = nlohmann::json::array();
  for (auto& a : r.jit)
    j["jit"].push_back({{"framework", a.framework}, {"found", a.found}, {"missing", a.missing}, {"added_files", a.files}, {"added_bytes", a.bytes},
                        {"consequence", a.consequence}});
  j["forward_compat"] = nlohmann::json::array();
  for (auto& f : r.forward_compat)
    j["forward_compat"].push_back({{"dir", f.dir}, {"package", f.package}, {"version", f.version}, {"cuda_version", f.cuda},
                                   {"branches", f.branches}, {"branches_from_note", f.from_note}, {"reason", f.reason},
                                   {"files", f.files}, {"bytes", f.bytes}});
  return j;
}

void forward_compat_summary(const std::vector<ForwardCompatShipped>& sets, std::ostream& out) {
  for (auto& f : sets) {
    out << "  forward-compat: " << f.dir << " (" << f.package << ", libcuda " << f.version << ", branches";
    for (size_t i = 0; i < f.branches.size(); ++i) out << (i ? ", " : " ") << f.branches[i];
    out << "; " << count_of(f.files, "file") << ", " << mb(f.bytes) << "): " << f.reason << "; used only where the host driver is older and its branch listed\n";
  }
}

void jit_summary(const std::vector<JitAdded>& jit, std::ostream& out) {
  for (auto& a : jit) {
    out << "  jit: " << a.framework << " toolchain added " << mb(a.bytes) << " (" << count_of(a.files, "file") << ")";
    for (size_t i = 0; i < a.found.size(); ++i) out << (i ? "; " : ": ") << a.found[i];
    if (!a.missing.empty()) {
      out << "; MISSING:";
      for (auto& m : a.missing) out << " " << m;
    }
    out << "\n";
  }
}

void python_summary(const std::vector<DistributionReport>& dists, std::ostream& out) {
  if (dists.empty()) return;
  uint64_t kept = 0, kept_bytes = 0, dropped = 0, dropped_bytes = 0;
  for (auto& d : dists) (d.kept ? kept : dropped) += 1, (d.kept ? kept_bytes : dropped_bytes) += d.bytes;
  out << "  python: " << kept << " distributions kept (" << mb(kept_bytes) << "), " << dropped << " dropped (" << mb(dropped_bytes) << ")\n";
  std::vector<const DistributionReport*> sorted;
  for (auto& d : dists) sorted.push_back(&d);
  std::stable_sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->kept != b->kept ? a->kept : a->bytes > b->bytes; });
  std::map<std::string, int> same_name;  // a name in two site dirs (a venv over the system's) says which
  for (auto& d : dists) ++same_name[d.name + " " + d.version];
  for (size_t i = 0; i < sorted.size() && i < 12; ++i) {
    auto* d = sorted[i];
    out << "    " << (d->kept ? "kept    " : "dropped ") << std::left << std::setw(10) << mb(d->bytes) << d->name << " " << d->version
        << (same_name[d->name + " " + d->version] > 1 ? " in " + d->site : "") << " (" << d->reason << ")\n";
  }
  if (sorted.size() > 12) out << "    ... " << sorted.size() - 12 << " more in --report FILE.json\n";
}

void layers_summary(const BundleResult& r, std::ostream& out) {
  for (auto& l : r.reused_layers)
    out << "  layer " << std::left << std::setw(11) << "input" << l.digest.str() << " (" << human_bytes(l.size) << " stored, kept whole from the input)\n";
  if (!r.layers.empty())  // one line per layer, named by its group, however many there are
    for (auto& [name, l] : r.layers)
      out << "  layer " << std::left << std::setw(11) << (name + " ") << l.digest.str() << " (" << human_bytes(l.size) << " stored)\n";  // a long name (py-jax-cuda13-pjrt) still ends in a space
  else if (r.layer)  // a tar output: the one layer its tree makes
    out << "  layer " << std::left << std::setw(11) << "image" << r.layer->digest.str() << " (" << human_bytes(r.layer->size) << " stored, diff_id "
        << r.layer->diff_id.str() << ")\n";
  if (r.image) out << "  manifest " << r.image->manifest.str() << "\n";
}

void bundle_summary(const BundleResult& r, const BundleRequest& req, std::ostream& out, const std::string& command) {
  out << command << " " << req.out << " (" << format_name(req.format) << "): " << count_of(r.files, "file") << ", " << human_bytes(r.bytes) << "\n";
  for (auto& [cls, bytes] : r.bytes_by_class) out << "  " << std::left << std::setw(16) << to_string(cls) << human_bytes(bytes) << "\n";
  out << "  largest:\n";
  for (auto& [p, size] : r.largest) out << "    " << std::setw(10) << human_bytes(size) << p << "\n";
  if (!r.plan.dropped_driver.empty()) {
    out << "  left to the host driver:";
    for (auto& d : r.plan.dropped_driver) out << " " << d;
    out << "\n";
  }
  layers_summary(r, out);
  if (!r.config.entrypoint.empty()) out << "  entrypoint " << r.config.entrypoint[0] << "\n";
  if (r.left_to_base)  // an image given as --base, or a base profile (files its image is said to hold)
    out << "  " << count_of(r.left_to_base, "file") << " left to the base " << (!r.base_layers.empty() ? "image" : "(profile " + req.base + ")") << "\n";
  python_summary(r.python, out);
  jit_summary(r.jit, out);
  forward_compat_summary(r.forward_compat, out);
  prune_summary(r.prune, out);
}

void slim_summary(const SlimResult& s, std::ostream& out) {
  auto& r = s.bundle;
  uint64_t total = 0, files = 0;
  for (auto& [c, n] : s.before) total += n.bytes, files += n.files;
  out << "slim: " << mb(total) << " (" << count_of(files, "file") << ") -> " << mb(r.bytes) << " (" << count_of(r.files, "file") << ")";
  if (r.bytes) out << ", " << std::fixed << std::setprecision(1) << static_cast<double>(total) / static_cast<double>(r.bytes) << "x smaller";
  out << "\n  " << std::left << std::setw(16) << "class" << std::setw(24) << "before" << "kept\n";
  for (auto& [c, n] : s.before) {
    auto kept = r.bytes_by_class.count(c) ? r.bytes_by_class.at(c) : 0;
    out << "  " << std::left << std::setw(16) << to_string(c) << std::setw(24) << (count_of(n.files, "file") + ", " + mb(n.bytes)) << mb(kept) << "\n";
  }
  out << "  largest kept:\n";
  for (auto& [p, size] : r.largest) out << "    " << std::setw(10) << mb(size) << p << "\n";
  for (auto& d : r.plan.dropped_driver) out << "  left to the host driver: " << d << "\n";
  layers_summary(r, out);
  python_summary(r.python, out);
  jit_summary(r.jit, out);
  forward_compat_summary(r.forward_compat, out);
  prune_summary(r.prune, out);
}

}  // namespace cuslim
