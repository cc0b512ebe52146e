#include "python/interpreter.h"

#include <sys/stat.h>

#include <cctype>
#include <charconv>
#include <regex>
#include <set>

#include "core/fs.h"
#include "core/path.h"
#include "python/import_scan.h"

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

// The site dirs start-up reads .pth files from: the venv's (when run from one), else the prefix's
// and Debian's dist-packages.
std::vector<std::string> site_dirs(const Root& root, const PythonInterpreter& py, bool venv) {
  std::string v = "python3." + std::to_string(py.minor);
  std::vector<std::string> cands;
  if (venv) cands.push_back(path::join(path::dirname(path::dirname(py.program)), "lib/" + v + "/site-packages"));
  else
    cands = {path::join(py.stdlib, "site-packages"), "/usr/lib/python3/dist-packages", "/usr/local/lib/" + v + "/dist-packages"};
  std::vector<std::string> out;
  for (auto& c : cands)
    if (auto st = root.stat(c); st && S_ISDIR(st->st_mode)) out.push_back(c);
  return out;
}

// The names an `import` line of a .pth file may import: every identifier on it ("import os; ...
// __import__('_distutils_hack').add_shim()" -> import, os, ..., _distutils_hack, add_shim); the
// caller keeps those that are modules of the site dir.
std::vector<std::string> pth_import_names(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    std::string line = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? text.size() : end + 1;
    if (line.rfind("import ", 0) != 0 && line.rfind("import\t", 0) != 0) continue;
    for (size_t i = 0; i < line.size();) {
      auto word = [&](size_t k) { return k < line.size() && (std::isalnum(static_cast<unsigned char>(line[k])) || line[k] == '_'); };
      if (!word(i) || std::isdigit(static_cast<unsigned char>(line[i]))) {
        ++i;
        continue;
      }
      size_t b = i;
      while (word(i)) ++i;
      out.push_back(line.substr(b, i - b));
    }
  }
  return out;
}

}  // namespace

std::optional<int> python_minor(const Root& root, const std::string& program, const ElfFile& elf) {
  auto real = root.realpath(program);
  if (!real) return std::nullopt;
  std::optional<int> minor = minor_after(path::basename(*real), "python3.");
  for (size_t i = 0; !minor && i < elf.needed.size(); ++i) minor = minor_after(elf.needed[i], "libpython3.");
  return minor;
}

std::string python_startup_missing(const Root& root, const std::string& program, const ElfFile& elf) {
  auto minor = python_minor(root, program, elf);
  if (!minor) return "";
  std::string v = "python3." + std::to_string(*minor);
  auto py = python_interpreter(root, program, elf);
  if (!py) return "lib/" + v + "/os.py (the landmark of its standard library)";
  if (auto st = root.stat(path::join(py->stdlib, "encodings/__init__.py")); !st || !S_ISREG(st->st_mode))
    return path::join(py->stdlib, "encodings") + " (its codecs)";
  return "";
}

std::optional<PythonInterpreter> python_interpreter(const Root& root, const std::string& program, const ElfFile& elf) {
  auto minor = python_minor(root, program, elf);
  if (!minor) return std::nullopt;
  auto real = root.realpath(program);
  std::string prefix = path::dirname(path::dirname(*real));  // <prefix>/bin/python3.N
  for (const char* lib : {"lib", "lib64"}) {
    std::string stdlib = path::join(path::join(prefix, lib), "python3." + std::to_string(*minor));
    if (auto st = root.stat(path::join(stdlib, "os.py")); st && S_ISREG(st->st_mode))
      return PythonInterpreter{.program = program, .minor = *minor, .stdlib = stdlib};
  }
  return std::nullopt;
}

PthHooks::PthHooks(const Root& root, const std::string& site) {
  const Root::DirEntries* entries = root.list_dir(site);
  if (!entries) return;
  for (auto& [name, type] : *entries) {
    if (!name.ends_with(".pth")) continue;
    std::string pth = path::join(site, name);
    auto real = root.realpath(pth);
    auto text = real ? read_regular_file(root.host_path(*real), 1 << 20) : Result<std::string>(real.error());
    if (!text) continue;
    files_.insert(pth);
    for (auto& m : pth_import_names(*text)) {
      if (root.stat(path::join(site, m + ".py"))) files_.insert(path::join(site, m + ".py"));
      else if (auto st = root.stat(path::join(site, m)); !st || !S_ISDIR(st->st_mode)) continue;
      prefixes_.push_back(path::join(site, m) + "/");
      prefixes_.push_back(path::join(site, "__pycache__/" + m + "."));
    }
  }
}

bool PthHooks::covers(const std::string& inside) const {
  if (files_.count(inside)) return true;
  for (auto& p : prefixes_)
    if (inside.rfind(p, 0) == 0) return true;
  return false;
}

PythonStartup python_startup(const Root& root, const PythonInterpreter& py) {
  PythonStartup s;
  if (auto st = root.stat(path::join(py.stdlib, "encodings")); st && S_ISDIR(st->st_mode)) s.files.push_back(path::join(py.stdlib, "encodings"));
  for (const char* m : kStartupModules)
    if (std::string f = path::join(py.stdlib, m); root.stat(f)) s.files.push_back(f);
  s.dirs.push_back(path::join(py.stdlib, "lib-dynload"));
  std::string cfg = path::join(path::dirname(path::dirname(py.program)), "pyvenv.cfg");
  bool venv = root.stat(cfg).has_value();
  if (venv) s.files.push_back(cfg);
  // Its other names beside it (a venv's python, python3, python3.N; /usr/bin/python3 ->
  // python3.N): the ones that are the same interpreter, so `python` runs in the image as here.
  if (auto real = root.realpath(py.program); real)
    if (const Root::DirEntries* names = root.list_dir(path::dirname(py.program))) {
      std::set<std::string> same;  // sorted: one order for plans and tests
      static const std::regex python_name(R"(python(3(\.[0-9]+)?)?)");
      for (auto& [name, type] : *names) {
        std::string p = path::join(path::dirname(py.program), name);
        if (p != py.program && std::regex_match(name, python_name) && root.realpath(p).value_or("") == *real) same.insert(p);
      }
      s.files.insert(s.files.end(), same.begin(), same.end());
    }
  for (auto& site : site_dirs(root, py, venv)) {
    const Root::DirEntries* entries = root.list_dir(site);
    if (!entries) continue;
    std::set<std::string> names;  // in order: the plan and tests see one order
    for (auto& [name, type] : *entries)
      if (name.ends_with(".pth")) names.insert(name);
    for (auto& name : names) {
      std::string pth = path::join(site, name);
      auto real = root.realpath(pth);
      if (!real) continue;
      auto text = read_regular_file(root.host_path(*real), 1 << 20);
      if (!text) continue;
      s.files.push_back(pth);
      for (auto& m : pth_import_names(*text))
        for (std::string f : {path::join(site, m), path::join(site, m + ".py")})
          if (root.stat(f)) s.files.push_back(f);
    }
  }
  // What those modules (site's own and the hooks') import when they are imported, from the
  // standard library: a hook importing pathlib needs pathlib's imports too, or start-up fails.
  std::vector<std::string> sources;
  for (auto& f : s.files) {
    if (f.ends_with(".py")) sources.push_back(f);
    else if (std::string init = path::join(f, "__init__.py"); root.stat(init)) sources.push_back(init);
  }
  std::set<std::string> have(s.files.begin(), s.files.end());
  for (auto& f : stdlib_import_closure(root, py.stdlib, sources))
    if (!have.count(f) && f.rfind(path::join(py.stdlib, "encodings") + "/", 0) != 0) s.files.push_back(f);
  return s;
}

}  // namespace cuslim
