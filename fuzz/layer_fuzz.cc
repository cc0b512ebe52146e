// Layer extraction: the input is an image file as `cuslim slim` receives it -- a rootfs tarball
// (plain, gzip, zstd, ...), a docker-archive or an oci-archive, told apart by content -- unpacked
// into a fresh staging dir. Besides memory errors, the harness fails when anything is written
// outside the staging dir (check_nothing_outside_staging).
#include <cstddef>
#include <cstdint>

#include "fuzz_util.h"
#include "image/image_reader.h"
#include "staging_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input = cuslim::fuzz::scratch_dir() + "/image.tar";
  cuslim::fuzz::write_file(input, {reinterpret_cast<const char*>(data), size});
  const std::string staging = cuslim::fuzz::fresh_staging();
  (void)cuslim::unpack_image(input, staging, "");
  cuslim::fuzz::check_nothing_outside_staging();
  return 0;
}
