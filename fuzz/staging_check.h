// The staging invariant of image reading, checked after every input: unpacking into
// <parent>/stage leaves nothing in <parent> but "stage". The parent has a fixed name so that seed
// layers can aim absolute symlinks and hardlinks at it (/tmp/cuslim-fuzz-layer/escape).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "fuzz_util.h"

namespace cuslim::fuzz {

inline std::string staging_parent() {
  const char* p = std::getenv("CUSLIM_FUZZ_STAGING_PARENT");
  return p && *p ? p : "/tmp/cuslim-fuzz-layer";
}

// A fresh, empty <parent>/stage.
inline std::string fresh_staging() {
  const std::string parent = staging_parent();
  remove_all_forced(parent);
  std::filesystem::create_directories(parent + "/stage");
  return parent + "/stage";
}

// Aborts (a crash for the fuzzer) when anything but "stage" appeared in the parent.
inline void check_nothing_outside_staging() {
  const std::string parent = staging_parent();
  for (auto& e : std::filesystem::directory_iterator(parent)) {
    if (e.path().filename() != "stage") {
      std::fprintf(stderr, "ESCAPE: unpacking wrote %s outside the staging dir\n", e.path().c_str());
      std::abort();
    }
  }
}

}  // namespace cuslim::fuzz
