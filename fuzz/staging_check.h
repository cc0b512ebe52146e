// The staging invariant of image reading, checked after every input: unpacking into
// <parent>/stage leaves nothing in <parent> but "stage" and an unchanged, unlinked "canary".
// The parent has a fixed name so that seed layers can aim absolute symlinks and hardlinks at it
// (/tmp/cuslim-fuzz-layer/escape, .../canary).
#pragma once

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "fuzz_util.h"

namespace cuslim::fuzz {

inline std::string staging_parent() {
  const char* p = std::getenv("CUSLIM_FUZZ_STAGING_PARENT");
  return p && *p ? p : "/tmp/cuslim-fuzz-layer";
}

constexpr const char* kCanaryText = "canary\n";

// A fresh, empty <parent>/stage, next to <parent>/canary: a file that seed layers hardlink and
// symlink to, so a write through a link to an existing host file shows as well.
inline std::string fresh_staging() {
  const std::string parent = staging_parent();
  remove_all_forced(parent);
  std::filesystem::create_directories(parent + "/stage");
  write_file(parent + "/canary", kCanaryText);
  return parent + "/stage";
}

// Aborts (a crash for the fuzzer) when anything but "stage" and an untouched "canary" is in the
// parent.
inline void check_nothing_outside_staging() {
  const std::string parent = staging_parent();
  for (auto& e : std::filesystem::directory_iterator(parent)) {
    if (e.path().filename() != "stage" && e.path().filename() != "canary") {
      std::fprintf(stderr, "ESCAPE: unpacking wrote %s outside the staging dir\n", e.path().c_str());
      std::abort();
    }
  }
  struct stat st;
  std::ifstream in(parent + "/canary", std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (::lstat((parent + "/canary").c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 || text != kCanaryText) {
    std::fprintf(stderr, "ESCAPE: unpacking changed or linked %s/canary outside the staging dir\n", parent.c_str());
    std::abort();
  }
}

}  // namespace cuslim::fuzz
