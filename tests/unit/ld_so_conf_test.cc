// ld.so.conf reading inside a root: include loops are cut on the file, whatever name reached it.
#include <gtest/gtest.h>

#include "core/root.h"
#include "fixture.h"
#include "loader/ld_so_conf.h"

namespace cuslim {
namespace {

// A conf that includes itself twice under ever longer names ("d/./a.conf", "d/../d/a.conf",
// "d/./../d/a.conf", ...): read once, not once per name (2^16 names before the depth limit;
// found by fuzz/ld_so_conf_fuzz.cc as a hang).
TEST(LdSoConf, SelfIncludeUnderManyNamesIsReadOnce) {
  test::TempDir t;
  test::write_file(t / "etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n");
  test::write_file(t / "etc/ld.so.conf.d/a.conf", "include ./*.conf ../ld.so.conf.d/*.conf\n/opt/a\n");
  auto conf = read_ld_so_conf(Root(t.path()));
  ASSERT_TRUE(conf.ok()) << conf.error().message();
  EXPECT_EQ(conf->files, (std::vector<std::string>{"/etc/ld.so.conf", "/etc/ld.so.conf.d/a.conf"}));
  EXPECT_EQ(conf->dirs, std::vector<std::string>{"/opt/a"});
}

// Two files including each other through a relative and an absolute name.
TEST(LdSoConf, MutualIncludesAreCut) {
  test::TempDir t;
  test::write_file(t / "etc/ld.so.conf", "include ld.so.conf.d/*.conf\n/usr/local/lib\n");
  test::write_file(t / "etc/ld.so.conf.d/a.conf", "/opt/a\ninclude ../ld.so.conf.d/b.conf\n");
  test::write_file(t / "etc/ld.so.conf.d/b.conf", "/opt/b\ninclude /etc/ld.so.conf /etc//ld.so.conf.d/a.conf\n");
  auto conf = read_ld_so_conf(Root(t.path()));
  ASSERT_TRUE(conf.ok()) << conf.error().message();
  EXPECT_EQ(conf->files.size(), 3u);
  EXPECT_EQ(conf->dirs, (std::vector<std::string>{"/opt/a", "/opt/b", "/usr/local/lib"}));
}

}  // namespace
}  // namespace cuslim
