// OCI image index / manifest / config JSON, as unpack_image reads an OCI layout. The input is up
// to four NUL-separated documents: index.json, then the blobs sha256:1111..., sha256:2222...
// and sha256:3333... (fixed names, so the JSON can point at them without knowing a hash; the
// seeds use 1 for a manifest or nested index, 2 for a config, 3 for a layer).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "image/image_reader.h"
#include "staging_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string layout = cuslim::fuzz::scratch_dir() + "/layout";
  cuslim::fuzz::remove_all_forced(layout);
  auto parts = cuslim::fuzz::split_nul(data, size, 4);
  cuslim::fuzz::write_file(layout + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  cuslim::fuzz::write_file(layout + "/index.json", parts[0]);
  for (size_t i = 1; i < parts.size(); ++i)
    cuslim::fuzz::write_file(layout + "/blobs/sha256/" + std::string(64, static_cast<char>('0' + i)), parts[i]);
  cuslim::UnpackOptions opt;
  (void)cuslim::unpack_image(layout, cuslim::fuzz::fresh_staging(), opt);
  cuslim::fuzz::check_nothing_outside_staging();
  opt.tag = "fuzz";  // a tagged manifest, and the other platform of an index
  opt.platform = "linux/arm64/v8";
  (void)cuslim::unpack_image(layout, cuslim::fuzz::fresh_staging(), opt);
  cuslim::fuzz::check_nothing_outside_staging();
  return 0;
}
