#include "loader/open_verify.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/unique_fd.h"

namespace cuslim {

namespace {

CandidateCheck pass_over(std::string why) { return {CandidateVerdict::pass_over, std::move(why)}; }
CandidateCheck refuse(std::string why) { return {CandidateVerdict::refuse, std::move(why)}; }

const char* kOtherAbi = "wrong ELF class or machine";

std::string encoding_refusal(int want_data) {
  return want_data == ELFDATA2MSB ? "ELF file data encoding not big-endian" : "ELF file data encoding not little-endian";
}

// open_verify()'s checks on the first bytes, for a file cuslim's parser could not read.
CandidateCheck check_header_bytes(const std::string& host_path, const ElfFile& want, const std::string& parse_error) {
  // O_NONBLOCK: a fifo under the name must not hang cuslim (the loader itself would block on it).
  UniqueFd fd(::open(host_path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd) return pass_over(parse_error);  // ENOENT, EACCES, ...: the search goes on
  struct stat st;
  if (::fstat(fd.get(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
    return refuse(std::string("not a regular file (a ") + (S_ISFIFO(st.st_mode) ? "fifo" : S_ISSOCK(st.st_mode) ? "socket" : "device") +
                  ": the loader would block on it or fail)");
  const size_t ehdr_size = want.elf_class == ELFCLASS32 ? sizeof(Elf32_Ehdr) : sizeof(Elf64_Ehdr);
  unsigned char buf[sizeof(Elf64_Ehdr)] = {};
  size_t got = 0;
  while (got < ehdr_size) {
    ssize_t n = ::read(fd.get(), buf + got, ehdr_size - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return refuse(std::string("cannot read file data: ") + std::strerror(errno));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got < ehdr_size) return refuse("file too short");
  if (std::memcmp(buf, ELFMAG, SELFMAG) != 0) return refuse("invalid ELF header");
  if (buf[EI_CLASS] != want.elf_class) return pass_over(kOtherAbi);  // "not a fatal error" (32/64-bit both run)
  if (buf[EI_DATA] != want.data) return refuse(encoding_refusal(want.data));
  int machine = buf[EI_DATA] == ELFDATA2MSB ? (buf[18] << 8 | buf[19]) : (buf[19] << 8 | buf[18]);
  if (machine != want.machine) return pass_over(kOtherAbi);
  // A header glibc accepts, and contents it would map and fail on: said with the parser's reason.
  return refuse(parse_error);
}

}  // namespace

LoaderRules LoaderRules::for_glibc(const std::optional<std::string>& version) {
  LoaderRules r;
  int major = 0, minor = 0;
  if (version && std::sscanf(version->c_str(), "%d.%d", &major, &minor) == 2) r.refuses_pie = major > 2 || (major == 2 && minor >= 30);
  return r;
}

CandidateCheck check_candidate(const std::string& host_path, const Result<ElfFile>& elf, const ElfFile& want, const LoaderRules& rules) {
  if (!elf.ok()) return check_header_bytes(host_path, want, elf.error().message());
  const ElfFile& f = elf.value();
  if (f.elf_class != want.elf_class) return pass_over(kOtherAbi);
  if (f.data != want.data) return refuse(encoding_refusal(want.data));
  // open_verify()'s order: the ident, then e_version, then the machine.
  if (f.ident_version != EV_CURRENT) return refuse("ELF file version ident does not match current one");
  if (f.osabi != ELFOSABI_SYSV && f.osabi != ELFOSABI_GNU) return refuse("ELF file OS ABI invalid");
  // VALID_ELF_ABIVERSION: 0, or below LIBC_ABI_MAX for the GNU OS ABI (UNIQUE, IFUNC, ABSOLUTE).
  if (f.abiversion != 0 && !(f.osabi == ELFOSABI_GNU && f.abiversion < 4)) return refuse("ELF file ABI version invalid");
  if (!f.ident_padding_zero) return refuse("nonzero padding in e_ident");
  if (f.version != EV_CURRENT) return refuse("ELF file version does not match current one");
  if (f.machine != want.machine) return pass_over(kOtherAbi);
  if (f.type != ET_DYN && f.type != ET_EXEC) return refuse("only ET_DYN and ET_EXEC can be loaded");
  if (f.type == ET_EXEC) return refuse("cannot dynamically load executable");
  if (f.loads.empty()) return refuse("object file has no loadable segments");
  if (rules.refuses_pie && (f.flags_1 & DF_1_PIE)) return refuse("cannot dynamically load position-independent executable");
  return {};
}

}  // namespace cuslim
