#include "prune/fatbin_prune.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/unique_fd.h"
#include "elf/elf_file.h"
#include "prune/gpu_arch.h"

namespace cuslim {

namespace {

bool has_fatbin_section(const ElfFile& elf) {
  return elf.section(".nv_fatbin") || elf.section("__nv_relfatbin") || elf.section(".cask_resource");
}

// The container's header as stored, with fat_size set to `fat_size`.
Result<std::string> patched_header(int fd, const std::string& name, const FatbinContainer& c, uint64_t fat_size) {
  std::string h(c.header_size, '\0');
  if (::pread(fd, h.data(), h.size(), static_cast<off_t>(c.offset)) != static_cast<ssize_t>(h.size())) return Error::from_errno(name, errno);
  std::memcpy(h.data() + 8, &fat_size, sizeof fat_size);
  return h;
}

}  // namespace

nlohmann::json to_json(const PruneStats& s) {
  nlohmann::json j{{"containers", s.containers}, {"containers_rewritten", s.rewritten}, {"containers_without_code", s.no_code},
                   {"containers_not_parsed", s.not_exact}, {"kept_bytes", s.kept_bytes}, {"bytes_zeroed", s.bytes_zeroed},
                   {"zeroed_by_arch", s.zeroed_by_arch}, {"zeroed_by_section", s.zeroed_by_section}, {"warnings", s.warnings},
                   {"lost_for", s.lost_for}};
  j["not_indexed"] = nlohmann::json::array();
  for (auto& e : s.not_indexed) j["not_indexed"].push_back({{"section", e.section}, {"bytes", e.section_size}, {"containers", e.containers}});
  return j;
}

Result<FatbinPrune> FatbinPrune::plan(const std::string& host_path, const std::string& name, const std::vector<unsigned>& archs) {
  FatbinPrune out;
  CUSLIM_TRY(auto elf, ElfFile::read(host_path, name, ElfFile::Parts::all));
  if (!has_fatbin_section(elf) && elf.sections_error.empty()) return out;  // (unreadable sections: said below)
  CUSLIM_TRY(auto layout, FatbinLayout::read(host_path, elf));
  UniqueFd fd(::open(host_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno(name, errno);
  auto& s = out.stats;
  s.containers = layout.containers.size();
  s.not_indexed = layout.elsewhere;
  s.warnings = layout.warnings;
  std::sort(layout.containers.begin(), layout.containers.end(), [](auto& a, auto& b) { return a.offset < b.offset; });
  uint64_t cursor = 0;
  for (auto& c : layout.containers) {
    bool runnable = std::any_of(c.entries.begin(), c.entries.end(), [&](auto& e) { return runs_on_any(e.entry, archs); });
    // Nothing a listed GPU runs: the container keeps its smallest code entry (never emptied; as
    // useless to these GPUs as it was, and what was validated on an H100).
    const FatbinEntryAt* smallest = nullptr;
    if (!runnable)
      for (auto& e : c.entries)
        if ((e.entry.kind == FatbinEntry::sass || e.entry.kind == FatbinEntry::ptx) && (!smallest || e.span() < smallest->span())) smallest = &e;
    uint64_t entry_bytes = 0, kept_bytes = 0;
    std::vector<const FatbinEntryAt*> kept;
    for (auto& e : c.entries) {
      entry_bytes += e.span();
      // Entries that are neither SASS nor PTX (LTO IR) stay: nothing here knows who reads them.
      bool code = e.entry.kind == FatbinEntry::sass || e.entry.kind == FatbinEntry::ptx;
      if (!code || (runnable ? runs_on_any(e.entry, archs) : &e == smallest)) kept.push_back(&e), kept_bytes += e.span();
    }
    if (c.offset < cursor) {  // overlaps the container before it: not a layout to rewrite
      s.warnings.push_back(c.section + ": container at file offset " + std::to_string(c.offset) + " overlaps another, left whole");
      continue;
    }
    if (!c.exact) ++s.not_exact;
    else if (!runnable) ++s.no_code;
    if (!c.exact || kept.size() == c.entries.size()) {
      s.kept_bytes += entry_bytes;
      continue;
    }
    ++s.rewritten;
    s.kept_bytes += kept_bytes;
    s.bytes_zeroed += entry_bytes - kept_bytes;
    s.zeroed_by_section[c.section] += entry_bytes - kept_bytes;
    for (auto& e : c.entries)
      if (std::find(kept.begin(), kept.end(), &e) == kept.end()) s.zeroed_by_arch[e.entry.arch_name()] += e.span();
    // The GPUs this container served and no longer does (what verify and run judge by).
    for (unsigned cc : known_gpu_archs()) {
      auto serves = [&](const FatbinEntryAt* e) { return runs_on(e->entry, cc); };
      bool had = std::any_of(c.entries.begin(), c.entries.end(), [&](auto& e) { return serves(&e); });
      if (had && std::none_of(kept.begin(), kept.end(), serves)) s.lost_for.insert(cc);
    }
    // Before the container as it is; its header with the new size; the kept entries as stored; zeros.
    append_extent(out.extents, {.kind = FileExtent::copy, .src = cursor, .len = c.offset - cursor});
    CUSLIM_TRY(auto header, patched_header(fd.get(), name, c, kept_bytes));
    append_extent(out.extents, {.kind = FileExtent::literal, .bytes = std::move(header)});
    for (auto* e : kept) append_extent(out.extents, {.kind = FileExtent::copy, .src = e->offset, .len = e->span()});
    append_extent(out.extents, {.kind = FileExtent::zeros, .len = c.fat_size - kept_bytes});
    cursor = c.end();
  }
  if (out.extents.empty()) return out;
  append_extent(out.extents, {.kind = FileExtent::copy, .src = cursor, .len = elf.size - cursor});
  if (extents_size(out.extents) != elf.size) return bad_input(name + ": fatbin rewrite does not keep the file size (internal error)");
  return out;
}

}  // namespace cuslim
