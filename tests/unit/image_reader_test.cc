// Reading hostile images: JSON of the wrong shape is an invalid-input error, never an exception
// out of the library (found by fuzz/oci_image_fuzz.cc: a manifest without "config" aborted the
// process with nlohmann::json's type_error); an archive's symlinks never make the reader take a
// config or a layer from the host.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "fixture.h"
#include "image/digest.h"
#include "image/image_reader.h"
#include "image/platform.h"

namespace cuslim {
namespace {

const std::string kD1 = "sha256:" + std::string(64, '1');
const std::string kD2 = "sha256:" + std::string(64, '2');

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size()) s.replace(at, from.size(), to);
  return s;
}

// An OCI layout with index.json and two blobs stored under their real digests (every blob read is
// checked against its descriptor, so the shape checks are reached only through true digests):
// kD2 in blob1 and kD1 in the index stand for the digests of blob2 and blob1.
Result<UnpackedImage> unpack_layout(const test::TempDir& t, const std::string& index, const std::string& blob1,
                                    const std::string& blob2 = "{}") {
  Digest d2 = Sha256::of(blob2);
  std::string b1 = replace_all(blob1, kD2, d2.str());
  Digest d1 = Sha256::of(b1);
  test::write_file(t / "img/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  test::write_file(t / "img/index.json", replace_all(index, kD1, d1.str()));
  test::write_file(t / ("img/blobs/sha256/" + d1.hex()), b1);
  test::write_file(t / ("img/blobs/sha256/" + d2.hex()), blob2);
  return unpack_image(t / "img", t / "staging");
}

void expect_bad_input(const Result<UnpackedImage>& r) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), Exit::bad_input) << r.error().message();
  EXPECT_EQ(r.error().message().find("mismatch"), std::string::npos) << "the fixture's digests are wrong: " << r.error().message();
}

const std::string kIndex = R"({"manifests":[{"digest":")" + kD1 + R"("}]})";

TEST(ImageReaderMalformedJson, ManifestWithoutConfig) {
  test::TempDir t;
  expect_bad_input(unpack_layout(t, kIndex, "{}"));
}

// An index entry without a platform (a nested index): named by its place and media type, not "/".
TEST(ImageReaderMalformedJson, IndexEntryWithoutPlatformIsNamed) {
  test::TempDir t;
  auto r = unpack_layout(t, R"({"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":")" + kD1 + R"("}]})",
                         R"({"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":")" + kD2 + R"("}]})");
  expect_bad_input(r);
  EXPECT_NE(r.error().message().find("manifests[0] without a platform (application/vnd.oci.image.index.v1+json)"), std::string::npos)
      << r.error().message();
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

// A manifest without "layers" is broken (the field is required), said of the manifest; not a
// mismatch with the config's diff_ids, not an image of no files.
TEST(ImageReaderMalformedJson, ManifestWithoutLayersIsSaidOfTheManifest) {
  test::TempDir t;
  auto r = unpack_layout(t, kIndex, R"({"config":{"digest":")" + kD2 + R"("}})", R"({"rootfs":{"diff_ids":[")" + kD1 + R"("]}})");
  expect_bad_input(r);
  EXPECT_NE(r.error().message().find(": no \"layers\" field (an image manifest lists its layers)"), std::string::npos) << r.error().message();
  EXPECT_EQ(r.error().message().find("diff_ids"), std::string::npos) << r.error().message();
}

// The docker-archive form of the same: an entry without "Layers" (and a config without diff_ids)
// is not read as an image of no files.
TEST(ImageReaderMalformedJson, DockerEntryWithoutLayersIsSaid) {
  test::TempDir t;
  test::write_file(t / "a/manifest.json", R"([{"Config":"cfg.json","RepoTags":["x:1"]}])");
  test::write_file(t / "a/cfg.json", R"({"config":{}})");
  ASSERT_EQ(test::run("tar -cf " + t / "img.tar" + " -C " + t / "a" + " manifest.json cfg.json").status, 0);
  auto r = unpack_image(t / "img.tar", t / "staging");
  expect_bad_input(r);
  EXPECT_NE(r.error().message().find("manifest.json: [0]: no \"Layers\" field"), std::string::npos) << r.error().message();
}

TEST(ImageReaderMalformedJson, WellFormedEmptyImageStillReads) {
  test::TempDir t;
  auto r = unpack_layout(t, kIndex, R"({"config":{"digest":")" + kD2 + R"("},"layers":[]})", R"({"config":{"Env":["A=1"]}})");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->config.env, std::vector<std::string>{"A=1"});
}

// A docker-archive whose layer and config names lead through a symlink it carries ("evil" ->
// a host dir holding a layer and a config): both must be refused, not read from the host.
TEST(ImageReaderArchiveSymlinks, DockerArchiveNamesDoNotLeaveTheArchive) {
  test::TempDir t;
  ASSERT_EQ(test::run("mkdir -p " + t / "host/l " + " && echo secret > " + t / "host/l/secret.txt" + " && tar -cf " + t / "host/layer.tar" +
                      " -C " + t / "host/l" + " secret.txt").status, 0);
  test::write_file(t / "host/config.json", R"({"config":{"Env":["SECRET=1"]}})");
  test::write_file(t / "a/manifest.json", R"([{"Config":"cfg.json","Layers":["evil/layer.tar"]}])");
  test::write_file(t / "a/cfg.json", R"({"config":{},"rootfs":{"type":"layers","diff_ids":["sha256:)" + std::string(64, '0') + R"("]}})");
  ASSERT_EQ(test::run("ln -s " + t / "host" + " " + t / "a/evil" + " && tar -cf " + t / "img.tar" + " -C " + t / "a" + " manifest.json cfg.json evil").status, 0);
  auto r = unpack_image(t / "img.tar", t / "staging");
  ASSERT_FALSE(r.ok()) << "the layer was read through the archive's symlink";
  EXPECT_NE(r.error().message().find("evil/layer.tar"), std::string::npos) << r.error().message();
  EXPECT_FALSE(std::filesystem::exists(t / "staging/rootfs/secret.txt"));

  test::write_file(t / "b/manifest.json", R"([{"Config":"evil/config.json","Layers":[]}])");
  ASSERT_EQ(test::run("ln -s " + t / "host" + " " + t / "b/evil" + " && tar -cf " + t / "img2.tar" + " -C " + t / "b" + " manifest.json evil").status, 0);
  auto r2 = unpack_image(t / "img2.tar", t / "staging2");
  ASSERT_FALSE(r2.ok()) << "the config was read through the archive's symlink";
}

// A name in an archive's JSON that leads to a directory (a missing "Config" is the archive's own
// top directory; "Config":"l/" a dir in it; an OCI layout's index.json that is a directory) is
// a bad-input error. Found by fuzz/layer_fuzz.cc: std::ifstream opens a directory and then throws
// std::ios_base::failure from inside the JSON parser, which aborted the process.
TEST(ImageReaderMalformedJson, NamesOfDirectoriesAreErrorsNotExceptions) {
  test::TempDir t;
  auto archive = [&](const std::string& name, const std::string& manifest) {
    test::write_file(t / (name + "/manifest.json"), manifest);
    test::write_file(t / (name + "/l/layer.tar"), "");
    EXPECT_EQ(test::run("tar -cf " + t / (name + ".tar") + " -C " + t / name + " manifest.json l").status, 0);
    return unpack_image(t / (name + ".tar"), t / ("staging-" + name));
  };
  for (auto& [name, manifest] : std::vector<std::pair<std::string, std::string>>{
           {"no-config", R"([{"Konfig":"config.json","Layers":["l/layer.tar"]}])"},
           {"config-dir", R"([{"Config":"l/","Layers":["l/layer.tar"]}])"},
           {"config-dot", R"([{"Config":".","Layers":[]}])"}}) {
    auto r = archive(name, manifest);
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error().code(), Exit::bad_input) << name << ": " << r.error().message();
  }
  test::write_file(t / "layout/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  ASSERT_EQ(test::run("mkdir -p " + t / "layout/index.json " + t / "layout/blobs/sha256").status, 0);
  auto l = unpack_image(t / "layout", t / "staging-layout");
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.error().message().find("index.json"), std::string::npos) << l.error().message();
}

// An oci-archive whose blobs/sha256 dir is a symlink to the host.
TEST(ImageReaderArchiveSymlinks, OciArchiveBlobsDoNotLeaveTheArchive) {
  test::TempDir t;
  test::write_file(t / ("host/" + std::string(64, '1')), R"({"config":{"digest":")" + kD2 + R"("},"layers":[]})");
  test::write_file(t / ("host/" + std::string(64, '2')), R"({"config":{"Env":["SECRET=1"]}})");
  test::write_file(t / "a/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  test::write_file(t / "a/index.json", kIndex);
  ASSERT_EQ(test::run("mkdir -p " + t / "a/blobs" + " && ln -s " + t / "host" + " " + t / "a/blobs/sha256" + " && tar -cf " + t / "img.tar" +
                      " -C " + t / "a" + " oci-layout index.json blobs").status, 0);
  auto r = unpack_image(t / "img.tar", t / "staging");
  ASSERT_FALSE(r.ok()) << "the manifest and config were read through the archive's symlink";
}

}  // namespace
}  // namespace cuslim

namespace cuslim {
namespace {

// Platforms as docker and containerd match them (the entry an index gives for --platform).
TEST(Platform, normalised_and_scored_as_docker_does) {
  auto p = [](const std::string& s) { return parse_platform(s); };
  EXPECT_EQ(p("linux/arm64/v8").str(), "linux/arm64");
  EXPECT_EQ(p("linux/aarch64").str(), "linux/arm64");
  EXPECT_EQ(p("linux/x86_64").str(), "linux/amd64");
  EXPECT_EQ(p("linux/arm").str(), "linux/arm/v7");
  EXPECT_EQ(p("linux/armhf").str(), "linux/arm/v7");
  EXPECT_EQ(p("linux/amd64/v3").str(), "linux/amd64/v3");
  EXPECT_GT(platform_score(p("linux/arm64/v8"), Platform{"linux", "arm64", ""}), 0);
  EXPECT_GT(platform_score(p("linux/arm64"), Platform{"linux", "arm64", "v8"}), 0);
  EXPECT_EQ(platform_score(p("linux/amd64"), Platform{"linux", "arm64", ""}), 0);
  EXPECT_EQ(platform_score(p("linux/amd64"), Platform{"windows", "amd64", ""}), 0);
  EXPECT_EQ(platform_score(p("linux/amd64"), Platform{"linux", "amd64", "v3"}), 0) << "a v1 CPU does not run v3 code";
  int v6 = platform_score(p("linux/arm"), Platform{"linux", "arm", "v6"});
  int v5 = platform_score(p("linux/arm"), Platform{"linux", "arm", "v5"});
  int v7 = platform_score(p("linux/arm"), Platform{"linux", "arm", ""});
  EXPECT_GT(v7, v6);
  EXPECT_GT(v6, v5);
  EXPECT_GT(v5, 0);
  EXPECT_EQ(platform_score(p("linux/arm/v6"), Platform{"linux", "arm", "v7"}), 0) << "a v6 CPU does not run v7 code";
}

}  // namespace
}  // namespace cuslim
