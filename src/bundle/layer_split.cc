#include "bundle/layer_split.h"

#include <map>
#include <set>

#include "core/path.h"

namespace cuslim {

namespace {

enum Group { kSystem, kCuda, kFrameworks, kApp, kGroups };
const char* kNames[] = {"system", "cuda", "frameworks", "app"};

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

Group group_of(const std::string& p, const PlanItem& item) {
  if (!item.content.empty()) return kApp;  // generated from the whole image
  if (item.cls == ObjectClass::system || ((item.cls == ObjectClass::app) && base_system_name(path::basename(p)) && !in_site_dir(p)))
    return kSystem;
  if (item.cls == ObjectClass::cuda || item.cls == ObjectClass::forward_compat) return in_site_dir(p) ? kFrameworks : kCuda;
  if (in_site_dir(p)) return kFrameworks;
  return kApp;
}

}  // namespace

std::optional<LayerSplit> parse_layer_split(const std::string& s) {
  if (s == "single") return LayerSplit::single;
  if (s == "auto") return LayerSplit::auto_split;
  return std::nullopt;
}

std::vector<LayerGroup> layer_groups(const Root& root, const Plan& plan, LayerSplit split) {
  auto all = layer_entries(root, plan);
  if (split == LayerSplit::single) return {{"image", std::move(all)}};
  // Every non-directory entry goes to its group, and the directories above it with it.
  std::map<std::string, Group> group;  // entry name -> group, non-directories
  std::set<std::string> dirs_of[kGroups];
  for (auto& [p, item] : plan.items) {
    if (item.type == LayerEntry::dir) continue;
    Group g = group_of(p, item);
    group[p.substr(1)] = g;
    for (std::string d = path::dirname(p); d != "/" && !d.empty(); d = path::dirname(d)) dirs_of[g].insert(d.substr(1));
  }
  std::vector<LayerGroup> out(kGroups);
  for (int g = 0; g < kGroups; ++g) out[g].name = kNames[g];
  for (auto& e : all) {  // in the plan's (sorted) order
    if (e.type != LayerEntry::dir) {
      out[group.at(e.name)].entries.push_back(e);
      continue;
    }
    bool placed = false;
    for (int g = 0; g < kGroups; ++g)
      if (dirs_of[g].count(e.name)) out[g].entries.push_back(e), placed = true;
    if (!placed) out[kApp].entries.push_back(e);  // an empty directory (/tmp): the application's
  }
  std::erase_if(out, [](const LayerGroup& g) { return g.entries.empty(); });
  return out;
}

}  // namespace cuslim
