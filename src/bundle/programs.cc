#include "bundle/programs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/path.h"
#include "elf/elf_file.h"
#include "loader/target_info.h"

namespace cuslim {

namespace {

// "#!/usr/bin/env python3" -> the interpreter (env's argument found through `search_path` too,
// unless that is null); empty for a file that is not a script. A program env names that PATH
// does not hold is an error naming the script.
Result<std::vector<std::string>> shebang(const Root& root, const std::string& script, const std::string* search_path) {
  auto real = root.realpath(script);
  if (!real) return std::vector<std::string>{};
  std::ifstream in(root.host_path(*real));
  // The kernel reads the first 256 bytes (BINPRM_BUF_SIZE): a file not starting "#!" is not read on.
  char head[256] = {};
  in.read(head, sizeof head);
  std::string line(head, static_cast<size_t>(in.gcount()));
  if (line.rfind("#!", 0) != 0) return std::vector<std::string>{};
  line.resize(std::min(line.find('\n'), line.size()));
  std::istringstream words(line.substr(2));
  std::string interp, arg;
  words >> interp;
  while (words >> arg && arg[0] == '-') arg.clear();  // env's options: "#!/usr/bin/env -S python3 -u"
  std::vector<std::string> out;
  if (interp.empty()) return bad_input(script + ": its #! line names no interpreter");
  out.push_back(interp);
  if (search_path && path::basename(interp) == "env" && !arg.empty() && arg[0] != '-') {
    auto p = find_program(root, *search_path, arg);
    if (!p) return bad_input(script + ": its #! line runs '" + arg + "' through env, and PATH (" + *search_path + ") has none");
    out.push_back(*p);
  }
  return out;
}

}  // namespace

std::optional<std::string> find_program(const Root& root, const std::string& search_path, const std::string& prog) {
  if (prog.find('/') != std::string::npos) return prog;
  for (auto& d : path::split_list(search_path))
    if (auto st = root.stat(path::join(d, prog)); st && S_ISREG(st->st_mode)) return path::join(d, prog);
  return std::nullopt;
}

std::optional<std::string> script_interpreter(const Root& root, const std::string& script) {
  auto interp = shebang(root, script, nullptr);
  if (!interp.ok() || interp->empty()) return std::nullopt;
  return interp->front();
}

Result<Programs> expand_programs(const Root& root, const std::vector<std::string>& programs, const std::string& search_path) {
  Programs out;
  // Each program with the script whose #! line brought it (empty for the ones asked for).
  std::vector<std::pair<std::string, std::string>> todo;
  for (auto& p : programs) todo.emplace_back(p, "");
  for (size_t i = 0; i < todo.size(); ++i) {
    auto [p, script] = todo[i];  // a copy: todo grows below
    auto st = root.stat(p);
    if (!st) {
      std::string where = root.is_host() ? "" : " in " + root.display();
      if (!script.empty()) return bad_input(script + ": its #! interpreter " + p + " is not found" + where);
      return bad_input(p + ": not found" + where);
    }
    if (S_ISDIR(st->st_mode)) return bad_input(p + ": a directory, not a program (a directory ships whole by bundle --include, slim --keep 'DIR/*' or a spec's include:)");
    if (!S_ISREG(st->st_mode)) return bad_input(p + ": not a regular file (a fifo, socket or device is not a program)");
    if (auto real = root.realpath(p); real.ok() && ::access(root.host_path(*real).c_str(), R_OK) != 0)  // said as it is, not as "not a program"
      return Error::from_errno(p, errno);
    if (is_elf_in_root(root, p)) {
      // A program of another machine finds none of its libraries in this root: said as such,
      // not as a missing loader.
      if (auto info = target_info(root, p); info.ok() && info->foreign()) return bad_input(p + ": " + describe(*info));
      out.elf.push_back(p);
      continue;
    }
    auto interp = shebang(root, p, &search_path);
    if (!interp.ok()) return interp.error();
    if (interp->empty()) return bad_input(p + ": neither an ELF file nor a #! script");
    out.scripts.push_back(p);
    for (auto& x : *interp)
      if (std::none_of(todo.begin(), todo.end(), [&](auto& t) { return t.first == x; })) todo.emplace_back(x, p);
  }
  return out;
}

bool is_elf_in_root(const Root& root, const std::string& p) {
  auto real = root.realpath(p);
  return real && has_elf_magic(root.host_path(*real));
}

}  // namespace cuslim
