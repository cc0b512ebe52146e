#include "bundle/layer_reuse.h"

#include <sys/stat.h>

#include <unordered_map>
#include <unordered_set>

#include "core/fs.h"
#include "core/path.h"

namespace cuslim {

namespace {

// What the layers above the one being judged did, accumulated from the top down.
struct Above {
  std::unordered_set<std::string> written;  // any entry
  std::unordered_set<std::string> cut;      // non-directories and whiteouts: nothing below survives at or under them
  std::unordered_set<std::string> opaque;   // nothing below survives under them

  void add(const LayerListing& l) {
    for (auto* list : {&l.dirs, &l.others, &l.removed}) written.insert(list->begin(), list->end());
    cut.insert(l.others.begin(), l.others.end());
    cut.insert(l.removed.begin(), l.removed.end());
    opaque.insert(l.opaque.begin(), l.opaque.end());
  }
  // Whether what a lower layer put at `p` is no longer what the rootfs holds there.
  bool changes(const std::string& p, bool dir) const {
    if (!dir && written.count(p)) return true;
    if (cut.count(p)) return true;
    for (std::string d = path::dirname(p); d != "/" && !d.empty(); d = path::dirname(d))
      if (cut.count(d) || opaque.count(d)) return true;
    return opaque.count("/") > 0;
  }
};

bool whole(const LayerListing& l, const Plan& plan, const Above& above) {
  if (l.altered || !l.removed.empty() || !l.opaque.empty()) return false;
  for (auto& p : l.others) {
    auto it = plan.items.find(p);
    if (it == plan.items.end() || it->second.type == LayerEntry::dir || it->second.extents) return false;
    if (above.changes(p, false)) return false;
  }
  for (auto& d : l.dirs)
    if (above.changes(d, true)) return false;
  return true;
}

// Whether the input already holds the generated file `p` byte for byte, with its mode and owner
// (an image cuslim made, slimmed again: its ld.so.cache is the one slim writes), so that writing
// it again in a layer above would only add a layer.
bool holds_as_generated(const UnpackedImage& input, const std::string& p, const PlanItem& item) {
  struct stat st;
  std::string host = input.rootfs + p;
  if (::lstat(host.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) != item.content.size()) return false;
  auto mode = input.modes.count(p) ? input.modes.at(p) : (st.st_mode & 07777);
  auto owner = input.owners.count(p) ? input.owners.at(p) : FileOwner{};
  if (mode != item.mode || !(owner == item.owner)) return false;
  auto bytes = read_regular_file(host, item.content.size() + 1);
  return bytes.ok() && *bytes == item.content;
}

}  // namespace

ReusedLayers reusable_layers(const UnpackedImage& input, const Plan& plan) {
  // Judge every layer against those above it (top down), then take the whole ones from the bottom.
  std::vector<bool> ok(input.layers.size());
  Above above;
  for (size_t i = input.layers.size(); i-- > 0;) {
    ok[i] = whole(input.layers[i].listing, plan, above);
    above.add(input.layers[i].listing);
  }
  ReusedLayers r;
  for (size_t i = 0; i < input.layers.size() && ok[i]; ++i) {
    auto& l = input.layers[i];
    r.layers.push_back(&l);
    for (auto& p : l.listing.others)  // a generated file goes above, unless the layer holds it as it is
      if (auto& item = plan.items.at(p); item.content.empty() || holds_as_generated(input, p, item)) r.covered.insert(p);
  }
  // A directory is covered when the last layer to write it is reused: one a layer above rewrote
  // (RUN chmod 700 /data) is written again above, with the mode and owner it has in the end.
  std::unordered_map<std::string, size_t> last_writer;
  for (size_t i = 0; i < input.layers.size(); ++i)
    for (auto& d : input.layers[i].listing.dirs) last_writer[d] = i;
  for (auto& [d, i] : last_writer)
    if (i < r.layers.size()) r.covered.insert(d);
  return r;
}

Plan plan_without(const Plan& plan, const std::set<std::string>& covered) {
  Plan out = plan;
  std::unordered_set<std::string> needed;  // directories above what is left
  for (auto it = out.items.begin(); it != out.items.end();) {
    if (it->second.type != LayerEntry::dir && covered.count(it->first)) {
      it = out.items.erase(it);
      continue;
    }
    if (it->second.type != LayerEntry::dir)
      for (std::string d = path::dirname(it->first); d != "/" && !d.empty() && needed.insert(d).second; d = path::dirname(d)) {
      }
    ++it;
  }
  std::erase_if(out.items, [&](auto& kv) { return kv.second.type == LayerEntry::dir && covered.count(kv.first) && !needed.count(kv.first); });
  return out;
}

}  // namespace cuslim
