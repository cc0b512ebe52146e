// Reading hostile images: JSON of the wrong shape is an invalid-input error, never an exception
// out of the library (found by fuzz/oci_image_fuzz.cc: a manifest without "config" aborted the
// process with nlohmann::json's type_error).
#include <gtest/gtest.h>

#include <string>

#include "fixture.h"
#include "image/image_reader.h"

namespace cuslim {
namespace {

const std::string kD1 = "sha256:" + std::string(64, '1');
const std::string kD2 = "sha256:" + std::string(64, '2');

// An OCI layout with index.json and the blobs sha256:111... and sha256:222...
Result<UnpackedImage> unpack_layout(const test::TempDir& t, const std::string& index, const std::string& blob1,
                                    const std::string& blob2 = "{}") {
  test::write_file(t / "img/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  test::write_file(t / "img/index.json", index);
  test::write_file(t / ("img/blobs/sha256/" + std::string(64, '1')), blob1);
  test::write_file(t / ("img/blobs/sha256/" + std::string(64, '2')), blob2);
  return unpack_image(t / "img", t / "staging");
}

void expect_bad_input(const Result<UnpackedImage>& r) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Exit::bad_input) << r.error().message();
}

const std::string kIndex = R"({"manifests":[{"digest":")" + kD1 + R"("}]})";

TEST(ImageReaderMalformedJson, ManifestWithoutConfig) {
  test::TempDir t;
  expect_bad_input(unpack_layout(t, kIndex, "{}"));
}

TEST(ImageReaderMalformedJson, IndexNotAnObject) {
  test::TempDir t;
  expect_bad_input(unpack_layout(t, "[]", "{}"));
}

TEST(ImageReaderMalformedJson, ManifestEntryNotAnObject) {
  test::TempDir t;
  expect_bad_input(unpack_layout(t, R"({"manifests":[5]})", "{}"));
}

TEST(ImageReaderMalformedJson, EnvNotStrings) {
  test::TempDir t;
  expect_bad_input(unpack_layout(t, kIndex, R"({"config":{"digest":")" + kD2 + R"("},"layers":[]})", R"({"config":{"Env":[1,2]}})"));
}

TEST(ImageReaderMalformedJson, DiffIdNotAString) {
  test::TempDir t;
  expect_bad_input(unpack_layout(t, kIndex, R"({"config":{"digest":")" + kD2 + R"("},"layers":[{"digest":")" + kD1 + R"("}]})",
                                 R"({"rootfs":{"diff_ids":[7]}})"));
}

TEST(ImageReaderMalformedJson, WellFormedEmptyImageStillReads) {
  test::TempDir t;
  auto r = unpack_layout(t, kIndex, R"({"config":{"digest":")" + kD2 + R"("},"layers":[]})", R"({"config":{"Env":["A=1"]}})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->config.env, std::vector<std::string>{"A=1"});
}

}  // namespace
}  // namespace cuslim
