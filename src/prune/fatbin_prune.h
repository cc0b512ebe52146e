// FatbinPrune: the in-place rewrite of one ELF file's fatbin containers for a set of GPU
// architectures. In each container the entries a listed GPU can run are kept as stored (no
// recompression), moved toward the container's start, fat_size lowered and the freed tail
// zeroed: no container moves and the file keeps its size, so every absolute reference into it
// stays valid. A container with nothing a listed GPU runs keeps its smallest entry (never
// emptied); one that does not parse exactly is left whole. Stores without an index (.ldata of cuBLASLt and cuFFT) are left untouched and
// named. The result is a description over the source (FileExtents); the source is never written.
#pragma once

#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "elf/fatbin.h"
#include "image/file_extents.h"

namespace cuslim {

struct PruneStats {
  uint64_t containers = 0;     // indexed containers
  uint64_t rewritten = 0;      // containers that lost entries
  uint64_t no_code = 0;        // nothing a listed GPU runs: reduced to their smallest entry
  uint64_t not_exact = 0;      // did not parse exactly: left whole
  uint64_t kept_bytes = 0;     // entry bytes kept (in rewritten containers and whole ones)
  uint64_t bytes_zeroed = 0;   // entry bytes removed (headers and payloads, as stored)
  std::map<std::string, uint64_t> zeroed_by_arch;     // "sm_80" -> bytes
  std::map<std::string, uint64_t> zeroed_by_section;  // ".nv_fatbin" -> bytes
  std::vector<FatbinElsewhere> not_indexed;           // left untouched (.ldata)
  std::set<unsigned> lost_for;  // known compute capabilities some container lost all its code for
  std::vector<std::string> warnings;
};

// {"containers", "containers_rewritten", "containers_without_code", "containers_not_parsed",
//  "kept_bytes", "bytes_zeroed", "zeroed_by_arch", "zeroed_by_section", "not_indexed": [{section, bytes, containers}],
//  "lost_for": [compute capabilities]}
nlohmann::json to_json(const PruneStats& s);

struct FatbinPrune {
  PruneStats stats;
  FileExtents extents;  // the pruned file over the source; empty when nothing changes

  // Plans the rewrite of the ELF file at host_path (named `name` in messages) for `archs`.
  static Result<FatbinPrune> plan(const std::string& host_path, const std::string& name, const std::vector<unsigned>& archs);
};

}  // namespace cuslim
