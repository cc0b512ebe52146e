// The profiles/*.yaml files, compiled into the binary (see cmake/embed_profiles.cmake).
#pragma once

#include <string>
#include <vector>

namespace cuslim {

struct EmbeddedProfile {
  const char* file;  // e.g. "cuda.yaml"
  const char* text;
};

const std::vector<EmbeddedProfile>& embedded_profiles();

}  // namespace cuslim
