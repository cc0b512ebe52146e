// CUDA forward compatibility: the forward-compat class by location, cuda-compat sets read from
// roots built here (libcuda.so.<version> with a .note.cuda.fwd_compatibility added by objcopy, a
// set without the note, /usr/local/cuda as a link), the NVIDIA hook's choice and whether a set
// serves a runtime on a driver.
#include "fixture.h"
#include "profile/forward_compat.h"
#include "core/path.h"
#include "profile/profile_set.h"

namespace cuslim::test {
namespace {

// One ELF note, owner "NVIDIA Corporation", with libcuda's JSON payload.
// A compat dir: libcuda.so.<ver> (+ note when given) and libnvidia-ptxjitcompiler, with links.
void compat_dir(const std::string& dir, const std::string& ver, const std::string& note_json) {
  build_lib(dir + "/libcuda.so." + ver, "int cuInit(unsigned f){return (int)f;}", "-Wl,-soname,libcuda.so.1");
  build_lib(dir + "/libnvidia-ptxjitcompiler.so." + ver, "int x;", "-Wl,-soname,libnvidia-ptxjitcompiler.so.1");
  fs::create_symlink("libcuda.so." + ver, dir + "/libcuda.so.1");
  for (auto* lib : {"/libcuda.so.", "/libnvidia-ptxjitcompiler.so."}) fs::remove(dir + lib + ver + ".c");  // build_lib's sources
  if (note_json.empty()) return;
  write_file(dir + "/../note.bin", cuda_fwd_note(note_json, false));
  auto r = run("objcopy --add-section .note.cuda.fwd_compatibility='" + dir + "/../note.bin' --set-section-flags "
               ".note.cuda.fwd_compatibility=alloc,readonly '" + dir + "/libcuda.so." + ver + "'");
  ASSERT_EQ(r.status, 0) << r.out;
  fs::remove(dir + "/../note.bin");
}

const char* kNote13 = R"({"format":1,"CUDA version":"13.0","driver":[535,550,565,570,575,580],"device":[1,2,7]})";

Classifier classifier() { return *Classifier::make(*ProfileSet::builtin(), "glibc"); }

CompatSet set_of(std::vector<int> branches, const std::string& version, bool from_note = true) {
  CompatSet s{.real_dir = "/usr/local/cuda-13.0/compat", .version = *Version::parse(version), .version_text = version};
  s.branches = std::move(branches);
  s.from_note = from_note;
  s.cuda = Version{13, 0, 0};
  return s;
}

TEST(ForwardCompatClass, by_location_never_by_name) {
  auto c = classifier();
  for (auto* p : {"/usr/local/cuda-13.0/compat/libcuda.so.580.65.06", "/usr/local/cuda/compat/libnvidia-ptxjitcompiler.so.1",
                  "/usr/local/cuda-12.2/compat/libcudadebugger.so.535.129.03"})
    EXPECT_EQ(c.classify(p, p, std::nullopt, path::basename(p)).cls, ObjectClass::forward_compat) << p;
  for (auto* p : {"/usr/local/nvidia/lib64/libcuda.so.580.65.06", "/usr/lib/x86_64-linux-gnu/libnvidia-ptxjitcompiler.so.1"})
    EXPECT_EQ(c.classify(p, p, std::nullopt, path::basename(p)).cls, ObjectClass::driver) << p;
  EXPECT_TRUE(c.is_driver_name("libcuda.so.1"));  // a name alone is the host's: a leaf, never missing
  EXPECT_EQ(to_string(ObjectClass::forward_compat), "forward-compat");
  EXPECT_EQ(parse_object_class("forward-compat"), ObjectClass::forward_compat);
}

TEST(ForwardCompatSets, read_from_a_root) {
  TempDir t;
  compat_dir(t / "usr/local/cuda-13.0/compat", "580.65.06", kNote13);
  compat_dir(t / "usr/local/cuda-12.8/compat", "570.124.06", "");  // an older package: no note
  fs::create_symlink("cuda-13.0", t / "usr/local/cuda");
  write_file(t / "usr/local/cuda-12.9/compat/README", "no libcuda here");
  auto c = classifier();
  auto* data = forward_compat_data(c);
  ASSERT_TRUE(data);
  auto sets = find_compat_sets(Root(t.path()), *data);
  ASSERT_EQ(sets.size(), 2u);  // /usr/local/cuda/compat is cuda-13.0's; cuda-12.9 holds no libcuda
  EXPECT_EQ(sets[0].dir, "/usr/local/cuda/compat");
  EXPECT_EQ(sets[0].real_dir, "/usr/local/cuda-13.0/compat");
  EXPECT_EQ(sets[0].libcuda, "/usr/local/cuda-13.0/compat/libcuda.so.580.65.06");
  EXPECT_EQ(sets[0].version_text, "580.65.06");
  EXPECT_TRUE(sets[0].from_note);
  EXPECT_EQ(sets[0].branches, (std::vector<int>{535, 550, 565, 570, 575, 580}));
  ASSERT_TRUE(sets[0].cuda);
  EXPECT_EQ(sets[0].cuda->str(2), "13.0");
  EXPECT_EQ(sets[0].package, "cuda-compat-13-0");
  EXPECT_EQ(sets[0].files.size(), 3u);
  EXPECT_EQ(sets[1].real_dir, "/usr/local/cuda-12.8/compat");
  EXPECT_FALSE(sets[1].from_note);  // branches from the table's 12.x row, CUDA from the dir name
  EXPECT_EQ(sets[1].package, "cuda-compat-12-8");
  EXPECT_EQ(sets[1].branches, cuda_major_compat(12)->forward_compat_branches);
}

TEST(ForwardCompatRules, the_hooks_choice) {
  auto s = set_of({535, 550, 565, 570, 575, 580}, "580.65.06");
  EXPECT_TRUE(hook_choice(s, *Version::parse("535.230.02")).use_compat);
  EXPECT_TRUE(hook_choice(s, *Version::parse("580.65.05")).use_compat);    // listed and older
  EXPECT_FALSE(hook_choice(s, *Version::parse("580.65.06")).use_compat);   // not older
  EXPECT_FALSE(hook_choice(s, *Version::parse("580.159.04")).use_compat);  // newer
  auto unlisted = hook_choice(s, *Version::parse("470.256.02"));
  EXPECT_FALSE(unlisted.use_compat);
  EXPECT_NE(unlisted.why.find("not listed"), std::string::npos) << unlisted.why;
  auto old = set_of({}, "580.65.06", false);  // no note: majors compared
  EXPECT_TRUE(hook_choice(old, *Version::parse("470.256.02")).use_compat);
  EXPECT_FALSE(hook_choice(old, *Version::parse("580.1.2")).use_compat);
}

TEST(ForwardCompatRules, serves_a_runtime_on_a_driver) {
  Version cuda13{13, 0, 0};
  auto s = set_of({535, 550, 565, 570, 575, 580}, "580.65.06");
  EXPECT_TRUE(serves(s, cuda13, *Version::parse("535.230.02")).ok);
  EXPECT_TRUE(serves(s, cuda13, *Version::parse("570.172.08")).ok);
  EXPECT_FALSE(serves(s, cuda13, *Version::parse("470.256.02")).ok);
  auto old = set_of({535, 550, 570}, "575.57.08");  // a 12.9 set cannot serve CUDA 13.0 (needs 580.65.06)
  auto r = serves(old, cuda13, *Version::parse("535.230.02"));
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.why.find("minimum driver 580.65.06"), std::string::npos) << r.why;
  std::vector<CompatSet> sets = {old, s};
  std::string why;
  EXPECT_EQ(serving_set(sets, cuda13, *Version::parse("535.230.02"), &why), &sets[1]);
  EXPECT_EQ(serving_set(sets, cuda13, *Version::parse("470.256.02"), &why), nullptr);
  EXPECT_NE(why.find("does not serve branch 470"), std::string::npos) << why;
  EXPECT_EQ(serving_set({}, cuda13, *Version::parse("535.230.02"), &why), nullptr);
  EXPECT_EQ(why, "the image has no cuda-compat set");
}

}  // namespace
}  // namespace cuslim::test
