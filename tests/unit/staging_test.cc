// The staging directory name carries its owner's pid; only that exact pattern counts, so stale
// clean-up never removes anything else.
#include <gtest/gtest.h>
#include <unistd.h>

#include "core/staging.h"

namespace cuslim {
namespace {

TEST(StagingName, OwnerPidOnlyForTheExactPattern) {
  struct Case { const char* name; int pid; } cases[] = {
      {"cuslim-run-1234-AbC123", 1234},
      {"cuslim-run-1-zzzzzz", 1},
      {"cuslim-run-2147483647-A1b2C3", 2147483647},
      {"cuslim-run-2147483648-A1b2C3", 0},  // beyond a pid_t
      {"cuslim-run-0-AbC123", 0},
      {"cuslim-run-01234-AbC123", 0},       // leading zero
      {"cuslim-run-12345678901-AbC123", 0}, // 11 digits
      {"cuslim-run-1234-AbC12", 0},
      {"cuslim-run-1234-AbC1234", 0},
      {"cuslim-run-1234-AbC-23", 0},
      {"cuslim-run-12a4-AbC123", 0},
      {"cuslim-run-AbC123", 0},             // the old name without a pid
      {"cuslim-run--AbC123", 0},
      {"xcuslim-run-1234-AbC123", 0},
      {"cuslim-run-1234-AbC123/..", 0},
      {"", 0},
  };
  for (auto& c : cases) EXPECT_EQ(staging_owner_pid(c.name), c.pid) << c.name;
}

TEST(StagingName, CarriesOurPid) {
  auto s = Staging::make();
  ASSERT_TRUE(s.ok()) << s.error().message();
  std::string base = s->path().substr(s->path().rfind('/') + 1);
  EXPECT_EQ(staging_owner_pid(base), ::getpid()) << s->path();
}

}  // namespace
}  // namespace cuslim
