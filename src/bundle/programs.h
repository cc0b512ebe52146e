// Programs as a user names them: ELF files, or #! scripts that bring their interpreter (which may
// be a script too, or `env` and the program it runs, found through PATH).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/root.h"

namespace cuslim {

// argv[0] found through `search_path` (a colon list) inside the root; a name with a '/' as it is.
std::optional<std::string> find_program(const Root& root, const std::string& search_path, const std::string& prog);

struct Programs {
  std::vector<std::string> elf;      // their closures are resolved
  std::vector<std::string> scripts;  // packed as they are
};
// Splits `programs` (in-root paths) into ELF files and scripts, following every script's
// interpreter chain. A program that is neither is an input error naming it.
Result<Programs> expand_programs(const Root& root, const std::vector<std::string>& programs, const std::string& search_path);

// The interpreter a #! script's first line names, as it names it (a venv's bin/python3 link, not
// the /usr/bin/python3.11 it leads to); nullopt for a file that is not a script. `env`'s program
// is not looked up: a traced run shows what env ran.
std::optional<std::string> script_interpreter(const Root& root, const std::string& script);

// `p` inside the root (symlinks followed there) is a file that starts with the ELF magic.
bool is_elf_in_root(const Root& root, const std::string& p);

}  // namespace cuslim
