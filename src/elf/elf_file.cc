#include "elf/elf_file.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "core/hex.h"
#include "core/unique_fd.h"

namespace cuslim {

namespace {

using ElfPtr = std::unique_ptr<Elf, decltype(&elf_end)>;

Error elf_error(const std::string& display, const std::string& what) {
  const char* why = elf_errmsg(-1);
  return bad_input(display + ": " + what + (why ? std::string(": ") + why : ""));
}

// Loads segments map virtual addresses to file offsets; the dynamic array speaks in addresses.
struct Segments {
  std::vector<GElf_Phdr> loads;
  std::optional<uint64_t> offset_of(uint64_t vaddr, uint64_t* avail) const {
    for (auto& p : loads) {
      if (vaddr >= p.p_vaddr && vaddr < p.p_vaddr + p.p_filesz) {
        *avail = p.p_vaddr + p.p_filesz - vaddr;
        return p.p_offset + (vaddr - p.p_vaddr);
      }
    }
    return std::nullopt;
  }
};

// A string table reached through DT_STRTAB/DT_STRSZ: in memory (a mapped file), or read from the
// file a string at a time -- the loader needs a dozen names, and libraries carry string tables of
// hundreds of kilobytes for their symbols.
struct StrTab {
  std::string owned;  // a small table read whole (fd mode)
  const char* data = nullptr;
  int fd = -1;
  uint64_t offset = 0;  // of the table in the file (fd mode)
  size_t size = 0;
  std::optional<std::string> at(uint64_t i) const {
    if (i >= size) return std::nullopt;
    if (const char* mem = owned.empty() ? data : owned.data()) {
      const void* end = std::memchr(mem + i, '\0', size - i);
      if (!end) return std::nullopt;
      return std::string(mem + i);
    }
    if (fd < 0) return std::nullopt;
    std::string out;
    char buf[256];
    for (uint64_t at = i; at < size;) {
      size_t want = static_cast<size_t>(std::min<uint64_t>(sizeof buf, size - at));
      ssize_t got = ::pread(fd, buf, want, static_cast<off_t>(offset + at));
      if (got <= 0) return std::nullopt;
      const char* end = static_cast<const char*>(std::memchr(buf, '\0', static_cast<size_t>(got)));
      out.append(buf, end ? static_cast<size_t>(end - buf) : static_cast<size_t>(got));
      if (end) return out;
      at += static_cast<uint64_t>(got);
    }
    return std::nullopt;  // no terminator inside the table
  }
};

struct DynInfo {
  std::vector<GElf_Dyn> entries;
  uint64_t strtab = 0, strsz = 0, verneed = 0, verneednum = 0;
  bool has_strtab = false;
};

Result<DynInfo> read_dynamic(Elf* e, const GElf_Phdr& ph, const std::string& display) {
  DynInfo info;
  Elf_Data* d = elf_getdata_rawchunk(e, ph.p_offset, ph.p_filesz, ELF_T_DYN);
  if (!d) return elf_error(display, "PT_DYNAMIC lies outside the file");
  size_t n = ph.p_filesz / gelf_fsize(e, ELF_T_DYN, 1, EV_CURRENT);
  for (size_t i = 0; i < n; ++i) {
    GElf_Dyn dyn;
    if (!gelf_getdyn(d, static_cast<int>(i), &dyn) || dyn.d_tag == DT_NULL) break;
    info.entries.push_back(dyn);
    switch (dyn.d_tag) {
      case DT_STRTAB: info.strtab = dyn.d_un.d_ptr; info.has_strtab = true; break;
      case DT_STRSZ: info.strsz = dyn.d_un.d_val; break;
      case DT_VERNEED: info.verneed = dyn.d_un.d_ptr; break;
      case DT_VERNEEDNUM: info.verneednum = dyn.d_un.d_val; break;
    }
  }
  return info;
}

Result<StrTab> read_strtab(Elf* e, int fd, const Segments& segs, const DynInfo& dyn, const ElfFile& f) {
  StrTab tab;
  if (!dyn.has_strtab) return tab;
  uint64_t avail = 0;
  auto off = segs.offset_of(dyn.strtab, &avail);
  if (!off) return bad_input(f.path + ": DT_STRTAB points outside every loaded segment");
  uint64_t size = std::min(dyn.strsz ? dyn.strsz : avail, avail);
  if (*off > f.size || size > f.size - *off) return bad_input(f.path + ": DT_STRTAB lies outside the file");
  if (fd >= 0) {
    // A small table (an executable's, most libraries') in one read; a large one a string at a time.
    constexpr uint64_t kWhole = 64 * 1024;
    if (size <= kWhole) {
      tab.owned.resize(static_cast<size_t>(size));
      size_t got = 0;
      while (got < tab.owned.size()) {
        ssize_t n = ::pread(fd, tab.owned.data() + got, tab.owned.size() - got, static_cast<off_t>(*off + got));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return Error::from_errno(f.path + ": DT_STRTAB", n < 0 ? errno : EIO);
        got += static_cast<size_t>(n);
      }
      tab.size = tab.owned.size();  // `at` reads owned: data would not survive the move out
      return tab;
    }
    tab.fd = fd, tab.offset = *off, tab.size = static_cast<size_t>(size);  // read on demand
    return tab;
  }
  Elf_Data* d = elf_getdata_rawchunk(e, static_cast<int64_t>(*off), size, ELF_T_BYTE);
  if (!d) return elf_error(f.path, "DT_STRTAB lies outside the file");
  tab.data = static_cast<const char*>(d->d_buf);
  tab.size = d->d_size;
  return tab;
}

Status apply_dynamic(ElfFile& f, const DynInfo& dyn, const StrTab& str) {
  auto string_of = [&](const GElf_Dyn& d, const char* tag) -> Result<std::string> {
    auto s = str.at(d.d_un.d_val);
    if (!s) return bad_input(f.path + ": " + tag + " string offset " + std::to_string(d.d_un.d_val) +
                             " is outside the string table");
    return *s;
  };
  for (auto& d : dyn.entries) {
    switch (d.d_tag) {
      case DT_NEEDED: { CUSLIM_TRY(auto s, string_of(d, "DT_NEEDED")); f.needed.push_back(s); break; }
      case DT_SONAME: { CUSLIM_TRY(auto s, string_of(d, "DT_SONAME")); f.soname = s; break; }
      case DT_RPATH: { CUSLIM_TRY(auto s, string_of(d, "DT_RPATH")); f.rpath = s; break; }
      case DT_RUNPATH: { CUSLIM_TRY(auto s, string_of(d, "DT_RUNPATH")); f.runpath = s; break; }
      case DT_FLAGS_1: f.flags_1 = d.d_un.d_val; break;
    }
  }
  return ok_status();
}

// DT_VERNEED records: a chain of Verneed, each with a chain of Vernaux.
void read_version_needs(Elf* e, ElfFile& f, const Segments& segs, const DynInfo& dyn, const StrTab& str) {
  if (!dyn.verneed || !dyn.verneednum) return;
  uint64_t avail = 0;
  auto off = segs.offset_of(dyn.verneed, &avail);
  if (!off) return;
  Elf_Data* d = elf_getdata_rawchunk(e, static_cast<int64_t>(*off), avail, ELF_T_VNEED);
  if (!d) return;
  int pos = 0;
  for (uint64_t i = 0; i < dyn.verneednum && pos >= 0 && static_cast<size_t>(pos) < d->d_size; ++i) {
    GElf_Verneed vn;
    if (!gelf_getverneed(d, pos, &vn)) break;
    VersionNeed need{str.at(vn.vn_file).value_or("?"), {}};
    int apos = pos + static_cast<int>(vn.vn_aux);
    for (unsigned j = 0; j < vn.vn_cnt; ++j) {
      GElf_Vernaux aux;
      if (!gelf_getvernaux(d, apos, &aux)) break;
      if (auto name = str.at(aux.vna_name)) need.versions.push_back(*name);
      if (!aux.vna_next) break;
      apos += static_cast<int>(aux.vna_next);
    }
    f.version_needs.push_back(std::move(need));
    if (!vn.vn_next) break;
    pos += static_cast<int>(vn.vn_next);
  }
}

void read_notes(Elf_Data* d, ElfFile& f, const std::string& section = "") {
  size_t pos = 0;
  GElf_Nhdr nh;
  size_t name_off, desc_off;
  while (pos < d->d_size) {
    size_t next = gelf_getnote(d, pos, &nh, &name_off, &desc_off);
    if (next == 0) break;
    auto* base = static_cast<const uint8_t*>(d->d_buf);
    ElfNote note;
    note.section = section;
    if (nh.n_namesz) note.owner.assign(reinterpret_cast<const char*>(base + name_off), strnlen(reinterpret_cast<const char*>(base + name_off), nh.n_namesz));
    note.type = nh.n_type;
    note.desc.assign(base + desc_off, base + desc_off + nh.n_descsz);
    if (note.owner == "GNU" && note.type == NT_GNU_BUILD_ID && f.build_id.empty()) {
      f.build_id = to_hex(std::string_view(reinterpret_cast<const char*>(note.desc.data()), note.desc.size()));
    }
    f.notes.push_back(std::move(note));
    pos = next;
  }
}

// The section table. A file without one (sstrip'ed) has none; one whose header promises sections
// that cannot be read says why in sections_error (the loader does not need them, so the file is
// not refused: what reads sections -- the fatbin walk -- says it could not look).
void read_sections(Elf* e, ElfFile& f) {
  size_t shnum = 0, shstrndx = 0;
  if (elf_getshdrnum(e, &shnum) != 0) {
    f.sections_error = std::string("section header count unreadable: ") + elf_errmsg(-1);
    return;
  }
  GElf_Ehdr eh;
  if (gelf_getehdr(e, &eh) && ((eh.e_shnum != 0 && eh.e_shnum != shnum) || (shnum == 0 && eh.e_shoff != 0))) {
    f.sections_error = "the header promises " + std::to_string(eh.e_shnum) + " sections at offset " + std::to_string(eh.e_shoff) +
                       ", " + std::to_string(shnum) + " fit in the file";
    return;
  }
  if (shnum == 0) return;
  if (elf_getshdrstrndx(e, &shstrndx) != 0 || shstrndx >= shnum) {
    f.sections_error = "no section name table (e_shstrndx " + std::to_string(shstrndx) + " of " + std::to_string(shnum) + " sections)";
    return;
  }
  size_t seen = 0;
  for (Elf_Scn* scn = elf_nextscn(e, nullptr); scn; scn = elf_nextscn(e, scn)) {
    ++seen;
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) continue;
    const char* name = elf_strptr(e, shstrndx, sh.sh_name);
    f.sections.push_back({name ? name : "", sh.sh_offset, sh.sh_size, sh.sh_addr, sh.sh_type});
  }
  if (seen + 1 < shnum)  // (section 0 is not iterated)
    f.sections_error = std::to_string(shnum) + " sections promised, " + std::to_string(seen + 1) + " readable: " + elf_errmsg(-1);
}

// Defined functions of the SHT_DYNSYM section (objects without section headers have none here).
void read_dynamic_functions(Elf* e, ElfFile& f) {
  for (Elf_Scn* scn = elf_nextscn(e, nullptr); scn; scn = elf_nextscn(e, scn)) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize) continue;
    Elf_Data* d = elf_getdata(scn, nullptr);
    if (!d) return;
    size_t n = sh.sh_size / sh.sh_entsize;
    for (size_t i = 0; i < n; ++i) {
      GElf_Sym sym;
      if (!gelf_getsym(d, static_cast<int>(i), &sym)) break;
      if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF || !sym.st_value) continue;
      const char* name = elf_strptr(e, sh.sh_link, sym.st_name);
      if (name && *name) f.functions.push_back({name, sym.st_value, sym.st_size});
    }
    return;
  }
}

// `fd` is the file's descriptor when only the loader's parts are read (string tables are then
// read a string at a time), else -1.
Result<ElfFile> parse(Elf* e, int fd, ElfFile f, ElfFile::Parts parts) {
  if (elf_kind(e) != ELF_K_ELF) return bad_input(f.path + ": not an ELF file");
  size_t ident_size = 0;
  const char* ident = elf_getident(e, &ident_size);
  GElf_Ehdr eh;
  if (!ident || ident_size < EI_NIDENT || !gelf_getehdr(e, &eh)) return elf_error(f.path, "truncated or invalid ELF header");
  f.elf_class = ident[EI_CLASS];
  f.data = ident[EI_DATA];
  f.osabi = static_cast<unsigned char>(ident[EI_OSABI]);
  f.abiversion = static_cast<unsigned char>(ident[EI_ABIVERSION]);
  f.machine = eh.e_machine;
  f.type = eh.e_type;
  f.ident_version = static_cast<unsigned char>(ident[EI_VERSION]);
  f.version = eh.e_version;
  f.ident_padding_zero = std::all_of(ident + EI_PAD, ident + EI_NIDENT, [](char c) { return c == 0; });

  size_t phnum = 0;
  if (elf_getphdrnum(e, &phnum) != 0) return elf_error(f.path, "unreadable program headers");
  // The header's own sizes must be those of its class (glibc's loader refuses a program-header
  // size it does not expect); a flipped class byte or a damaged header says so here.
  bool is64 = f.elf_class == ELFCLASS64;
  size_t want_eh = is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr), want_ph = is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
  if (eh.e_ehsize != want_eh)
    return bad_input(f.path + ": corrupt ELF header: e_ehsize " + std::to_string(eh.e_ehsize) + ", an ELF" + (is64 ? "64" : "32") + " header is " +
                     std::to_string(want_eh) + " bytes");
  if (phnum && eh.e_phentsize != want_ph)
    return bad_input(f.path + ": corrupt ELF header: e_phentsize " + std::to_string(eh.e_phentsize) + ", an ELF" + (is64 ? "64" : "32") +
                     " program header is " + std::to_string(want_ph) + " bytes");
  // A truncated file is an error, as the loader would find it (libelf reads what is there).
  auto beyond = [&](uint64_t off, uint64_t len) { return off > f.size || len > f.size - off; };
  // The header's own count: libelf counts only the program headers the file holds.
  uint64_t phnum_said = eh.e_phnum == PN_XNUM ? phnum : eh.e_phnum;
  if (eh.e_phoff && beyond(eh.e_phoff, std::max<uint64_t>(phnum, phnum_said) * eh.e_phentsize))
    return bad_input(f.path + ": truncated: its program headers end past the end of the file (" + std::to_string(f.size) + " bytes)");
  // Section headers past the end of the file: the loader never reads them (it loads such a file);
  // what needs sections is told, as it is of unreadable ones.
  size_t shnum = 0;
  bool sections_past_end = eh.e_shoff && beyond(eh.e_shoff, static_cast<uint64_t>(eh.e_shnum) * eh.e_shentsize);
  if (sections_past_end)
    f.sections_error = "its section headers (offset " + std::to_string(eh.e_shoff) + ") end past the end of the file (" + std::to_string(f.size) + " bytes)";
  else if (eh.e_shoff && elf_getshdrnum(e, &shnum) == 0 && beyond(eh.e_shoff, static_cast<uint64_t>(shnum) * eh.e_shentsize))
    f.sections_error = "its section headers end past the end of the file (" + std::to_string(f.size) + " bytes)";
  else if (!eh.e_shoff && !eh.e_shnum && eh.e_type == ET_DYN)
    f.sections_error = "it has no section headers (stripped of them)";
  if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN && eh.e_type != ET_REL && eh.e_type != ET_CORE)
    return bad_input(f.path + ": ELF type " + std::to_string(eh.e_type) + " is not a program, library or object");
  Segments segs;
  std::optional<GElf_Phdr> dyn_ph;
  std::vector<GElf_Phdr> note_phs;
  for (size_t i = 0; i < phnum; ++i) {
    GElf_Phdr ph;
    if (!gelf_getphdr(e, static_cast<int>(i), &ph)) return elf_error(f.path, "program header " + std::to_string(i) + " lies outside the file");
    if (ph.p_type == PT_LOAD && beyond(ph.p_offset, ph.p_filesz))
      return bad_input(f.path + ": truncated: segment " + std::to_string(i) + " ends past the end of the file (" + std::to_string(f.size) + " bytes)");
    if (ph.p_type == PT_LOAD) segs.loads.push_back(ph), f.loads.push_back({ph.p_vaddr, ph.p_offset, ph.p_filesz});
    if (ph.p_type == PT_DYNAMIC) dyn_ph = ph;
    if (ph.p_type == PT_NOTE) note_phs.push_back(ph);
    if (ph.p_type == PT_INTERP) {
      Elf_Data* d = elf_getdata_rawchunk(e, static_cast<int64_t>(ph.p_offset), ph.p_filesz, ELF_T_BYTE);
      if (!d) return elf_error(f.path, "PT_INTERP lies outside the file");
      f.interp = std::string(static_cast<const char*>(d->d_buf), strnlen(static_cast<const char*>(d->d_buf), d->d_size));
    }
  }
  if ((parts == ElfFile::Parts::all || parts == ElfFile::Parts::sections) && f.sections_error.empty()) read_sections(e, f);
  if (dyn_ph) {
    f.dynamic = true;
    CUSLIM_TRY(auto dyn, read_dynamic(e, *dyn_ph, f.path));
    CUSLIM_TRY(auto str, read_strtab(e, fd, segs, dyn, f));
    CUSLIM_CHECK(apply_dynamic(f, dyn, str));
    if (parts == ElfFile::Parts::all) read_version_needs(e, f, segs, dyn, str);
  }
  if (parts == ElfFile::Parts::symbols) read_dynamic_functions(e, f);
  if (parts != ElfFile::Parts::all) return f;
  // Notes: from SHT_NOTE sections when there are any (they name each note's section, and some,
  // like libcuda's .note.cuda.fwd_compatibility, sit outside PT_NOTE), else from PT_NOTE.
  bool from_sections = false;
  for (auto& s : f.sections) from_sections |= s.type == SHT_NOTE;
  if (from_sections) {
    size_t shstrndx = 0;
    elf_getshdrstrndx(e, &shstrndx);
    for (Elf_Scn* scn = elf_nextscn(e, nullptr); scn; scn = elf_nextscn(e, scn)) {
      GElf_Shdr sh;
      if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE) continue;
      const char* name = elf_strptr(e, shstrndx, sh.sh_name);
      if (Elf_Data* d = elf_getdata(scn, nullptr)) read_notes(d, f, name ? name : "");
    }
  } else {
    for (auto& ph : note_phs) {
      Elf_Data* d = elf_getdata_rawchunk(e, static_cast<int64_t>(ph.p_offset), ph.p_filesz, ph.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
      if (d) read_notes(d, f);
    }
  }
  return f;
}

}  // namespace

bool ElfFile::nodeflib() const { return (flags_1 & DF_1_NODEFLIB) != 0; }

const ElfSection* ElfFile::section(const std::string& name) const {
  for (auto& s : sections)
    if (s.name == name) return &s;
  return nullptr;
}

const ElfFunction* ElfFile::function(const std::string& name) const {
  for (auto& fn : functions)
    if (fn.name == name) return &fn;
  return nullptr;
}

std::optional<uint64_t> ElfFile::file_offset(uint64_t vaddr, uint64_t* avail) const {
  for (auto& l : loads)
    if (vaddr >= l.vaddr && vaddr < l.vaddr + l.filesz) {
      *avail = l.vaddr + l.filesz - vaddr;
      return l.offset + (vaddr - l.vaddr);
    }
  return std::nullopt;
}

Result<ElfFile> ElfFile::read(const std::string& host_path, const std::string& display, Parts parts) {
  static const bool init = elf_version(EV_CURRENT) != EV_NONE;
  if (!init) return bad_input("libelf: version mismatch");
  // O_NONBLOCK: opening a FIFO must not hang; it is rejected below as not a regular file.
  UniqueFd fd(::open(host_path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd) return Error::from_errno(display, errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return Error::from_errno(display, errno);
  if (S_ISDIR(st.st_mode)) return bad_input(display + ": is a directory, not an ELF file");
  if (!S_ISREG(st.st_mode)) return bad_input(display + ": not a regular file");
  // A script is named as one, with its interpreter (a two-line wrapper is shorter than an ELF
  // header): deps and inspect read ELF files only. Looked at only for a file that is no ELF
  // object (one read fewer for each of the thousands of objects a walk reads).
  auto script = [&]() -> std::optional<Error> {
    char head[256] = {};
    ssize_t n = ::pread(fd.get(), head, sizeof head - 1, 0);
    if (std::string line(head, n > 0 ? static_cast<size_t>(n) : 0); line.rfind("#!", 0) == 0)
      return bad_input(display + ": a #! script (" + line.substr(0, line.find('\n')) + "), not an ELF file; name its interpreter instead");
    return std::nullopt;
  };
  if (st.st_size < EI_NIDENT) {
    if (auto s = script()) return *s;
    return bad_input(display + ": not an ELF file (only " + std::to_string(st.st_size) + " bytes)");
  }
  ElfPtr e(elf_begin(fd.get(), parts == Parts::loader ? ELF_C_READ : ELF_C_READ_MMAP, nullptr), elf_end);
  if (!e || elf_kind(e.get()) != ELF_K_ELF)
    if (auto s = script()) return *s;
  if (!e) return elf_error(display, "cannot read");
  ElfFile f;
  f.path = display;
  f.size = static_cast<uint64_t>(st.st_size);
  return parse(e.get(), parts == Parts::loader ? fd.get() : -1, std::move(f), parts);
}

bool has_elf_magic(const std::string& host_path) {
  UniqueFd fd(::open(host_path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  char magic[SELFMAG] = {};
  return fd && ::read(fd.get(), magic, SELFMAG) == SELFMAG && std::memcmp(magic, ELFMAG, SELFMAG) == 0;
}

std::string oci_architecture_of(const std::string& host_path) {
  UniqueFd fd(::open(host_path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  unsigned char h[20] = {};
  if (!fd || ::read(fd.get(), h, sizeof h) != static_cast<ssize_t>(sizeof h) || std::memcmp(h, ELFMAG, SELFMAG) != 0) return "";
  bool little = h[EI_DATA] != ELFDATA2MSB;
  int machine = little ? h[19] << 8 | h[18] : h[18] << 8 | h[19];  // e_machine: the same offset in both classes
  switch (machine) {
    case EM_X86_64: return "amd64";
    case EM_AARCH64: return "arm64";
    case EM_386: return "386";
    case EM_ARM: return "arm";
    case EM_PPC64: return little ? "ppc64le" : "ppc64";
    case EM_S390: return "s390x";
    case EM_RISCV: return h[EI_CLASS] == ELFCLASS64 ? "riscv64" : "";
    default: return "";
  }
}

std::string machine_name(int machine) {
  switch (machine) {
    case EM_X86_64: return "x86-64";
    case EM_386: return "i386";
    case EM_AARCH64: return "AArch64";
    case EM_ARM: return "ARM";
    case EM_PPC64: return "PowerPC64";
    case EM_RISCV: return "RISC-V";
    case EM_S390: return "S/390";
    default: return "machine " + std::to_string(machine);
  }
}

}  // namespace cuslim
