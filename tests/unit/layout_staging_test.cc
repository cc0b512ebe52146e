// LayoutStaging::commit: an existing layout gets the staged blobs and its index update together,
// or nothing: when the index update fails, the blobs that were new are taken out again (no
// unreferenced blob is left), and the layout's own blobs are never touched.
#include "bundle/layout_staging.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/fs.h"
#include "fixture.h"

namespace cuslim {
namespace {

namespace fs = std::filesystem;

using test::TempDir;

std::string text_of(const std::string& path) {
  auto t = read_regular_file(path);
  return t.ok() ? *t : "(unreadable: " + t.error().message() + ")";
}

void put(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

struct Layout {
  TempDir tmp;
  std::string dir = tmp.path() + "/layout";
  std::string blobs = dir + "/blobs/sha256/";
  Layout() {
    put(dir + "/oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
    put(dir + "/index.json", "{\"schemaVersion\":2,\"manifests\":[]}");
    put(blobs + "old", "the layout's own blob");
  }
};

TEST(LayoutStaging, APublishThatFailsTakesTheNewBlobsOutAgain) {
  Layout l;
  {
    LayoutStaging staging(l.dir);
    put(staging.dir() + "/blobs/sha256/new1", "a staged layer");
    put(staging.dir() + "/blobs/sha256/new2", "a staged config");
    bool published = false;
    auto st = staging.commit([&]() -> Status {
      published = true;
      EXPECT_TRUE(fs::exists(l.blobs + "new1")) << "the blobs are in before the index is written";
      return bad_input(l.dir + "/index.json: No space left on device");
    });
    ASSERT_FALSE(st.ok());
    EXPECT_TRUE(published);
    EXPECT_NE(st.error().message().find("No space left"), std::string::npos) << st.error().message();
  }
  EXPECT_FALSE(fs::exists(l.blobs + "new1"));
  EXPECT_FALSE(fs::exists(l.blobs + "new2"));
  EXPECT_EQ(text_of(l.blobs + "old"), "the layout's own blob");
  int entries = 0;
  for (auto& e : fs::directory_iterator(l.dir)) entries += e.path().filename() != "blobs";
  EXPECT_EQ(entries, 2) << "oci-layout and index.json only: the staging dir is gone";
}

TEST(LayoutStaging, APublishThatSucceedsKeepsTheNewBlobs) {
  Layout l;
  {
    LayoutStaging staging(l.dir);
    put(staging.dir() + "/blobs/sha256/new1", "a staged layer");
    put(staging.dir() + "/blobs/sha256/old", "the same name staged: replaces (a damaged blob mended)");
    auto st = staging.commit([] { return ok_status(); });
    ASSERT_TRUE(st.ok()) << st.error().message();
  }
  EXPECT_EQ(text_of(l.blobs + "new1"), "a staged layer");
  EXPECT_TRUE(fs::exists(l.blobs + "old"));
}

}  // namespace
}  // namespace cuslim
