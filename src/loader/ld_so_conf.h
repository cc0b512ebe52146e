// ld.so.conf reader: directories in order, `include` globs expanded inside the root (sorted, as
// ldconfig does), relative includes taken from the including file's directory, `hwcap` lines
// ignored, comments stripped. Include loops are cut.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"
#include "core/root.h"

namespace cuslim {

struct LdSoConf {
  std::vector<std::string> dirs;   // in order, duplicates removed
  std::vector<std::string> files;  // every conf file read
};

// Reads `inside` (usually "/etc/ld.so.conf") in `root`. A missing top file gives an empty result.
Result<LdSoConf> read_ld_so_conf(const Root& root, const std::string& inside = "/etc/ld.so.conf");

}  // namespace cuslim
