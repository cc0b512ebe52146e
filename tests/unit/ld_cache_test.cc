// ld.so.cache reader against caches ldconfig writes here (new, old and compat formats, with
// glibc-hwcaps entries), and against truncated and lying caches.
#include "loader/ld_cache.h"

#include <cstring>

#include "fixture.h"
#include "loader/loader_abi.h"

namespace cuslim::test {
namespace {

const std::vector<int32_t> kX86_64 = {0x303};

class LdCacheTest : public ::testing::Test {
 protected:
  TempDir t;
  // A root with libq in a plain dir and in glibc-hwcaps/x86-64-v3; ldconfig builds its cache.
  std::string make_cache(const std::string& format) {
    build_lib(t / "root/opt/q/libq.so.1", "void q(void){}", "-Wl,-soname,libq.so.1");
    build_lib(t / "root/opt/q/glibc-hwcaps/x86-64-v3/libq.so.1", "void q(void){}", "-Wl,-soname,libq.so.1");
    write_file(t / "root/etc/ld.so.conf", "/opt/q\n");
    std::string cache = "/etc/ld.so.cache." + format;
    auto r = run("ldconfig -X -c " + format + " -r '" + t / "root" + "' -C " + cache);
    EXPECT_EQ(r.status, 0) << r.out;
    return t / ("root" + cache);
  }
};

TEST_F(LdCacheTest, host_cache_resolves_libc) {
  auto c = LdCache::read("/etc/ld.so.cache", "/etc/ld.so.cache");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_TRUE(c->new_format());
  auto hit = c->lookup("libc.so.6", kX86_64, host_hwcaps());
  ASSERT_TRUE(hit);
  EXPECT_EQ(fs::canonical(*hit), fs::canonical("/lib/x86_64-linux-gnu/libc.so.6"));
  EXPECT_FALSE(c->lookup("libc.so.6", {0x0a03}, {}));  // an aarch64 loader would not take it
}

TEST_F(LdCacheTest, new_format_prefers_the_best_active_hwcaps_entry) {
  auto c = LdCache::read(make_cache("new"), "cache");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->lookup("libq.so.1", kX86_64, {"x86-64-v4", "x86-64-v3", "x86-64-v2"}), "/opt/q/glibc-hwcaps/x86-64-v3/libq.so.1");
  EXPECT_EQ(c->lookup("libq.so.1", kX86_64, {"x86-64-v2"}), "/opt/q/libq.so.1");
  EXPECT_EQ(c->lookup("libq.so.1", kX86_64, {}), "/opt/q/libq.so.1");
  EXPECT_FALSE(c->lookup("libnothere.so", kX86_64, {}));
}

TEST_F(LdCacheTest, old_and_compat_formats) {
  auto old = LdCache::read(make_cache("old"), "old");
  ASSERT_TRUE(old.ok()) << old.error().message();
  EXPECT_FALSE(old->new_format());
  // The old format cannot mark hwcaps entries: like glibc, the first entry of the name wins.
  auto first = old->lookup("libq.so.1", kX86_64, {});
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, old->entries()[0].key == "libq.so.1" ? old->entries()[0].value : old->entries()[1].value);
  auto compat = LdCache::read(make_cache("compat"), "compat");
  ASSERT_TRUE(compat.ok()) << compat.error().message();
  EXPECT_TRUE(compat->new_format());  // the new block after the old one wins
  EXPECT_EQ(compat->lookup("libq.so.1", kX86_64, {"x86-64-v3"}), "/opt/q/glibc-hwcaps/x86-64-v3/libq.so.1");
}

TEST_F(LdCacheTest, truncated_at_every_boundary_is_an_error_or_a_prefix) {
  std::ifstream f(make_cache("compat"), std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(f), {}};
  int errors = 0;
  for (size_t cut = 0; cut < bytes.size(); cut += (cut < 128 ? 1 : 12)) {
    auto c = LdCache::parse(std::string_view(bytes).substr(0, cut), "cut-cache");
    if (!c.ok()) {
      ++errors;
      EXPECT_NE(c.error().message().find("cut-cache"), std::string::npos);
    }
  }
  EXPECT_GT(errors, 100);
}

TEST_F(LdCacheTest, lying_counts_and_offsets_are_errors) {
  std::ifstream f(make_cache("new"), std::ios::binary);
  std::string good{std::istreambuf_iterator<char>(f), {}};
  auto with = [&](size_t off, uint32_t v) {
    std::string b = good;
    std::memcpy(b.data() + off, &v, 4);
    return LdCache::parse(b, "lie");
  };
  auto nlibs = with(20, 0x7fffffff);
  ASSERT_FALSE(nlibs.ok());
  EXPECT_NE(nlibs.error().message().find("entries"), std::string::npos);
  EXPECT_FALSE(with(48 + 4, 0x7ffffff0).ok());  // first entry's key offset
  EXPECT_FALSE(with(48 + 8, static_cast<uint32_t>(good.size())).ok());  // value offset at EOF
  EXPECT_FALSE(LdCache::parse("not a cache", "junk").ok());
}

}  // namespace
}  // namespace cuslim::test
