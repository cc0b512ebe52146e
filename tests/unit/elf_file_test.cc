// ElfFile on real objects built here, on stripped objects without section headers, and on
// malformed input: every failure is an Error naming the file, never a crash.
#include "elf/elf_file.h"

#include <elf.h>

#include "fixture.h"

namespace cuslim::test {
namespace {

std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}
void spit(const std::string& p, const std::string& bytes) { std::ofstream(p, std::ios::binary) << bytes; }

class ElfFileTest : public ::testing::Test {
 protected:
  TempDir t;
  std::string lib = t / "libfields.so";
  void SetUp() override {
    build_lib(lib, "#include <zlib.h>\nconst char* f(void){return zlibVersion();}\n",
              "-Wl,-soname,libfields.so.1 -lz -Wl,--build-id=sha1 -Wl,-z,nodefaultlib "
              "-Wl,--disable-new-dtags,-rpath,/opt/r1:'$ORIGIN/r2'");
  }
};

TEST_F(ElfFileTest, reads_dynamic_fields) {
  auto f = ElfFile::read(lib, "libfields.so");
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_EQ(f->elf_class, ELFCLASS64);
  EXPECT_EQ(f->data, ELFDATA2LSB);
  EXPECT_EQ(f->machine, EM_X86_64);
  EXPECT_EQ(f->type, ET_DYN);
  EXPECT_EQ(f->soname, "libfields.so.1");
  EXPECT_EQ(f->rpath, "/opt/r1:$ORIGIN/r2");
  EXPECT_FALSE(f->runpath);
  EXPECT_TRUE(f->nodeflib());
  EXPECT_FALSE(f->interp);
  EXPECT_NE(std::find(f->needed.begin(), f->needed.end(), "libz.so.1"), f->needed.end());
  EXPECT_EQ(f->build_id.size(), 40u);  // sha1
  auto readelf = run("readelf -n '" + lib + "' | sed -n 's/.*Build ID: //p'");
  EXPECT_EQ(readelf.out, f->build_id + "\n");
}

TEST_F(ElfFileTest, reads_version_needs_and_interp) {
  auto f = ElfFile::read("/bin/ls", "/bin/ls");
  ASSERT_TRUE(f.ok()) << f.error().message();
  ASSERT_TRUE(f->interp);
  EXPECT_EQ(*f->interp, "/lib64/ld-linux-x86-64.so.2");
  bool glibc = false;
  for (auto& v : f->version_needs)
    if (v.file == "libc.so.6")
      for (auto& n : v.versions) glibc |= n.rfind("GLIBC_2.", 0) == 0;
  EXPECT_TRUE(glibc);
  auto cxx = ElfFile::read("/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "libstdc++");
  ASSERT_TRUE(cxx.ok());
  bool has_gcc = false;
  for (auto& v : cxx->version_needs) has_gcc |= v.file == "libgcc_s.so.1";
  EXPECT_TRUE(has_gcc);
}

TEST_F(ElfFileTest, works_without_section_headers) {
  std::string bytes = slurp(lib);
  auto* eh = reinterpret_cast<Elf64_Ehdr*>(bytes.data());
  eh->e_shoff = 0;
  eh->e_shnum = 0;
  eh->e_shstrndx = 0;
  spit(t / "noshdr.so", bytes);
  auto f = ElfFile::read(t / "noshdr.so", "noshdr.so");
  ASSERT_TRUE(f.ok()) << f.error().message();
  EXPECT_TRUE(f->sections.empty());
  EXPECT_EQ(f->soname, "libfields.so.1");
  EXPECT_EQ(f->rpath, "/opt/r1:$ORIGIN/r2");
  EXPECT_FALSE(f->build_id.empty());  // from PT_NOTE
}

TEST_F(ElfFileTest, rejects_non_elf_inputs_with_the_file_name) {
  write_file(t / "text.so", "this is not an ELF file at all, just text\n");
  fs::create_directories(t / "adir");
  mkfifo((t / "fifo").c_str(), 0600);
  for (auto [p, why] : std::vector<std::pair<std::string, std::string>>{
           {t / "text.so", "not an ELF file"},
           {t / "adir", "is a directory"},
           {t / "fifo", "not a regular file"},
           {t / "absent.so", "No such file or directory"}}) {
    auto f = ElfFile::read(p, p);
    ASSERT_FALSE(f.ok()) << p;
    EXPECT_EQ(f.error().code(), Exit::bad_input);
    EXPECT_NE(f.error().message().find(p), std::string::npos) << f.error().message();
    EXPECT_NE(f.error().message().find(why), std::string::npos) << f.error().message();
  }
}

TEST_F(ElfFileTest, truncated_at_every_header_boundary_never_crashes) {
  std::string bytes = slurp(lib);
  auto* eh = reinterpret_cast<const Elf64_Ehdr*>(bytes.data());
  std::vector<size_t> cuts = {0, 1, 4, 15, 16, 17, 63, 64};
  for (unsigned i = 0; i <= eh->e_phnum; ++i) cuts.push_back(eh->e_phoff + i * eh->e_phentsize);
  auto* ph = reinterpret_cast<const Elf64_Phdr*>(bytes.data() + eh->e_phoff);
  for (unsigned i = 0; i < eh->e_phnum; ++i) {
    cuts.push_back(ph[i].p_offset);
    cuts.push_back(ph[i].p_offset + ph[i].p_filesz / 2);
  }
  int errors = 0;
  for (size_t cut : cuts) {
    if (cut >= bytes.size()) continue;
    spit(t / "cut.so", bytes.substr(0, cut));
    auto f = ElfFile::read(t / "cut.so", "cut.so");
    if (!f.ok()) {
      ++errors;
      EXPECT_NE(f.error().message().find("cut.so"), std::string::npos);
    }
  }
  EXPECT_GT(errors, 5);  // most cuts lose something the reader needs
}

TEST_F(ElfFileTest, lying_offsets_are_errors) {
  std::string good = slurp(lib);
  auto patch = [&](auto mutate) {
    std::string b = good;
    mutate(b);
    spit(t / "lie.so", b);
    return ElfFile::read(t / "lie.so", "lie.so");
  };
  auto phoff = patch([](std::string& b) { reinterpret_cast<Elf64_Ehdr*>(b.data())->e_phoff = 1ull << 40; });
  EXPECT_FALSE(phoff.ok());
  auto dyn = patch([](std::string& b) {
    auto* eh = reinterpret_cast<Elf64_Ehdr*>(b.data());
    auto* ph = reinterpret_cast<Elf64_Phdr*>(b.data() + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; ++i)
      if (ph[i].p_type == PT_DYNAMIC) ph[i].p_offset = b.size() + 4096;
  });
  ASSERT_FALSE(dyn.ok());
  EXPECT_NE(dyn.error().message().find("PT_DYNAMIC"), std::string::npos) << dyn.error().message();
  auto strtab = patch([](std::string& b) {
    auto* eh = reinterpret_cast<Elf64_Ehdr*>(b.data());
    auto* ph = reinterpret_cast<Elf64_Phdr*>(b.data() + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; ++i)
      if (ph[i].p_type == PT_DYNAMIC)
        for (auto* d = reinterpret_cast<Elf64_Dyn*>(b.data() + ph[i].p_offset); d->d_tag != DT_NULL; ++d)
          if (d->d_tag == DT_STRTAB) d->d_un.d_ptr = 0x7fff0000;
  });
  ASSERT_FALSE(strtab.ok());
  EXPECT_NE(strtab.error().message().find("DT_STRTAB"), std::string::npos) << strtab.error().message();
  auto needed = patch([](std::string& b) {
    auto* eh = reinterpret_cast<Elf64_Ehdr*>(b.data());
    auto* ph = reinterpret_cast<Elf64_Phdr*>(b.data() + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; ++i)
      if (ph[i].p_type == PT_DYNAMIC)
        for (auto* d = reinterpret_cast<Elf64_Dyn*>(b.data() + ph[i].p_offset); d->d_tag != DT_NULL; ++d)
          if (d->d_tag == DT_NEEDED) d->d_un.d_val = 0x10000000;
  });
  ASSERT_FALSE(needed.ok());
  EXPECT_NE(needed.error().message().find("DT_NEEDED"), std::string::npos) << needed.error().message();
}

}  // namespace
}  // namespace cuslim::test
