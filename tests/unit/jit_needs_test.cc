// JIT toolchains: the C compiler Triton needs brings the pieces of its own version only.
#include "jit/jit_needs.h"

#include <sys/stat.h>

#include <algorithm>

#include "fixture.h"
#include "profile/profile_set.h"

namespace cuslim {
namespace {

using test::TempDir;
using test::write_file;
namespace fs = std::filesystem;

const JitNeed& c_compiler_need(const ProfileSet& set) {
  for (auto& f : set.find("triton")->jit)
    for (auto& n : f.needs)
      if (n.what == "a C compiler") return n;
  throw std::runtime_error("the triton profile has no C compiler need");
}

void executable(const std::string& path) {
  write_file(path, "#!/bin/sh\n");
  ::chmod(path.c_str(), 0755);
}

// An Ubuntu 24.04-like root: gcc is gcc-13 (cc1 under libexec), gcc-12 is installed too.
void two_compilers(const TempDir& t) {
  executable(t / "usr/bin/x86_64-linux-gnu-gcc-13");
  executable(t / "usr/bin/x86_64-linux-gnu-gcc-12");
  fs::create_symlink("x86_64-linux-gnu-gcc-13", t / "usr/bin/gcc-13");
  fs::create_symlink("x86_64-linux-gnu-gcc-12", t / "usr/bin/gcc-12");
  fs::create_symlink("gcc-13", t / "usr/bin/gcc");
  executable(t / "usr/libexec/gcc/x86_64-linux-gnu/13/cc1");
  write_file(t / "usr/lib/gcc/x86_64-linux-gnu/13/crtbegin.o", "o");
  write_file(t / "usr/lib/gcc/x86_64-linux-gnu/13/include/stddef.h", "h");
  executable(t / "usr/lib/gcc/x86_64-linux-gnu/12/cc1");
  write_file(t / "usr/lib/gcc/x86_64-linux-gnu/12/crtbegin.o", "o");
  write_file(t / "usr/lib/gcc/x86_64-linux-gnu/12/include/stddef.h", "h");
}

bool holds(const std::vector<std::string>& paths, const std::string& p) { return std::find(paths.begin(), paths.end(), p) != paths.end(); }

TEST(JitCompiler, brings_the_pieces_of_the_found_gccs_version_only) {
  auto set = ProfileSet::builtin();
  ASSERT_TRUE(set.ok());
  TempDir t;
  two_compilers(t);
  Root root(t.path());
  auto& need = c_compiler_need(*set);
  auto found = find_need(root, need, {}, {"/usr/bin"});
  ASSERT_EQ(found, "/usr/bin/gcc");
  auto keep = need_keep_paths(root, need, *found, {});
  EXPECT_TRUE(holds(keep, "/usr/libexec/gcc/x86_64-linux-gnu/13/cc1"));
  EXPECT_TRUE(holds(keep, "/usr/lib/gcc/x86_64-linux-gnu/13/crtbegin.o"));
  EXPECT_TRUE(holds(keep, "/usr/lib/gcc/x86_64-linux-gnu/13/include/stddef.h"));
  EXPECT_TRUE(holds(keep, "/usr/bin/x86_64-linux-gnu-gcc-13"));
  EXPECT_TRUE(holds(keep, "/usr/bin/gcc-13"));
  for (auto& p : keep) EXPECT_TRUE(p.find("/12/") == std::string::npos && p.find("gcc-12") == std::string::npos) << p;
}

TEST(JitCompiler, a_gcc_without_a_version_in_its_name_brings_every_version) {
  auto set = ProfileSet::builtin();
  ASSERT_TRUE(set.ok());
  TempDir t;
  two_compilers(t);
  fs::remove(t / "usr/bin/gcc");
  executable(t / "usr/bin/gcc");  // RHEL: /usr/bin/gcc is the driver itself
  Root root(t.path());
  auto& need = c_compiler_need(*set);
  auto keep = need_keep_paths(root, need, "/usr/bin/gcc", {});
  EXPECT_TRUE(holds(keep, "/usr/libexec/gcc/x86_64-linux-gnu/13/cc1"));
  EXPECT_TRUE(holds(keep, "/usr/lib/gcc/x86_64-linux-gnu/12/cc1"));
}

TEST(JitCompiler, a_version_no_dir_is_named_after_falls_back_to_every_version) {
  auto set = ProfileSet::builtin();
  ASSERT_TRUE(set.ok());
  TempDir t;
  two_compilers(t);
  executable(t / "usr/bin/x86_64-linux-gnu-gcc-13.2");  // dirs say 13 and 12: "13.2" names none
  fs::remove(t / "usr/bin/gcc");
  fs::create_symlink("x86_64-linux-gnu-gcc-13.2", t / "usr/bin/gcc");
  Root root(t.path());
  auto& need = c_compiler_need(*set);
  auto keep = need_keep_paths(root, need, "/usr/bin/gcc", {});
  EXPECT_TRUE(holds(keep, "/usr/libexec/gcc/x86_64-linux-gnu/13/cc1"));
  EXPECT_TRUE(holds(keep, "/usr/lib/gcc/x86_64-linux-gnu/12/cc1"));
}

}  // namespace
}  // namespace cuslim
