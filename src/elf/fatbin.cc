#include "elf/fatbin.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "core/unique_fd.h"

namespace cuslim {

namespace {

constexpr uint32_t kContainerMagic = 0xBA55ED50;
constexpr size_t kContainerHeader = 16;
constexpr size_t kMinEntryHeader = 64;
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

// Walks the containers laid end to end in [begin, end); returns false on a corrupt header.
void walk_containers(const Reader& in, uint64_t begin, uint64_t end, const std::string& section, Fatbin& out) {
  uint64_t pos = begin;
  while (pos + kContainerHeader <= end) {
    uint8_t hdr[kContainerHeader];
    if (!in.read(pos, hdr, sizeof hdr)) break;
    if (load<uint32_t>(hdr) != kContainerMagic) {
      if (load<uint32_t>(hdr) == 0) { pos += 8; continue; }  // alignment padding between containers
      out.warnings.push_back(section + ": no fatbin container magic at offset " + std::to_string(pos - begin));
      return;
    }
    uint16_t header_size = load<uint16_t>(hdr + 6);
    uint64_t fat_size = load<uint64_t>(hdr + 8);
    if (header_size < kContainerHeader || fat_size > end - pos - header_size) {
      out.warnings.push_back(section + ": container at offset " + std::to_string(pos - begin) + " claims " + std::to_string(fat_size) +
                             " bytes, past the section end");
      return;
    }
    ++out.containers;
    uint64_t e = pos + header_size, stop = e + fat_size;
    while (e + kMinEntryHeader <= stop) {
      uint8_t eh[kMinEntryHeader];
      if (!in.read(e, eh, sizeof eh)) break;
      uint32_t eh_size = load<uint32_t>(eh + 4);
      uint64_t padded = load<uint64_t>(eh + 8);
      if (eh_size < kMinEntryHeader || padded > stop - e - eh_size) {
        out.warnings.push_back(section + ": entry at offset " + std::to_string(e - begin) + " has a size past its container");
        break;
      }
      out.entries.push_back(parse_entry(eh, section));
      auto& last = out.entries.back();
      if (last.stored_size == 0) last.stored_size = padded;  // uncompressed cubins leave it 0
      if (!last.compressed) last.uncompressed_size = last.stored_size;
      e += eh_size + padded;
    }
    pos = stop;
  }
}

// Counts container magics in a section that is not a plain fatbin array.
uint64_t count_magic(const Reader& in, uint64_t begin, uint64_t size) {
  constexpr size_t kChunk = 8 << 20;
  std::vector<uint8_t> buf(kChunk + 3);
  uint64_t count = 0;
  for (uint64_t off = 0; off < size; off += kChunk) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk + 3, size - off));
    if (!in.read(begin + off, buf.data(), n)) break;
    for (size_t i = 0; i + 4 <= n && i < kChunk; i += 4)  // containers are 8-byte aligned
      if (load<uint32_t>(buf.data() + i) == kContainerMagic) ++count;
  }
  return count;
}

}  // namespace

std::string FatbinEntry::arch_name() const {
  return std::string(kind == ptx ? "compute_" : "sm_") + std::to_string(arch) + variant;
}

Result<Fatbin> Fatbin::read(const std::string& host_path, const ElfFile& elf, bool scan_elsewhere) {
  UniqueFd fd(::open(host_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return Error::from_errno(elf.path, errno);
  Reader in{fd.get()};
  Fatbin out;
  for (auto& s : elf.sections) {
    if (s.type == 8 /* SHT_NOBITS */ || s.size == 0) continue;
    if (s.offset > elf.size || s.size > elf.size - s.offset)
      return bad_input(elf.path + ": section " + s.name + " lies past the end of the file");
    if (s.name == ".nv_fatbin" || s.name == "__nv_relfatbin") {
      walk_containers(in, s.offset, s.offset + s.size, s.name, out);
    } else if (scan_elsewhere && (s.name == ".cask_resource") || (scan_elsewhere && s.name == ".ldata" && s.size >= kScanElsewhereMin)) {
      uint64_t n = count_magic(in, s.offset, s.size);
      if (n) out.elsewhere.push_back({s.name, s.size, n});
    }
  }
  return out;
}

}  // namespace cuslim
