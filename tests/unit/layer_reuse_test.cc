// slim's reuse of input layers kept whole: which bottom layers qualify, what they cover, and what
// is left of the plan to pack above them.
#include <gtest/gtest.h>

#include "bundle/layer_reuse.h"

namespace cuslim {
namespace {

struct Fixture {
  Plan plan;
  UnpackedImage img;
  void dir(const std::string& p) { plan.items[p] = PlanItem{.type = LayerEntry::dir, .mode = 0755}; }
  void file(const std::string& p, std::string content = "") { plan.items[p] = PlanItem{.type = LayerEntry::file, .content = std::move(content)}; }
  LayerListing& layer() {
    img.layers.push_back(StoredLayer{});
    return img.layers.back().listing;
  }
};

// Bottom: /usr/lib/{libc.so.6, libz.so.1}; top: /opt/junk. The plan keeps the bottom's files.
Fixture two_layers() {
  Fixture f;
  for (auto d : {"/usr", "/usr/lib"}) f.dir(d);
  f.file("/usr/lib/libc.so.6");
  f.file("/usr/lib/libz.so.1");
  f.file("/etc/ld.so.cache", "generated");
  auto& bottom = f.layer();
  bottom.dirs = {"/usr", "/usr/lib", "/var/empty"};
  bottom.others = {"/usr/lib/libc.so.6", "/usr/lib/libz.so.1"};
  f.layer().others = {"/opt/junk"};
  return f;
}

TEST(LayerReuse, BottomLayerKeptWholeIsReusedAndCovered) {
  auto f = two_layers();
  auto r = reusable_layers(f.img, f.plan);
  ASSERT_EQ(r.layers.size(), 1u);
  EXPECT_EQ(r.layers[0], &f.img.layers[0]);
  EXPECT_TRUE(r.covered.count("/usr/lib/libc.so.6"));
  auto rest = plan_without(f.plan, r.covered);
  EXPECT_EQ(rest.items.size(), 1u);  // only the generated file is left to pack; its dirs came with the reused layer
  EXPECT_TRUE(rest.items.count("/etc/ld.so.cache"));
}

TEST(LayerReuse, DroppedFileMeansNotWhole) {
  auto f = two_layers();
  f.plan.items.erase("/usr/lib/libz.so.1");
  EXPECT_TRUE(reusable_layers(f.img, f.plan).layers.empty());
}

TEST(LayerReuse, PrunedFileMeansNotWhole) {
  auto f = two_layers();
  f.plan.items["/usr/lib/libz.so.1"].extents = std::make_shared<FileExtents>();
  EXPECT_TRUE(reusable_layers(f.img, f.plan).layers.empty());
}

TEST(LayerReuse, AlteredOnUnpackMeansNotWhole) {
  auto f = two_layers();
  f.img.layers[0].listing.altered = true;  // a setuid bit stripped, a device node skipped
  EXPECT_TRUE(reusable_layers(f.img, f.plan).layers.empty());
}

TEST(LayerReuse, ChangedByALaterLayerMeansNotWhole) {
  {
    auto f = two_layers();
    f.img.layers[1].listing.others.push_back("/usr/lib/libz.so.1");  // replaced above
    EXPECT_TRUE(reusable_layers(f.img, f.plan).layers.empty());
  }
  {
    auto f = two_layers();
    f.img.layers[1].listing.removed.push_back("/usr/lib");  // a whiteout of a directory above it
    EXPECT_TRUE(reusable_layers(f.img, f.plan).layers.empty());
  }
  {
    auto f = two_layers();
    f.img.layers[1].listing.opaque.push_back("/usr");  // an opaque directory above it
    EXPECT_TRUE(reusable_layers(f.img, f.plan).layers.empty());
  }
  {
    auto f = two_layers();
    f.img.layers[1].listing.dirs.push_back("/usr/lib");  // only a directory's metadata above: still whole
    EXPECT_EQ(reusable_layers(f.img, f.plan).layers.size(), 1u);
  }
}

TEST(LayerReuse, GeneratedFileOverAReusedOneIsPackedAbove) {
  auto f = two_layers();
  f.img.layers[0].listing.others.push_back("/etc/ld.so.cache");
  f.img.layers[0].listing.dirs.push_back("/etc");
  auto r = reusable_layers(f.img, f.plan);
  ASSERT_EQ(r.layers.size(), 1u);
  EXPECT_FALSE(r.covered.count("/etc/ld.so.cache"));
  EXPECT_TRUE(plan_without(f.plan, r.covered).items.count("/etc/ld.so.cache"));
}

TEST(LayerReuse, OnlyFromTheBottomUp) {
  auto f = two_layers();
  f.plan.items.erase("/usr/lib/libz.so.1");  // the bottom is not whole...
  f.file("/opt/junk");                       // ...the top is, but means nothing without the bottom
  EXPECT_TRUE(reusable_layers(f.img, f.plan).layers.empty());
}

TEST(LayerReuse, DirectoriesStayWhenSomethingLeftLiesUnderThem) {
  auto f = two_layers();
  f.file("/usr/lib/libnew.so");  // not in any input layer's listing: packed anew, under /usr/lib
  auto r = reusable_layers(f.img, f.plan);
  ASSERT_EQ(r.layers.size(), 1u);
  auto rest = plan_without(f.plan, r.covered);
  EXPECT_TRUE(rest.items.count("/usr/lib/libnew.so"));
  EXPECT_TRUE(rest.items.count("/usr/lib"));
  EXPECT_TRUE(rest.items.count("/usr"));
  EXPECT_FALSE(rest.items.count("/usr/lib/libc.so.6"));
}

}  // namespace
}  // namespace cuslim
