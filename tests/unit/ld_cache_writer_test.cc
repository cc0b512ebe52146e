// The ld.so.cache writer: glibc's sort order, and a round trip through the reader.
#include "loader/ld_cache_writer.h"

#include <gtest/gtest.h>

#include "loader/ld_cache.h"

namespace cuslim::test {
namespace {

TEST(LdCacheWriter, libcmp_compares_digit_runs_as_numbers) {
  EXPECT_GT(dl_cache_libcmp("libfoo.so.10", "libfoo.so.9"), 0);
  EXPECT_LT(dl_cache_libcmp("libfoo.so.2", "libfoo.so.10"), 0);
  EXPECT_EQ(dl_cache_libcmp("libc.so.6", "libc.so.6"), 0);
  EXPECT_GT(dl_cache_libcmp("libz.so.1", "liba.so.1"), 0);
}

TEST(LdCacheWriter, round_trip_sorted_descending) {
  std::string bytes = write_ld_cache({{"liba.so.1", "/opt/a/liba.so.1"}, {"libz.so.1", "/opt/z/libz.so.1"},
                                      {"libfoo.so.10", "/f/10"}, {"libfoo.so.9", "/f/9"}, {"liba.so.1", "/dup/liba.so.1"}});
  auto c = LdCache::parse(bytes, "written");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_TRUE(c->new_format());
  ASSERT_EQ(c->entries().size(), 4u);  // one entry per soname
  for (size_t i = 1; i < c->entries().size(); ++i)
    EXPECT_GT(dl_cache_libcmp(c->entries()[i - 1].key.data(), c->entries()[i].key.data()), 0);
  EXPECT_EQ(c->lookup("libz.so.1", {0x303}, {}), "/opt/z/libz.so.1");
  EXPECT_EQ(c->lookup("libfoo.so.10", {0x303}, {}), "/f/10");
  EXPECT_FALSE(c->lookup("libnone.so", {0x303}, {}));
  EXPECT_EQ(c->lookup("liba.so.1", {0x303}, {}), "/opt/a/liba.so.1");  // the first given, not the smallest path
}

// Two libraries of one soname: the one given first is the one the loader gets, whichever path
// sorts first (an input image's cache kept by slim lists them in ldconfig's order).
TEST(LdCacheWriter, the_first_of_a_soname_given_wins) {
  for (auto [first, second] : {std::pair{"/z/libq.so.1", "/a/libq.so.1"}, std::pair{"/a/libq.so.1", "/z/libq.so.1"}}) {
    auto c = LdCache::parse(write_ld_cache({{"libq.so.1", first}, {"libb.so", "/b"}, {"libq.so.1", second}}), "written");
    ASSERT_TRUE(c.ok()) << c.error().message();
    EXPECT_EQ(c->entries().size(), 2u);
    EXPECT_EQ(c->lookup("libq.so.1", {0x303}, {}), first);
  }
}

// An input cache's entry with legacy hwcap bits (glibc <= 2.36: a library in haswell/ or tls/)
// is written with its bits, before the plain entry of its soname as ldconfig sorts them, and both
// stay: the loader takes the hwcap one only on a CPU that has the bits, else the plain one.
TEST(LdCacheWriter, legacy_hwcap_bits_kept_and_most_specific_first) {
  constexpr uint64_t kBit = uint64_t{1} << 3;
  std::vector<CacheLib> libs{{.soname = "libh.so.1", .path = "/lib/libh.so.1"},
                             {.soname = "libh.so.1", .path = "/lib/haswell/libh.so.1", .hwcap = kBit}};
  auto c = LdCache::parse(write_ld_cache(libs), "written");
  ASSERT_TRUE(c.ok()) << c.error().message();
  ASSERT_EQ(c->entries().size(), 2u);
  EXPECT_EQ(c->entries()[0].value, "/lib/haswell/libh.so.1");
  EXPECT_EQ(c->entries()[0].hwcap, kBit);
  EXPECT_EQ(c->entries()[1].hwcap, 0u);
  LegacyCacheBits has{.allowed = kBit}, lacks{};
  EXPECT_EQ(c->lookup("libh.so.1", {0x303}, {}, &has), "/lib/haswell/libh.so.1");
  EXPECT_EQ(c->lookup("libh.so.1", {0x303}, {}, &lacks), "/lib/libh.so.1");
}

}  // namespace
}  // namespace cuslim::test
