#include "bundle/layer_split.h"

#include <map>
#include <set>

#include "core/path.h"
#include "python/distribution.h"

namespace cuslim {

namespace {

// Bottom to top: the rank of a group name. "cuda-<family>" groups sit between system and
// frameworks, in name order.
enum Rank { kSystem, kCuda, kDistributions, kFrameworks, kApp };

// A Python distribution this large gets a layer of its own (torch, nvidia-cublas, triton); smaller
// ones share the frameworks layer.
constexpr uint64_t kOwnLayerBytes = 32ull << 20;

bool in_site_dir(const std::string& p) {
  return p.find("/site-packages/") != std::string::npos || p.find("/dist-packages/") != std::string::npos;
}

// FROM scratch every shipped object is class app, so the base system is also named here: glibc's
// libraries and the ELF interpreter (any version, any links to them), the GCC runtime. Data, like
// the glibc profile's names; kept here because the plan no longer knows which rule matched.
bool base_system_name(const std::string& base) {
  static const char* kPrefixes[] = {"ld-linux", "libc.so.", "libm.so.", "libdl.so.", "libpthread.so.", "librt.so.", "libresolv.so.",
                                    "libnss_", "libutil.so.", "libanl.so.", "libmvec.so.", "libthread_db.so.", "libc_malloc_debug.so.",
                                    "libBrokenLocale.so.", "libnsl.so.", "libcrypt.so.", "libstdc++.so.", "libgcc_s.so."};
  for (const char* pre : kPrefixes)
    if (base.rfind(pre, 0) == 0) return true;
  return false;
}

// The group of a non-directory entry: {rank, name}. A CUDA library outside site dirs goes to its
// family's own layer ("cuda-cublas"), so adding one library to an image leaves the others' layers as they were.
std::pair<Rank, std::string> group_of(const std::string& p, const PlanItem& item, const Plan& plan) {
  if (!item.content.empty()) return {kApp, "app"};  // generated from the whole image
  if (item.cls == ObjectClass::system || ((item.cls == ObjectClass::app) && base_system_name(path::basename(p)) && !in_site_dir(p)))
    return {kSystem, "system"};
  if (auto d = plan.distributions.find(p); d != plan.distributions.end()) return {kDistributions, "py-" + d->second};
  if (item.cls == ObjectClass::cuda || item.cls == ObjectClass::forward_compat) {
    if (in_site_dir(p)) return {kFrameworks, "frameworks"};
    auto f = plan.families.find(p);
    return {kCuda, f == plan.families.end() || f->second.empty() ? "cuda" : "cuda-" + f->second};
  }
  if (in_site_dir(p)) return {kFrameworks, "frameworks"};
  return {kApp, "app"};
}

}  // namespace

void name_cuda_families(const Classifier& classifier, const Root& root, Plan& plan) {
  for (auto& [p, item] : plan.items) {
    if (item.type == LayerEntry::dir || (item.cls != ObjectClass::cuda && item.cls != ObjectClass::forward_compat) || in_site_dir(p)) continue;
    std::string real = root.realpath(p).value_or(p);
    std::string rule = classifier.classify(p, real, std::nullopt, path::basename(p)).rule;
    if (auto colon = rule.find(':'); colon != std::string::npos && colon + 1 < rule.size()) plan.families[p] = rule.substr(colon + 1);
  }
}

void name_distributions(const Root& root, Plan& plan) {
  std::vector<std::string> paths;
  for (auto& [p, item] : plan.items)
    if (item.type != LayerEntry::dir && in_site_dir(p)) paths.push_back(p);
  for (auto& site : site_dirs_of(paths))
    for (auto& d : read_site_dir(root, site)) {
      uint64_t bytes = 0;
      std::vector<std::string> shipped;
      for (auto& f : d.files)
        if (auto it = plan.items.find(f); it != plan.items.end() && it->second.type != LayerEntry::dir && it->second.content.empty())
          shipped.push_back(f), bytes += it->second.size;
      if (bytes < kOwnLayerBytes) continue;
      for (auto& f : shipped) plan.distributions[f] = d.key;
    }
}

std::optional<LayerSplit> parse_layer_split(const std::string& s) {
  if (s == "single") return LayerSplit::single;
  if (s == "auto") return LayerSplit::auto_split;
  return std::nullopt;
}

std::vector<LayerGroup> layer_groups(const Root& root, const Plan& plan, LayerSplit split) {
  auto all = layer_entries(root, plan);
  if (split == LayerSplit::single) return {{"image", std::move(all)}};
  // Every non-directory entry goes to its group, and the directories above it with it.
  using Key = std::pair<Rank, std::string>;
  std::map<std::string, Key> group;            // entry name -> group, non-directories
  std::map<Key, std::set<std::string>> dirs_of;  // group -> the directories above its entries
  for (auto& [p, item] : plan.items) {
    if (item.type == LayerEntry::dir) continue;
    Key g = group_of(p, item, plan);
    group[p.substr(1)] = g;
    auto& dirs = dirs_of[g];
    for (std::string d = path::dirname(p); d != "/" && !d.empty(); d = path::dirname(d)) dirs.insert(d.substr(1));
  }
  const Key app{kApp, "app"};
  dirs_of[app];  // an empty directory (/tmp) is the application's
  std::map<Key, LayerGroup> out;
  for (auto& [g, _] : dirs_of) out[g].name = g.second;
  for (auto& e : all) {  // in the plan's (sorted) order
    if (e.type != LayerEntry::dir) {
      out[group.at(e.name)].entries.push_back(e);
      continue;
    }
    bool placed = false;
    for (auto& [g, dirs] : dirs_of)
      if (dirs.count(e.name)) out[g].entries.push_back(e), placed = true;
    if (!placed) out[app].entries.push_back(e);
  }
  std::vector<LayerGroup> layers;  // bottom first: the map's order is the rank, then the name
  for (auto& [_, g] : out)
    if (!g.entries.empty()) layers.push_back(std::move(g));
  return layers;
}

}  // namespace cuslim
