// search_plan() as a table: a pure function of the loader chain and the environment, checked
// without any file. Each row is one rule of glibc's open_path order.
#include <elf.h>
#include <gtest/gtest.h>

#include "core/root.h"
#include "loader/legacy_hwcaps.h"
#include "loader/search_plan.h"

namespace cuslim {
namespace {

const LoaderAbi& debian_abi() {
  for (auto& a : loader_abis())
    if (a.name == "x86_64-debian") return a;
  throw std::logic_error("no x86_64-debian ABI");
}

ElfFile elf(std::optional<std::string> rpath, std::optional<std::string> runpath, uint64_t flags_1 = 0) {
  ElfFile e;
  e.rpath = std::move(rpath);
  e.runpath = std::move(runpath);
  e.flags_1 = flags_1;
  return e;
}

// "how:dir" for every step, hwcaps off, so a row reads as the order it asserts.
std::vector<std::string> steps(const std::vector<SearchStep>& plan) {
  std::vector<std::string> out;
  for (auto& s : plan) out.push_back(std::string(how_name(s.how)) + (s.dir.empty() ? "" : ":" + s.dir) + (s.nodeflib ? "!" : ""));
  return out;
}

struct Row {
  const char* rule;
  ElfFile loader, main;
  bool loader_is_main;
  std::vector<std::string> llp;
  bool has_cache;
  std::vector<std::string> want;
};

TEST(SearchPlan, table) {
  const std::vector<std::string> defaults = {"default:/lib/x86_64-linux-gnu", "default:/usr/lib/x86_64-linux-gnu", "default:/lib",
                                             "default:/usr/lib"};
  auto with_defaults = [&](std::vector<std::string> v) {
    v.insert(v.end(), defaults.begin(), defaults.end());
    return v;
  };
  std::vector<Row> rows = {
      {"no paths: cache, then the default dirs", elf({}, {}), elf({}, {}), true, {}, true, with_defaults({"ld.so.cache"})},
      {"RPATH before LD_LIBRARY_PATH before the cache", elf("/r", {}), elf({}, {}), true, {"/l"}, true,
       with_defaults({"rpath:/r", "ld_library_path:/l", "ld.so.cache"})},
      {"RUNPATH after LD_LIBRARY_PATH", elf({}, "/u"), elf({}, {}), true, {"/l"}, true,
       with_defaults({"ld_library_path:/l", "runpath:/u", "ld.so.cache"})},
      {"an object's own RUNPATH switches off its own RPATH", elf("/r", "/u"), elf({}, {}), true, {}, true,
       with_defaults({"runpath:/u", "ld.so.cache"})},
      {"the executable's RPATH is inherited by a library without RUNPATH", elf({}, {}), elf("/exe-r", {}), false, {}, true,
       with_defaults({"rpath:/exe-r", "ld.so.cache"})},
      {"a library's RUNPATH switches off the inherited RPATH", elf({}, "/u"), elf("/exe-r", {}), false, {}, true,
       with_defaults({"runpath:/u", "ld.so.cache"})},
      {"RPATH of an executable that has RUNPATH is not inherited", elf({}, {}), elf("/exe-r", "/exe-u"), false, {}, true,
       with_defaults({"ld.so.cache"})},
      {"$ORIGIN expands to the loader's directory; .. stays for the kernel to resolve", elf("$ORIGIN/../lib", {}), elf({}, {}), true, {}, true,
       with_defaults({"rpath:/opt/app/bin/../lib", "ld.so.cache"})},
      {"$LIB expands to the multiarch dir", elf({}, "/opt/$LIB"), elf({}, {}), true, {}, true,
       with_defaults({"runpath:/opt/lib/x86_64-linux-gnu", "ld.so.cache"})},
      {"DF_1_NODEFLIB: the cache step drops default-dir hits, no default dirs", elf({}, {}, DF_1_NODEFLIB), elf({}, {}), true, {},
       true, {"ld.so.cache!"}},
      {"no cache: nothing between RUNPATH and the default dirs without conf dirs", elf({}, {}), elf({}, {}), true, {}, false, defaults},
  };
  for (auto& row : rows) {
    LoaderEnv env{.abi = &debian_abi(), .ld_library_path = row.llp, .hwcaps = {}, .has_cache = row.has_cache, .conf_dirs = {}};
    PlanObject loader{.elf = &row.loader, .path = "/opt/app/bin/x", .origin = "/opt/app/bin"};
    PlanObject main{.elf = row.loader_is_main ? &row.loader : &row.main, .path = "/opt/app/bin/x", .origin = "/opt/app/bin"};
    std::vector<PlanObject> chain = {loader};
    if (!row.loader_is_main) chain.push_back(main);
    EXPECT_EQ(steps(search_plan(chain, main, env)), row.want) << row.rule;
  }
}

TEST(SearchPlan, hwcaps_subdirs_come_before_each_bare_dir) {
  ElfFile e = elf("/r", {});
  LoaderEnv env{.abi = &debian_abi(), .ld_library_path = {}, .hwcaps = {"x86-64-v3", "x86-64-v2"}, .has_cache = true, .conf_dirs = {}};
  PlanObject o{.elf = &e, .path = "/x", .origin = "/"};
  auto s = steps(search_plan({o}, o, env));
  ASSERT_GE(s.size(), 4u);
  EXPECT_EQ(s[0], "rpath:/r/glibc-hwcaps/x86-64-v3");
  EXPECT_EQ(s[1], "rpath:/r/glibc-hwcaps/x86-64-v2");
  EXPECT_EQ(s[2], "rpath:/r");
  EXPECT_EQ(s[3], "ld.so.cache");
}

// glibc <= 2.36 (open_path over capstr): glibc-hwcaps subdirs, then the legacy ones, then bare.
TEST(SearchPlan, legacy_hwcaps_subdirs_come_after_glibc_hwcaps_and_before_the_bare_dir) {
  ElfFile e = elf("/r", {});
  LoaderEnv env{.abi = &debian_abi(), .ld_library_path = {}, .hwcaps = {"x86-64-v3"}, .legacy_hwcaps = {"tls/x86_64", "tls", "x86_64"},
                .has_cache = true, .conf_dirs = {}};
  PlanObject o{.elf = &e, .path = "/x", .origin = "/"};
  auto s = steps(search_plan({o}, o, env));
  ASSERT_GE(s.size(), 6u);
  EXPECT_EQ(s[0], "rpath:/r/glibc-hwcaps/x86-64-v3");
  EXPECT_EQ(s[1], "rpath:/r/tls/x86_64");
  EXPECT_EQ(s[2], "rpath:/r/tls");
  EXPECT_EQ(s[3], "rpath:/r/x86_64");
  EXPECT_EQ(s[4], "rpath:/r");
  EXPECT_EQ(s[5], "ld.so.cache");
}

TEST(LegacyHwcaps, searched_up_to_glibc_2_36) {
  EXPECT_TRUE(legacy_hwcaps_searched("2.36"));
  EXPECT_TRUE(legacy_hwcaps_searched("2.17"));
  EXPECT_FALSE(legacy_hwcaps_searched("2.37"));
  EXPECT_FALSE(legacy_hwcaps_searched("2.41"));
  EXPECT_FALSE(legacy_hwcaps_searched("junk"));
}

TEST(LegacyHwcaps, subsets_largest_first_tls_outermost) {
  auto dirs = host_legacy_hwcaps(debian_abi());
  ASSERT_FALSE(dirs.empty());
  EXPECT_EQ(dirs.front().rfind("tls", 0), 0u);  // every component, "tls" first
  EXPECT_EQ(dirs[(dirs.size() + 1) / 2 - 1], "tls");  // the subsets with tls end with tls alone
  for (auto& d : dirs) EXPECT_NE(d, "");         // the bare dir is the plan's, not the list's
}

TEST(LegacyHwcaps, cache_bits) {
  LegacyCacheBits b{.allowed = 1ull << 1, .platform_mask = 0xfull << 48, .platform = 1ull << 50, .tls = 1ull << 63};
  EXPECT_TRUE(b.accepts(1ull << 63));                  // tls/
  EXPECT_TRUE(b.accepts((1ull << 63) | (1ull << 1)));  // tls/x86_64/
  EXPECT_TRUE(b.accepts(1ull << 50));                  // haswell/ on a haswell
  EXPECT_FALSE(b.accepts(1ull << 51));                 // xeon_phi/
  EXPECT_FALSE(b.accepts(1ull << 2));                  // avx512_1/ without it
}

}  // namespace
}  // namespace cuslim
