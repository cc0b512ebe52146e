// Profile::parse on arbitrary YAML text (classification rules with globs and regexes, dlopen
// edges, base image data).
#include <cstddef>
#include <cstdint>
#include <string>

#include "profile/profile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)cuslim::Profile::parse(std::string(reinterpret_cast<const char*>(data), size), "fuzz.yaml");
  return 0;
}
