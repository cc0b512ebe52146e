// The image's User read as docker and runc read it: names from the image's own /etc/passwd and
// /etc/group (a link out of the rootfs stays inside it), numeric ids without entries, the
// supplementary groups that list the user, HOME, and names the image does not know as errors.
#include <gtest/gtest.h>

#include "fixture.h"
#include "sandbox/image_user.h"

namespace cuslim {
namespace {

class ImageUserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_file(t / "root/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n# a comment\nalice:x:1000:1000:Alice:/home/alice:/bin/sh\n");
    test::write_file(t / "root/etc/group", "root:x:0:\nalice:x:1000:\nvideo:x:44:bob,alice\naudio:x:29:bob\n");
  }
  Result<ImageUser> user(const std::string& u) { return resolve_image_user(t / "root", u); }
  test::TempDir t;
};

TEST_F(ImageUserTest, NameTakesUidGidHomeAndTheGroupsThatListIt) {
  auto u = user("alice");
  ASSERT_TRUE(u.ok()) << u.error().message();
  EXPECT_EQ(u->uid, 1000u);
  EXPECT_EQ(u->gid, 1000u);
  EXPECT_EQ(u->home, "/home/alice");
  EXPECT_EQ(u->groups, (std::vector<gid_t>{1000, 44}));
}

TEST_F(ImageUserTest, NumbersNeedNoEntriesAndAGroupOverridesThePrimary) {
  auto u = user("4242");
  ASSERT_TRUE(u.ok()) << u.error().message();
  EXPECT_EQ(u->uid, 4242u);
  EXPECT_EQ(u->gid, 0u);
  EXPECT_EQ(u->home, "/");
  auto v = user("1000:video");  // a uid of an entry: its home and groups; the group by name
  ASSERT_TRUE(v.ok()) << v.error().message();
  EXPECT_EQ(v->uid, 1000u);
  EXPECT_EQ(v->gid, 44u);
  EXPECT_EQ(v->home, "/home/alice");
  auto w = user("alice:29");
  ASSERT_TRUE(w.ok()) << w.error().message();
  EXPECT_EQ(w->gid, 29u);
}

TEST_F(ImageUserTest, UnknownNamesAndBadNumbersAreBadInput) {
  for (auto bad : {"ghost", "alice:wheel", ":1", "99999999999", "-1"}) {
    auto u = user(bad);
    ASSERT_FALSE(u.ok()) << bad;
    EXPECT_EQ(u.error().code(), Exit::bad_input) << u.error().message();
    EXPECT_NE(u.error().message().find(std::string("the image's User '") + bad + "'"), std::string::npos) << u.error().message();
  }
}

TEST_F(ImageUserTest, AnEntryWhoseIdsAreNotNumbersIsBadInputNeverSomeUid) {
  test::write_file(t / "root/etc/passwd", "app:x:abc:0::/:/bin/sh\nbig:x:99999999999999999999:0::/:/bin/sh\nneg:x:-5:0::/:/bin/sh\n"
                                           "grp:x:1000:xyz::/:/bin/sh\n");
  for (auto [name, field] : {std::pair{"app", "uid 'abc'"}, {"big", "uid '99999999999999999999'"}, {"neg", "uid '-5'"}, {"grp", "gid 'xyz'"}}) {
    auto u = user(name);
    ASSERT_FALSE(u.ok()) << name << " ran as uid " << u->uid;
    EXPECT_EQ(u.error().code(), Exit::bad_input);
    EXPECT_NE(u.error().message().find(std::string("/etc/passwd gives '") + name + "' the " + field), std::string::npos) << u.error().message();
  }
}

TEST_F(ImageUserTest, ALinkOutOfTheRootfsIsReadInsideIt) {
  test::write_file(t / "host/passwd", "evil:x:0:0::/:/bin/sh\n");
  std::filesystem::remove(t / "root/etc/passwd");
  std::filesystem::create_symlink(t / "host/passwd", t / "root/etc/passwd");  // absolute: re-rooted, so missing
  auto u = user("evil");
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.error().message().find("no user 'evil'"), std::string::npos) << u.error().message();
}

}  // namespace
}  // namespace cuslim
