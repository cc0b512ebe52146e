// read_image_spec on arbitrary YAML text.
#include <cstddef>
#include <cstdint>

#include "bundle/image_spec.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string file = cuslim::fuzz::scratch_dir() + "/spec.yaml";
  cuslim::fuzz::write_file(file, {reinterpret_cast<const char*>(data), size});
  (void)cuslim::read_image_spec(file);
  return 0;
}
