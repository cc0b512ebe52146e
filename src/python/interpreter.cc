#include "python/interpreter.h"

#include <sys/stat.h>

#include <charconv>

#include "core/path.h"

namespace cuslim {

namespace {

// "python3.11" -> 11, "libpython3.12.so.1.0" -> 12 (after `prefix`); nullopt otherwise.
std::optional<int> minor_after(const std::string& name, const std::string& prefix) {
  if (name.rfind(prefix, 0) != 0) return std::nullopt;
  const char* b = name.data() + prefix.size();
  const char* e = name.data() + name.size();
  int minor = 0;
  auto [p, ec] = std::from_chars(b, e, minor);
  if (ec != std::errc() || p == b) return std::nullopt;
  std::string rest(p, e);
  if (prefix == "python3." && !rest.empty() && rest != "d" && rest != "t") return std::nullopt;  // python3.11-config
  return minor;
}

// Modules site imports at every start (3.8 to 3.13), relative to the standard library.
const char* kStartupModules[] = {"os.py",           "site.py",          "abc.py",      "codecs.py",   "io.py",
                                 "stat.py",         "_collections_abc.py", "genericpath.py", "posixpath.py",
                                 "_sitebuiltins.py", "_bootlocale.py",   "types.py",    "sitecustomize.py"};

}  // namespace

std::optional<PythonInterpreter> python_interpreter(const Root& root, const std::string& program, const ElfFile& elf) {
  auto real = root.realpath(program);
  if (!real) return std::nullopt;
  std::optional<int> minor = minor_after(path::basename(*real), "python3.");
  for (size_t i = 0; !minor && i < elf.needed.size(); ++i) minor = minor_after(elf.needed[i], "libpython3.");
  if (!minor) return std::nullopt;
  std::string prefix = path::dirname(path::dirname(*real));  // <prefix>/bin/python3.N
  for (const char* lib : {"lib", "lib64"}) {
    std::string stdlib = path::join(path::join(prefix, lib), "python3." + std::to_string(*minor));
    if (auto st = root.stat(path::join(stdlib, "os.py")); st && S_ISREG(st->st_mode))
      return PythonInterpreter{.program = program, .minor = *minor, .stdlib = stdlib};
  }
  return std::nullopt;
}

PythonStartup python_startup(const Root& root, const PythonInterpreter& py) {
  PythonStartup s;
  if (auto st = root.stat(path::join(py.stdlib, "encodings")); st && S_ISDIR(st->st_mode)) s.files.push_back(path::join(py.stdlib, "encodings"));
  for (const char* m : kStartupModules)
    if (std::string f = path::join(py.stdlib, m); root.stat(f)) s.files.push_back(f);
  s.dirs.push_back(path::join(py.stdlib, "lib-dynload"));
  if (std::string cfg = path::join(path::dirname(path::dirname(py.program)), "pyvenv.cfg"); root.stat(cfg)) s.files.push_back(cfg);
  return s;
}

}  // namespace cuslim
