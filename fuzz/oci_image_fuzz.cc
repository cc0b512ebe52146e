// OCI image index / manifest / config JSON, as unpack_image reads an OCI layout. The input is up
// to four NUL-separated documents: index.json, then the blobs sha256:1111..., sha256:2222...
// and sha256:3333... (fixed names, so the JSON can point at them without knowing a hash; the
// seeds use 1 for a manifest or nested index, 2 for a config, 3 for a layer). Every blob read is
// checked against its digest, so each fixed name in the documents is replaced by the true digest
// of its blob (3 and 2 first, then 1, which names them) and the blobs are stored under both.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "image/digest.h"
#include "image/image_reader.h"
#include "staging_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string layout = cuslim::fuzz::scratch_dir() + "/layout";
  cuslim::fuzz::remove_all_forced(layout);
  auto views = cuslim::fuzz::split_nul(data, size, 4);
  std::vector<std::string> parts(views.begin(), views.end());
  if (parts.empty()) parts.emplace_back();
  cuslim::fuzz::write_file(layout + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  auto fake = [](size_t i) { return std::string(64, static_cast<char>('0' + i)); };
  auto replace_all = [](std::string s, const std::string& from, const std::string& to) {
    for (size_t at = 0; (at = s.find(from, at)) != std::string::npos; at += to.size()) s.replace(at, from.size(), to);
    return s;
  };
  for (size_t i = parts.size() - 1; i >= 1; --i) {  // 3, 2, 1: a blob's true digest replaces its fixed name in the earlier ones
    std::string hex = cuslim::Sha256::of(parts[i]).hex();
    for (size_t j = 0; j < i; ++j) parts[j] = replace_all(parts[j], fake(i), hex);
    cuslim::fuzz::write_file(layout + "/blobs/sha256/" + fake(i), parts[i]);
    cuslim::fuzz::write_file(layout + "/blobs/sha256/" + hex, parts[i]);
  }
  cuslim::fuzz::write_file(layout + "/index.json", parts[0]);
  cuslim::UnpackOptions opt;
  (void)cuslim::unpack_image(layout, cuslim::fuzz::fresh_staging(), opt);
  cuslim::fuzz::check_nothing_outside_staging();
  opt.tag = "fuzz";  // a tagged manifest, and the other platform of an index
  opt.platform = "linux/arm64/v8";
  (void)cuslim::unpack_image(layout, cuslim::fuzz::fresh_staging(), opt);
  cuslim::fuzz::check_nothing_outside_staging();
  return 0;
}
