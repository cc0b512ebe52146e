#include "bundle/gpu_prune.h"

#include <sys/stat.h>

#include <map>

#include "elf/elf_file.h"
#include "prune/gpu_arch.h"

namespace cuslim {

namespace {

constexpr uint64_t kMinObject = 4096;  // smaller files hold no fatbin worth a look

// Stored size of one file as a layer entry, compressed as the layer would be.
Result<uint64_t> stored_size(const std::string& source, const std::shared_ptr<const FileExtents>& extents, uint64_t size, Compression c) {
  LayerEntry e{.type = LayerEntry::file, .name = "f", .source = source, .size = size, .extents = extents};
  CUSLIM_TRY(auto blob, write_layer({e}, "/dev/null", LayerOptions{.compression = c}));
  return blob.size;
}

// A file shipped unchanged: what its plan would have removed is not reported as removed.
void as_unchanged(PruneStats& s) {
  s.rewritten = s.no_code = s.bytes_zeroed = 0;
  s.zeroed_by_arch.clear();
  s.zeroed_by_section.clear();
  s.lost_for.clear();
}

}  // namespace

Result<PruneReport> prune_gpu_code(const Root& root, Plan& plan, const PruneRequest& req) {
  PruneReport r;
  r.archs = req.archs;
  r.measured = req.measure;
  if (req.archs.empty()) return r;
  // A hard-linked file is planned once: its other names share the first one's extents (and stay
  // one inode in the layer), and its bytes are counted once.
  struct FirstName {
    std::string path;
    std::shared_ptr<const FileExtents> extents;
    bool nvidia;
  };
  std::map<std::pair<dev_t, ino_t>, FirstName> planned;
  for (auto& [p, item] : plan.items) {
    if (item.type != LayerEntry::file || !item.content.empty() || item.size < kMinObject) continue;
    std::string src = plan_source(root, p);
    if (!has_elf_magic(src)) continue;
    struct stat st;
    std::optional<std::pair<dev_t, ino_t>> inode;
    if (::stat(src.c_str(), &st) == 0 && st.st_nlink > 1) inode = {st.st_dev, st.st_ino};
    if (auto it = inode ? planned.find(*inode) : planned.end(); it != planned.end() && it->second.nvidia == (item.cls == ObjectClass::cuda)) {
      item.extents = it->second.extents;
      r.files.push_back(PrunedFile{.path = p, .nvidia = it->second.nvidia, .pruned = true,
                                   .why = "a hard link of " + it->second.path + ", pruned with it", .size = item.size});
      continue;
    }
    auto pr = FatbinPrune::plan(src, p, req.archs);
    if (!pr.ok()) {  // shipped as it is
      r.warnings.push_back(p + ": GPU code not pruned, the file did not parse: " + pr.error().message());
      continue;
    }
    if (pr->stats.containers == 0 && pr->stats.not_indexed.empty()) {
      // GPU code whose first container does not parse: shipped as it is, and said (it read as "no GPU code").
      for (auto& w : pr->stats.warnings) r.warnings.push_back(p + ": GPU code not pruned, shipped unchanged: " + w);
      continue;
    }
    PrunedFile f{.path = p, .nvidia = item.cls == ObjectClass::cuda, .size = item.size, .stats = pr->stats};
    for (auto& w : pr->stats.warnings) r.warnings.push_back(p + ": " + w);
    if (f.nvidia && !req.nvidia) f.why = "NVIDIA library, left whole (--no-prune-nvidia)", as_unchanged(f.stats);
    else if (pr->extents.empty()) f.why = pr->stats.containers ? "nothing to remove" : "GPU code only in stores that are not indexed", as_unchanged(f.stats);
    else {
      auto extents = std::make_shared<const FileExtents>(std::move(pr->extents));
      if (req.measure) {
        CUSLIM_TRY(f.stored_before, stored_size(src, nullptr, item.size, req.compression));
        CUSLIM_TRY(f.stored_after, stored_size(src, extents, item.size, req.compression));
      }
      item.extents = extents;
      if (inode) planned.emplace(*inode, FirstName{p, extents, f.nvidia});
      f.pruned = true;
      r.bytes_zeroed += f.stats.bytes_zeroed;
      r.nvidia_pruned += f.nvidia;
      r.lost_for.insert(f.stats.lost_for.begin(), f.stats.lost_for.end());
    }
    r.files.push_back(std::move(f));
  }
  return r;
}

}  // namespace cuslim
