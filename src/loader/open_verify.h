// What glibc makes of a file its search finds under a needed name (elf/dl-load.c: open_verify()
// and _dl_map_object_from_fd()). Three answers: load it; pass it over and search on (another ELF
// class or machine, a file that cannot be opened); or refuse it -- the load fails there, the
// search stops, and a program that needs the name does not start ("invalid ELF header", "file
// too short", "cannot dynamically load position-independent executable", ...).
#pragma once

#include <optional>
#include <string>

#include "core/error.h"
#include "elf/elf_file.h"

namespace cuslim {

enum class CandidateVerdict { load, pass_over, refuse };

struct CandidateCheck {
  CandidateVerdict verdict = CandidateVerdict::load;
  std::string why;  // for pass_over and refuse: glibc's words where it has them
};

struct LoaderRules {
  // glibc 2.30 and later refuse a PIE (DF_1_PIE) loaded as a library; older ones map it.
  bool refuses_pie = true;
  static LoaderRules for_glibc(const std::optional<std::string>& version);  // nullopt: the newest rules
};

// `elf` is what cuslim's parser made of the file at host_path; `want` the loading object (its
// class, byte order and machine are the loader's). The file itself is read again only when the
// parser failed, to tell glibc's fatal header checks from a file it passes over.
CandidateCheck check_candidate(const std::string& host_path, const Result<ElfFile>& elf, const ElfFile& want, const LoaderRules& rules);

}  // namespace cuslim
