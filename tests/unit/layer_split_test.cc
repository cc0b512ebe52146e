// --layers auto: which group each plan item lands in, and the directories each layer carries.
#include <gtest/gtest.h>

#include "bundle/layer_split.h"

namespace cuslim {
namespace {

std::vector<std::string> names(const LayerGroup& g) {
  std::vector<std::string> out;
  for (auto& e : g.entries) out.push_back(e.name);
  return out;
}

TEST(LayerSplit, GroupsAndTheirDirectories) {
  Plan plan;
  auto dir = [&](const std::string& p) { plan.items[p] = PlanItem{.type = LayerEntry::dir, .mode = 0755}; };
  auto file = [&](const std::string& p, ObjectClass c, std::string content = "") {
    plan.items[p] = PlanItem{.type = LayerEntry::file, .cls = c, .content = std::move(content)};
  };
  for (auto d : {"/usr", "/usr/lib", "/usr/local", "/usr/local/cuda", "/usr/local/cuda/lib64", "/app", "/etc", "/tmp", "/venv",
                 "/venv/site-packages", "/venv/site-packages/torch"})
    dir(d);
  file("/usr/lib/libc.so.6", ObjectClass::app);  // FROM scratch: class app, named as glibc
  file("/usr/local/cuda/lib64/libcudart.so.13", ObjectClass::cuda);
  file("/venv/site-packages/torch/libtorch.so", ObjectClass::app);
  file("/app/main", ObjectClass::app);
  file("/etc/ld.so.cache", ObjectClass::system, "generated");
  auto groups = layer_groups(Root("/"), plan, LayerSplit::auto_split);
  ASSERT_EQ(groups.size(), 4u);
  EXPECT_EQ(groups[0].name, "system");
  EXPECT_EQ(names(groups[0]), (std::vector<std::string>{"usr", "usr/lib", "usr/lib/libc.so.6"}));
  EXPECT_EQ(groups[1].name, "cuda");
  EXPECT_EQ(names(groups[1]), (std::vector<std::string>{"usr", "usr/local", "usr/local/cuda", "usr/local/cuda/lib64",
                                                         "usr/local/cuda/lib64/libcudart.so.13"}));
  EXPECT_EQ(groups[2].name, "frameworks");
  EXPECT_EQ(names(groups[2]), (std::vector<std::string>{"venv", "venv/site-packages", "venv/site-packages/torch",
                                                         "venv/site-packages/torch/libtorch.so"}));
  EXPECT_EQ(groups[3].name, "app");  // generated files and empty directories are the application's
  EXPECT_EQ(names(groups[3]), (std::vector<std::string>{"app", "app/main", "etc", "etc/ld.so.cache", "tmp"}));
  auto single = layer_groups(Root("/"), plan, LayerSplit::single);
  ASSERT_EQ(single.size(), 1u);
  EXPECT_EQ(single[0].entries.size(), plan.items.size());
}

}  // namespace
}  // namespace cuslim
