// The sandbox's time limit, with the host's own programs bound in read-only (root only: mount and
// pid namespaces).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>

#include "fixture.h"
#include "sandbox/sandbox.h"

namespace cuslim {
namespace {

using test::TempDir;

SandboxSpec host_programs(const std::string& rootfs) {
  SandboxSpec spec{.rootfs = rootfs};
  for (const char* d : {"/usr", "/bin", "/lib", "/lib64", "/sbin"})
    if (std::filesystem::exists(d) && !std::filesystem::is_symlink(d)) spec.binds.push_back({d, d, true});
    else if (std::filesystem::is_symlink(d)) spec.symlinks.push_back({d, std::filesystem::read_symlink(d).string()});
  spec.env = {"PATH=/usr/bin:/bin"};
  return spec;
}

TEST(Sandbox, a_program_past_its_time_limit_is_killed_with_everything_it_started) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (mount and pid namespaces)";
  TempDir dir;
  auto spec = host_programs(dir.path());
  // A child in the background and the program itself both sleep far past the limit.
  spec.argv = {"/bin/sh", "-c", "sleep 47.123 & sleep 47.123; echo never"};
  spec.timeout_s = 1;
  auto t0 = std::chrono::steady_clock::now();
  bool timed_out = false;
  auto rc = run_sandbox(spec, &timed_out);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(rc.ok()) << rc.error().message();
  EXPECT_EQ(*rc, kSandboxTimedOut);
  EXPECT_TRUE(timed_out);
  EXPECT_LT(secs, 20.0);
  EXPECT_NE(test::run("pgrep -f 'sleep 47[.]123'").status, 0) << "a sandboxed process outlived the time limit";
  // Within the limit: the program's own exit code, 124 included (not a time-limit kill).
  spec.argv = {"/bin/sh", "-c", "exit 124"};
  spec.timeout_s = 30;
  rc = run_sandbox(spec, &timed_out);
  ASSERT_TRUE(rc.ok()) << rc.error().message();
  EXPECT_EQ(*rc, 124);
  EXPECT_FALSE(timed_out);
}

}  // namespace
}  // namespace cuslim
