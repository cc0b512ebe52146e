#include "cli/analysis_flags.h"

#include <cstdlib>
#include <set>

#include "core/path.h"
#include "loader/search_plan.h"
#include "loader/loader_abi.h"

namespace cuslim::cli {

void AnalysisFlags::add_to(CLI::App& cmd) {
  cmd.add_option("--root", root, "Resolve as the loader inside this root directory would (its ld.so.cache, ld.so.conf)")
      ->capture_default_str();
  auto* llp = cmd.add_option("--ld-library-path", ld_library_path, "LD_LIBRARY_PATH to model (colon list)");
  // One or the other: the two together dropped --ld-library-path's list without a word.
  cmd.add_flag("--env-ld-library-path", env_ld_library_path, "Take LD_LIBRARY_PATH from cuslim's own environment")->excludes(llp);
  cmd.add_option("--hwcaps", hwcaps, "glibc-hwcaps subdirs to search, best first (e.g. x86-64-v3,x86-64-v2), or 'none'; default: the running CPU's")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {  // a typo (x86_64-v3) would silently search nothing
            if (v == "none") return "";
            std::set<std::string> known;
            for (auto& abi : loader_abis()) known.insert(abi.hwcaps_subdirs.begin(), abi.hwcaps_subdirs.end());
            for (auto& name : path::split_list(v, ','))
              if (!known.count(name)) {
                std::string list;
                for (auto& k : known) list += (list.empty() ? "" : ", ") + k;
                return "'" + name + "' is not a glibc-hwcaps name (known: " + list + "; or 'none')";
              }
            return "";
          },
          "LIST"));
  cmd.add_option("-j,--threads", threads, "Worker threads (default: one per core)")
      ->check(CLI::Validator(
          [](std::string& v) -> std::string {  // a word that is no number is left to the conversion's own message
            if (v.empty() || v.find_first_not_of("-0123456789") != std::string::npos) return "";
            size_t digits = v.find_first_not_of('0');  // "00001" is 1
            std::string n = digits == std::string::npos ? "0" : v.substr(digits);
            bool ok = v[0] != '-' && n.find('-') == std::string::npos && n.size() <= 4 && std::stoi(n) <= 4096;
            return ok ? "" : "'" + v + "': from 0 (one per core) to 4096";
          },
          "N"));
  cmd.add_option("--profile", profiles, "Extra YAML profile (repeatable; may extend or replace a built-in one)")->allow_extra_args(false);
  cmd.add_option("--base", base, "Base profile: what counts as class system (scratch, glibc, debian12, ubuntu24.04, ...)")
      ->capture_default_str();
  cmd.add_flag("--no-dlopen", no_dlopen, "Do not follow the profiles' run-time dlopen edges");
}

AnalysisOptions AnalysisFlags::options() const {
  AnalysisOptions o{.root = root, .threads = threads, .profile_files = profiles, .base = base, .dlopen = !no_dlopen};
  std::string llp = ld_library_path;
  if (env_ld_library_path && std::getenv("LD_LIBRARY_PATH")) llp = std::getenv("LD_LIBRARY_PATH");
  if (!llp.empty()) o.ld_library_path = ld_library_path_dirs(llp);
  if (hwcaps == "none") o.hwcaps = std::vector<std::string>{};
  else if (!hwcaps.empty()) o.hwcaps = path::split_list(hwcaps, ',');
  return o;
}

}  // namespace cuslim::cli
