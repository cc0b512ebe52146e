// Driver discovery on fake driver trees (GKE-style and Debian-style), the compat verdict table,
// and the fatbin reader on objects nvcc builds here with known -gencode sets and on corrupt copies.
#include <cstring>

#include "fixture.h"
#include "profile/cuda_compat.h"
#include "profile/inspection.h"
#include "profile/profile_set.h"
#include "sandbox/host_driver.h"
#include "core/path.h"
#include <set>

namespace cuslim::test {
namespace {

// An ELF note: "NVIDIA Corporation" owner, the JSON payload libcuda carries.
void fake_driver(const std::string& root, const std::string& dir, const std::string& ver) {
  std::string d = root + dir;
  build_lib(d + "/libcuda.so." + ver, "void cuInit(void){}", "-Wl,-soname,libcuda.so.1");
  write_file(root + "/note.bin", cuda_fwd_note(R"({"format":1,"CUDA version":"13.0","driver":[535,550,570,575,580]})", true));
  auto r = run("objcopy --add-section .note.cuda.fwd_compatibility='" + root + "/note.bin' '" + d + "/libcuda.so." + ver + "'");
  ASSERT_EQ(r.status, 0) << r.out;
  fs::create_symlink("libcuda.so." + ver, d + "/libcuda.so.1");
  for (auto* lib : {"libnvidia-ml", "libnvidia-ptxjitcompiler", "libnvidia-nvvm", "libnvidia-encode"})
    build_lib(d + "/" + lib + ".so." + ver, "int x;");
  write_file(root + "/dev/nvidia0", "");
  write_file(root + "/dev/nvidiactl", "");
  write_file(root + "/dev/nvidia-uvm", "");
  write_file(root + "/lib/firmware/nvidia/" + ver + "/gsp_ga10x.bin", "fw");
  write_file(root + "/usr/bin/nvidia-smi", "#!/bin/sh\n");
}

std::optional<HostDriver> discover(const std::string& root_dir) {
  auto set = *ProfileSet::builtin();
  auto c = *Classifier::make(set, "glibc");
  Root root(root_dir);
  auto d = find_host_driver(root, c, {});
  EXPECT_TRUE(d.ok());
  return d.ok() ? *d : std::nullopt;
}

TEST(HostDriver, gke_layout) {
  TempDir t;
  fake_driver(t.path(), "/usr/local/nvidia/lib64", "580.65.06");
  auto d = discover(t.path());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->version_text, "580.65.06");
  EXPECT_EQ(d->libcuda, "/usr/local/nvidia/lib64/libcuda.so.580.65.06");
  ASSERT_TRUE(d->cuda_version);
  EXPECT_EQ(d->cuda_version->str(2), "13.0");
  EXPECT_EQ(d->library_dirs, std::vector<std::string>{"/usr/local/nvidia/lib64"});
  std::map<std::string, std::string> cap;
  for (auto& l : d->libraries) cap[path::basename(l.path)] = l.capability;
  EXPECT_EQ(cap["libnvidia-ml.so.580.65.06"], "utility");
  EXPECT_EQ(cap["libnvidia-ptxjitcompiler.so.580.65.06"], "compute");
  EXPECT_EQ(cap["libnvidia-encode.so.580.65.06"], "video");
  EXPECT_EQ(d->devices, (std::vector<std::string>{"/dev/nvidia-uvm", "/dev/nvidia0", "/dev/nvidiactl"}));
  EXPECT_EQ(d->firmware.size(), 1u);
  EXPECT_EQ(d->binaries, std::vector<std::string>{"/usr/bin/nvidia-smi"});
}

TEST(HostDriver, debian_layout_and_no_driver) {
  TempDir t;
  fake_driver(t.path(), "/usr/lib/x86_64-linux-gnu", "570.124.06");
  auto d = discover(t.path());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->version_text, "570.124.06");
  EXPECT_EQ(d->library_dirs, std::vector<std::string>{"/usr/lib/x86_64-linux-gnu"});
  TempDir empty;
  EXPECT_FALSE(discover(empty.path()));
  auto cli = run(std::string(CUSLIM_BINARY) + " driver --root " + empty.path());
  EXPECT_EQ(cli.status, 1);
  EXPECT_NE(cli.out.find("no NVIDIA driver found"), std::string::npos);
  auto found = run(std::string(CUSLIM_BINARY) + " driver --json --root " + t.path());
  EXPECT_EQ(found.status, 0) << found.out;
  EXPECT_NE(found.out.find("\"version\": \"570.124.06\""), std::string::npos) << found.out;
}

// An upgrade's leftovers: two versions of libcuda. The one libcuda.so.1 leads to is the driver;
// without that link the newest by number (570.124.06, which sorts below 570.86.15 as text).
TEST(HostDriver, several_versions_the_link_then_the_newest_by_number) {
  TempDir t;
  fake_driver(t.path(), "/usr/lib/x86_64-linux-gnu", "570.124.06");
  build_lib(t.path() + "/usr/lib/x86_64-linux-gnu/libcuda.so.570.86.15", "void cuInit(void){}", "-Wl,-soname,libcuda.so.1");
  auto d = discover(t.path());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->version_text, "570.124.06");
  fs::remove(t.path() + "/usr/lib/x86_64-linux-gnu/libcuda.so.1");
  fs::create_symlink("libcuda.so.570.86.15", t.path() + "/usr/lib/x86_64-linux-gnu/libcuda.so.1");
  d = discover(t.path());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->version_text, "570.86.15");  // what the loader loads, older or not
  fs::remove(t.path() + "/usr/lib/x86_64-linux-gnu/libcuda.so.1");
  d = discover(t.path());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->version_text, "570.124.06");
}

// A utility-only install (NVML, no libcuda) is a driver of that version without a compute library.
TEST(HostDriver, nvml_only_has_no_libcuda) {
  TempDir t;
  build_lib(t.path() + "/usr/lib64/libnvidia-ml.so.550.90.07", "int x;", "-Wl,-soname,libnvidia-ml.so.1");
  auto d = discover(t.path());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->version_text, "550.90.07");
  EXPECT_EQ(d->libcuda, "");
  auto cli = run(std::string(CUSLIM_BINARY) + " driver --root " + t.path());
  EXPECT_NE(cli.out.find("libcuda: none"), std::string::npos) << cli.out;
}

// A user's driver-kind profile that only adds a rule keeps the built-in one's search dirs.
TEST(HostDriver, a_user_driver_profile_adds_to_the_builtin_search) {
  TempDir t;
  fake_driver(t.path(), "/usr/local/nvidia/lib64", "580.65.06");
  write_file(t.path() + "/xd.yaml", "name: extra-driver\nkind: driver\nclassify:\n  - {class: driver, rule: extra, names: [\"libmydrv.so*\"]}\n");
  auto cli = run(std::string(CUSLIM_BINARY) + " driver --root " + t.path() + " --profile " + t.path() + "/xd.yaml");
  EXPECT_EQ(cli.status, 0) << cli.out;
  EXPECT_NE(cli.out.find("580.65.06"), std::string::npos) << cli.out;
}

TEST(Compat, verdicts_against_a_table_of_drivers) {
  struct Case {
    const char *cuda, *driver;
    CompatVerdict want;
  };
  for (auto [cuda, driver, want] : std::vector<Case>{
           {"13.0", "580.65.06", CompatVerdict::ok},
           {"13.0", "580.159.04", CompatVerdict::ok},
           {"13.2", "580.95.05", CompatVerdict::ok_minor_version_compat},
           {"13.0", "570.124.06", CompatVerdict::needs_forward_compat},
           {"13.0", "470.82.01", CompatVerdict::incompatible},
           {"12.8", "580.65.06", CompatVerdict::ok},
           {"12.8", "535.104.05", CompatVerdict::ok_minor_version_compat},
           {"12.0", "525.60.13", CompatVerdict::ok},
           {"12.4", "470.82.01", CompatVerdict::needs_forward_compat},
           {"11.8", "450.80.02", CompatVerdict::ok_minor_version_compat},
           {"11.8", "520.61.05", CompatVerdict::ok},
           {"11.8", "418.40.04", CompatVerdict::incompatible},
           {"11.0", "450.51.06", CompatVerdict::ok}}) {
    auto r = check_compat(*Version::parse(cuda), *Version::parse(driver));
    EXPECT_EQ(verdict_name(r.verdict), verdict_name(want)) << "CUDA " << cuda << " on " << driver << ": " << r.detail;
  }
  auto mvc = check_compat(*Version::parse("13.2"), *Version::parse("580.95.05"));
  EXPECT_NE(mvc.detail.find("PTX"), std::string::npos);  // the PTX-JIT caveat
  // 450.36.06 was 11.0.1 RC's driver; the release notes' 11.0 row (11.0.3) needs 450.51.06
  EXPECT_NE(verdict_name(check_compat(*Version::parse("11.0"), *Version::parse("450.36.06")).verdict), verdict_name(CompatVerdict::ok));
}

// Minor-version compatibility is not forward compatibility: the one rule every command uses.
TEST(Compat, needs_a_newer_driver_only_outside_minor_version_compatibility) {
  EXPECT_FALSE(needs_newer_driver(*Version::parse("11.8"), *Version::parse("450.191.01")));  // MVC
  EXPECT_FALSE(needs_newer_driver(*Version::parse("12.9"), *Version::parse("525.60.13")));   // MVC
  EXPECT_TRUE(needs_newer_driver(*Version::parse("11.8"), *Version::parse("450.51.06")));    // below the 11.x floor
  EXPECT_TRUE(needs_newer_driver(*Version::parse("13.0"), *Version::parse("570.172.08")));
  EXPECT_FALSE(needs_newer_driver(*Version::parse("13.0"), *Version::parse("580.65.06")));
}

// A minor the table does not hold (13.5, a real wheel) is bounded by the newest known one below
// it, and is judged: below the major's floor it needs cuda-compat, above it MVC covers it.
TEST(Compat, a_minor_the_table_does_not_hold_is_bounded_not_ignored) {
  auto need = driver_need(*Version::parse("13.5"));
  ASSERT_TRUE(need);
  EXPECT_FALSE(need->exact);
  EXPECT_EQ(need->min, *Version::parse("595.45.04"));  // 13.2's
  EXPECT_NE(need->text().find("at least 595.45.04"), std::string::npos) << need->text();
  EXPECT_TRUE(driver_need(*Version::parse("13.0"))->exact);
  EXPECT_EQ(check_compat(*Version::parse("13.5"), *Version::parse("570.172.08")).verdict, CompatVerdict::needs_forward_compat);
  EXPECT_TRUE(needs_newer_driver(*Version::parse("13.5"), *Version::parse("570.172.08")));
  auto r = check_compat(*Version::parse("13.5"), *Version::parse("595.45.04"));
  EXPECT_EQ(r.verdict, CompatVerdict::ok_minor_version_compat) << r.detail;
  EXPECT_EQ(r.detail.find("older than"), std::string::npos) << r.detail;  // no claim the table cannot make
  EXPECT_FALSE(driver_need(*Version::parse("99.0")));
}

TEST(Compat, driver_versions_are_parsed_strictly) {
  EXPECT_EQ(Version::parse_driver("580.65.06"), (Version{580, 65, 6}));
  EXPECT_EQ(Version::parse_driver("575.51"), (Version{575, 51, 0}));  // equal in value...
  EXPECT_EQ(Version::parse_driver("390.157")->str(3), "390.157");      // ...and said as given, not 390.157.00
  EXPECT_EQ(Version::parse_driver("580.65.06")->str(3), "580.65.06");
  for (const char* bad : {"", "580", "575.51.x", "575.51.03.7", ".580.65", "580..65", "580.65.", "abc", "580.65.06 "})
    EXPECT_FALSE(Version::parse_driver(bad)) << "'" << bad << "'";
}

class FatbinTest : public ::testing::Test {
 protected:
  TempDir t;
  std::string lib = t / "libk.so";
  void SetUp() override {
    if (!fs::exists("/usr/local/cuda/bin/nvcc")) GTEST_SKIP() << "nvcc not installed: the fatbin fixtures need it";
    write_file(t / "k.cu", "__global__ void k(float* x){x[threadIdx.x]*=2.f;}\nvoid launch(float* x){k<<<1,32>>>(x);}\n");
    auto r = run("/usr/local/cuda/bin/nvcc -shared -Xcompiler -fPIC -o '" + lib + "' '" + t / "k.cu" +
                 "' -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 "
                 "-gencode arch=compute_90a,code=sm_90a -gencode arch=compute_90,code=compute_90");
    ASSERT_EQ(r.status, 0) << r.out;
  }
  Fatbin read(const std::string& p) {
    auto elf = ElfFile::read(p, p, ElfFile::Parts::all);
    EXPECT_TRUE(elf.ok());
    auto f = Fatbin::read(p, *elf);
    EXPECT_TRUE(f.ok()) << (f.ok() ? "" : f.error().message());
    return f.ok() ? *f : Fatbin{};
  }
};

TEST_F(FatbinTest, entries_match_the_gencode_set) {
  auto f = read(lib);
  // nvcc -shared adds a second container from its device-link step, with the same SASS archs.
  std::set<std::string> names;
  for (auto& e : f.entries) names.insert(e.arch_name());
  EXPECT_EQ(names, (std::set<std::string>{"sm_80", "sm_90", "sm_90a", "compute_90"})) << f.entries.size();
  EXPECT_GE(f.containers, 1u);
  for (auto& e : f.entries) {
    EXPECT_GT(e.stored_size, 0u);
    EXPECT_EQ(e.variant, e.arch_name() == "sm_90a" ? "a" : "");
  }
  for (auto& e : f.entries) {
    if (e.kind == FatbinEntry::ptx) {
      EXPECT_EQ(cuda_of_ptx_isa(e.isa_major, e.isa_minor)->major, 13);
    }
  }
  std::string why;
  EXPECT_TRUE(arch_covered(f.entries, 90, &why));
  EXPECT_EQ(why, "SASS sm_90");
  EXPECT_TRUE(arch_covered(f.entries, 86, &why));  // sm_80 SASS runs on 8.6
  EXPECT_TRUE(arch_covered(f.entries, 120, &why));  // compute_90 PTX JIT
  EXPECT_EQ(why, "PTX compute_90 (JIT at load)");
  EXPECT_FALSE(arch_covered(f.entries, 75, &why));
}

TEST_F(FatbinTest, corrupt_containers_are_warnings_not_crashes) {
  auto elf = *ElfFile::read(lib, lib, ElfFile::Parts::all);
  auto* s = elf.section(".nv_fatbin");
  ASSERT_NE(s, nullptr);
  std::ifstream in(lib, std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(in), {}};
  auto patched = [&](size_t off, uint64_t v, int width) {
    std::string b = bytes;
    std::memcpy(b.data() + off, &v, width);
    std::ofstream(t / "bad.so", std::ios::binary) << b;
    return read(t / "bad.so");
  };
  auto huge = patched(s->offset + 8, 1ull << 40, 8);  // container fatSize past the section
  EXPECT_TRUE(huge.entries.empty());
  ASSERT_FALSE(huge.warnings.empty());
  EXPECT_NE(huge.warnings[0].find("past the section end"), std::string::npos);
  auto magic = patched(s->offset, 0x12345678, 4);
  EXPECT_FALSE(magic.warnings.empty());
  auto entry = patched(s->offset + 16 + 8, 1ull << 40, 8);  // first entry's payload size
  EXPECT_FALSE(entry.warnings.empty());
}

}  // namespace
}  // namespace cuslim::test
