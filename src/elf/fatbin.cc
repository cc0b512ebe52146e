#include "elf/fatbin.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "core/unique_fd.h"

namespace cuslim {

namespace {

constexpr uint32_t kContainerMagic = 0xBA55ED50;
constexpr size_t kContainerHeader = 16;
constexpr size_t kMinEntryHeader = 64, kMaxEntryHeader = 4096;
constexpr uint64_t kFlagCompressedLz4 = 0x2000, kFlagCompressedZstd = 0x8000;
constexpr uint64_t kFlagArchSpecific = 0x100000, kFlagFamily = 0x200000;
constexpr uint64_t kScanElsewhereMin = 1 << 20;  // .ldata smaller than 1 MiB holds no kernels worth naming

template <class T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

struct Reader {
  int fd;
  bool read(uint64_t off, void* buf, size_t n) const { return ::pread(fd, buf, n, static_cast<off_t>(off)) == static_cast<ssize_t>(n); }
};

FatbinEntry parse_entry(const uint8_t* h, const std::string& section) {
  FatbinEntry e;
  e.kind = load<uint16_t>(h);
  e.stored_size = load<uint32_t>(h + 16);
  e.isa_minor = load<uint16_t>(h + 24);
  e.isa_major = load<uint16_t>(h + 26);
  e.arch = load<uint32_t>(h + 28);
  e.flags = load<uint64_t>(h + 40);
  e.uncompressed_size = load<uint64_t>(h + 56);
  e.compressed = (e.flags & (kFlagCompressedLz4 | kFlagCompressedZstd)) != 0;

  e.variant = (e.flags & kFlagArchSpecific) ? "a" : (e.flags & kFlagFamily) ? "f" : "";
  e.section = section;
  return e;
}

// The entries of the container whose header is at `pos` (bounded by `end`); nullopt with `why`
// when the header is not a container's. `exact`: every entry parsed and they fill it exactly.
std::optional<FatbinContainer> read_container(const Reader& in, uint64_t pos, uint64_t end, const std::string& section, std::string* why) {
  uint8_t hdr[kContainerHeader];
  if (pos + kContainerHeader > end || !in.read(pos, hdr, sizeof hdr)) return *why = "truncated container header", std::nullopt;
  if (load<uint32_t>(hdr) != kContainerMagic) return *why = "no fatbin container magic", std::nullopt;
  FatbinContainer c{.section = section, .offset = pos, .header_size = load<uint16_t>(hdr + 6), .fat_size = load<uint64_t>(hdr + 8)};
  if (c.header_size < kContainerHeader || c.header_size > end - pos || c.fat_size > end - pos - c.header_size)
    return *why = "container claims " + std::to_string(c.fat_size) + " bytes, past the section end", std::nullopt;
  uint64_t e = pos + c.header_size, stop = c.end();
  while (e + kMinEntryHeader <= stop) {
    uint8_t eh[kMinEntryHeader];
    if (!in.read(e, eh, sizeof eh)) break;
    uint32_t eh_size = load<uint32_t>(eh + 4);
    uint64_t padded = load<uint64_t>(eh + 8);
    // (eh_size first: stop - e - eh_size would wrap, and a wrapped step would never move on)
    if (eh_size < kMinEntryHeader || eh_size > kMaxEntryHeader || eh_size > stop - e || padded > stop - e - eh_size) {
      *why = "entry at offset " + std::to_string(e) + " has a size past its container";
      break;
    }
    FatbinEntryAt at{.entry = parse_entry(eh, section), .offset = e, .header_size = eh_size, .padded = padded};
    if (at.entry.stored_size == 0) at.entry.stored_size = padded;  // uncompressed cubins leave it 0
    if (!at.entry.compressed) at.entry.uncompressed_size = at.entry.stored_size;
    c.entries.push_back(std::move(at));
    e += eh_size + padded;
  }
  c.exact = e == stop;
  if (!c.exact && why->empty()) *why = std::to_string(stop - e) + " bytes after its last entry are not an entry";
  return c;
}

// The containers laid end to end (zero padding allowed between them) in [begin, end).
void walk_containers(const Reader& in, uint64_t begin, uint64_t end, const std::string& section, FatbinLayout& out) {
  uint64_t pos = begin;
  while (pos + kContainerHeader <= end) {
    uint8_t magic[4];
    if (!in.read(pos, magic, sizeof magic)) break;
    if (load<uint32_t>(magic) == 0) {  // alignment padding, or the zeroed tail of a pruned container
      pos += 8;
      continue;
    }
    std::string why;
    auto c = read_container(in, pos, end, section, &why);
    if (!c) {
      out.warnings.push_back(section + ": " + why + " at offset " + std::to_string(pos - begin));
      return;
    }
    if (!c->exact) out.warnings.push_back(section + ": container at offset " + std::to_string(pos - begin) + ": " + why);
    pos = c->end();
    out.containers.push_back(std::move(*c));
  }
}

// Containers among other data (.cask_resource): every 4-byte aligned magic whose container parses
// exactly; the scan goes on after each one found.
void scan_containers(const Reader& in, uint64_t begin, uint64_t size, const std::string& section, FatbinLayout& out) {
  constexpr size_t kChunk = 8 << 20;
  std::vector<uint8_t> buf(kChunk);
  uint64_t skip_until = begin;
  for (uint64_t off = 0; off < size; off += kChunk) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk, size - off));
    if (!in.read(begin + off, buf.data(), n)) break;
    for (size_t i = 0; i + 4 <= n; i += 4) {
      uint64_t at = begin + off + i;
      if (at < skip_until || load<uint32_t>(buf.data() + i) != kContainerMagic) continue;
      std::string why;
      auto c = read_container(in, at, begin + size, section, &why);
      if (!c || !c->exact || c->entries.empty()) continue;  // a magic number inside other data
      skip_until = c->end();
      out.containers.push_back(std::move(*c));
    }
  }
}

// Counts container magics in a section that is not indexed (.ldata).
uint64_t count_magic(const Reader& in, uint64_t begin, uint64_t size) {
  constexpr size_t kChunk = 8 << 20;
  std::vector<uint8_t> buf(kChunk + 3);
  uint64_t count = 0;
  for (uint64_t off = 0; off < size; off += kChunk) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk + 3, size - off));
    if (!in.read(begin + off, buf.data(), n)) break;
    for (size_t i = 0; i + 4 <= n && i < kChunk; i += 4)
      if (load<uint32_t>(buf.data() + i) == kContainerMagic) ++count;
  }
  return count;
}

}  // namespace

std::string FatbinEntry::arch_name() const {
  return std::string(kind == ptx ? "compute_" : kind == lto ? "lto_" : "sm_") + std::to_string(arch) + variant;
}

Result<FatbinLayout> FatbinLayout::read(const std::string& host_path, const ElfFile& elf, bool scan_elsewhere) {
  UniqueFd fd(::open(host_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno(elf.path, errno);
  Reader in{fd.get()};
  FatbinLayout out;
  if (!elf.sections_error.empty()) out.warnings.push_back("section headers: " + elf.sections_error + ": GPU code, if any, not looked for");
  const ElfSection* ldata = nullptr;
  for (auto& s : elf.sections) {
    if (s.type == 8 /* SHT_NOBITS */ || s.size == 0) continue;
    if (s.offset > elf.size || s.size > elf.size - s.offset)
      return bad_input(elf.path + ": section " + s.name + " lies past the end of the file");
    if (s.name == ".nv_fatbin" || s.name == "__nv_relfatbin") {
      walk_containers(in, s.offset, s.offset + s.size, s.name, out);
    } else if (s.name == ".cask_resource") {
      size_t before = out.containers.size();
      scan_containers(in, s.offset, s.size, s.name, out);
      uint64_t magics = count_magic(in, s.offset, s.size);
      if (magics > out.containers.size() - before)  // some magics are not containers we can index
        out.elsewhere.push_back({s.name, s.size, magics - (out.containers.size() - before)});
    } else if (scan_elsewhere && s.name == ".ldata" && s.size >= kScanElsewhereMin) {
      ldata = &s;
    }
  }
  // A large .ldata is a library-private store of GPU code (cuFFT's holds containers, cuBLASLt's
  // raw compressed cubins): named, never rewritten, when it holds containers or sits beside them.
  if (ldata)
    if (uint64_t n = count_magic(in, ldata->offset, ldata->size); n || !out.containers.empty())
      out.elsewhere.push_back({ldata->name, ldata->size, n});
  return out;
}

Result<Fatbin> Fatbin::read(const std::string& host_path, const ElfFile& elf, bool scan_elsewhere) {
  CUSLIM_TRY(auto layout, FatbinLayout::read(host_path, elf, scan_elsewhere));
  Fatbin out;
  out.containers = layout.containers.size();
  for (auto& c : layout.containers)
    for (auto& e : c.entries) out.entries.push_back(e.entry);
  out.elsewhere = std::move(layout.elsewhere);
  out.warnings = std::move(layout.warnings);
  return out;
}

}  // namespace cuslim
