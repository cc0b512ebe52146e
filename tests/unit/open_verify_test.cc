// What glibc makes of a file its search finds (loader/open_verify): loaded, passed over, refused.
// The real loader's verdicts on the same cases are checked in tests/integration/cli_deps.sh.
#include <elf.h>

#include "fixture.h"
#include "loader/open_verify.h"

namespace cuslim::test {
namespace {

ElfFile loader_of(int elf_class = ELFCLASS64, int machine = EM_X86_64) {
  ElfFile f;
  f.elf_class = elf_class, f.data = ELFDATA2LSB, f.machine = machine, f.type = ET_DYN;
  f.ident_version = EV_CURRENT, f.version = EV_CURRENT;
  f.loads.push_back({0, 0, 4096});
  return f;
}

CandidateVerdict verdict(const ElfFile& found, const ::cuslim::LoaderRules& rules = {}) {
  return check_candidate("/nonexistent", Result<ElfFile>(found), loader_of(), rules).verdict;
}

TEST(OpenVerify, AnotherClassOrMachineIsPassedOverAndTheSearchGoesOn) {
  EXPECT_EQ(verdict(loader_of(ELFCLASS32)), CandidateVerdict::pass_over);
  EXPECT_EQ(verdict(loader_of(ELFCLASS64, EM_AARCH64)), CandidateVerdict::pass_over);
  EXPECT_EQ(verdict(loader_of()), CandidateVerdict::load);
}

TEST(OpenVerify, ExecutablesAndOtherByteOrdersAreRefused) {
  ElfFile exec = loader_of();
  exec.type = ET_EXEC;
  EXPECT_EQ(verdict(exec), CandidateVerdict::refuse);
  ElfFile rel = loader_of();
  rel.type = ET_REL;
  EXPECT_EQ(verdict(rel), CandidateVerdict::refuse);
  ElfFile big = loader_of();
  big.data = ELFDATA2MSB;
  auto c = check_candidate("/nonexistent", Result<ElfFile>(big), loader_of(), {});
  EXPECT_EQ(c.verdict, CandidateVerdict::refuse);
  EXPECT_EQ(c.why, "ELF file data encoding not little-endian");
}

TEST(OpenVerify, IdentAndVersionChecksComeBeforeTheMachine) {
  ElfFile osabi = loader_of(ELFCLASS64, EM_AARCH64);
  osabi.osabi = 9;  // FreeBSD: refused even where the machine would pass it over
  EXPECT_EQ(check_candidate("/nonexistent", Result<ElfFile>(osabi), loader_of(), {}).why, "ELF file OS ABI invalid");
  ElfFile gnu = loader_of();
  gnu.osabi = ELFOSABI_GNU, gnu.abiversion = 1;  // GNU_UNIQUE
  EXPECT_EQ(verdict(gnu), CandidateVerdict::load);
  ElfFile abiv = loader_of();
  abiv.abiversion = 5;
  EXPECT_EQ(verdict(abiv), CandidateVerdict::refuse);
  ElfFile pad = loader_of();
  pad.ident_padding_zero = false;
  EXPECT_EQ(verdict(pad), CandidateVerdict::refuse);
  ElfFile ver = loader_of();
  ver.version = 2;
  EXPECT_EQ(verdict(ver), CandidateVerdict::refuse);
  ElfFile noload = loader_of();
  noload.loads.clear();
  EXPECT_EQ(check_candidate("/nonexistent", Result<ElfFile>(noload), loader_of(), {}).why, "object file has no loadable segments");
}

TEST(OpenVerify, APieIsRefusedFromGlibc230On) {
  ElfFile pie = loader_of();
  pie.flags_1 = DF_1_PIE;
  EXPECT_EQ(verdict(pie, ::cuslim::LoaderRules::for_glibc("2.36")), CandidateVerdict::refuse);
  EXPECT_EQ(verdict(pie, ::cuslim::LoaderRules::for_glibc("2.30")), CandidateVerdict::refuse);
  EXPECT_EQ(verdict(pie, ::cuslim::LoaderRules::for_glibc("2.29")), CandidateVerdict::load);
  EXPECT_EQ(verdict(pie, ::cuslim::LoaderRules::for_glibc("2.17")), CandidateVerdict::load);
  EXPECT_EQ(verdict(pie, ::cuslim::LoaderRules::for_glibc(std::nullopt)), CandidateVerdict::refuse);  // unknown: the newest rules
}

TEST(OpenVerify, AFileThatIsNoElfObjectIsRefusedWithGlibcsWords) {
  TempDir t;
  auto refused = [&](const std::string& path) {
    auto c = check_candidate(path, Result<ElfFile>(Error(Exit::bad_input, path + ": not ELF")), loader_of(), {});
    EXPECT_EQ(c.verdict, CandidateVerdict::refuse) << path;
    return c.why;
  };
  write_file(t / "text.so", std::string(200, 'x'));
  EXPECT_EQ(refused(t / "text.so"), "invalid ELF header");
  write_file(t / "short.so", "ELF");
  EXPECT_EQ(refused(t / "short.so"), "file too short");
  fs::create_directories(t / "dir.so");
  EXPECT_EQ(refused(t / "dir.so"), "cannot read file data: Is a directory");
  // A 32-bit header the parser could not read is still another class: passed over.
  std::string ident = std::string("\x7f" "ELF", 4) + std::string(1, ELFCLASS32) + std::string(1, ELFDATA2LSB) + std::string(58, '\0');
  write_file(t / "other-class.so", ident);
  auto c = check_candidate(t / "other-class.so", Result<ElfFile>(Error(Exit::bad_input, "bad")), loader_of(), {});
  EXPECT_EQ(c.verdict, CandidateVerdict::pass_over);
  // Gone (a race with the listing): passed over, as an open that fails is.
  c = check_candidate(t / "gone.so", Result<ElfFile>(Error(Exit::bad_input, "gone")), loader_of(), {});
  EXPECT_EQ(c.verdict, CandidateVerdict::pass_over);
}

}  // namespace
}  // namespace cuslim::test
