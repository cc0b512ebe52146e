// search_plan() as a table: a pure function of the loader chain and the environment, checked
// without any file. Each row is one rule of glibc's open_path order.
#include <elf.h>
#include <gtest/gtest.h>

#include "core/root.h"
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
      {"$ORIGIN expands to the loader's directory", elf("$ORIGIN/../lib", {}), elf({}, {}), true, {}, true,
       with_defaults({"rpath:/opt/app/lib", "ld.so.cache"})},
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

}  // namespace
}  // namespace cuslim
