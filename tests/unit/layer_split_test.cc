// --layers auto: which group each plan item lands in, and the directories each layer carries.
#include <gtest/gtest.h>

#include "bundle/layer_split.h"
#include "image/layer_history.h"

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

TEST(LayerHistory, groups_read_back_from_the_history_cuslim_wrote) {
  // Entries that are not empty_layer pair with the layers, in order.
  std::string h = R"J([{"created_by":"/bin/sh -c #(nop) ENV A=1","empty_layer":true},
                      {"created_by":"cuslim bundle (base scratch): layer system"},
                      {"created_by":"cuslim slim: kept 1 programs' closures: layer cuda-cublas"},
                      {"created_by":"cuslim bundle (base scratch)"},
                      {"created_by":"/bin/sh -c apt-get install -y curl"},
                      {"created_by":"cuslim slim: input layer sha256:ab kept whole, as it was"},
                      {"created_by":"cuslim bundle: layer has space"}])J";
  auto g = cuslim::layer_groups_from_history(h, 6);
  ASSERT_EQ(g.size(), 6u);
  EXPECT_EQ(g[0], "system");
  EXPECT_EQ(g[1], "cuda-cublas");
  EXPECT_EQ(g[2], "image");  // --layers single
  EXPECT_EQ(g[3], std::nullopt);  // another tool's layer
  EXPECT_EQ(g[4], std::nullopt);  // an input layer slim could not pair
  EXPECT_EQ(g[5], std::nullopt);  // not a group name
  // A history that does not pair with the layers names none of them.
  for (auto& x : cuslim::layer_groups_from_history(h, 5)) EXPECT_EQ(x, std::nullopt);
  for (auto& x : cuslim::layer_groups_from_history("{}", 2)) EXPECT_EQ(x, std::nullopt);
  EXPECT_EQ(cuslim::layer_groups_from_history("not json", 3).size(), 3u);
}
