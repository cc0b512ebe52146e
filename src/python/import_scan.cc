#include "python/import_scan.h"

#include <sys/stat.h>

#include <cctype>
#include <set>

#include "core/fs.h"
#include "core/path.h"

namespace cuslim {

namespace {

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == ',') {
      std::string part = trim(s.substr(start, i - start));
      if (auto as = part.find(" as "); as != std::string::npos) part = trim(part.substr(0, as));
      if (!part.empty()) out.push_back(part);
      start = i + 1;
    }
  return out;
}

bool starts_with_word(const std::string& s, const char* w) {
  std::string word(w);
  return s.rfind(word, 0) == 0 && (s.size() == word.size() || s[word.size()] == ' ' || s[word.size()] == '\t' || s[word.size()] == '(');
}

}  // namespace

std::vector<ImportStatement> import_time_imports(const std::string& source) {
  std::vector<ImportStatement> out;
  bool in_body = false;  // inside a top-level def or class (its imports run later, if ever)
  std::string pending;   // a statement continued over lines (parentheses or a backslash)
  int depth = 0;
  size_t pos = 0;
  while (pos < source.size()) {
    size_t end = source.find('\n', pos);
    std::string raw = source.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    pos = end == std::string::npos ? source.size() : end + 1;
    if (!pending.empty()) {  // the rest of an import statement
      for (char c : raw) depth += c == '(' ? 1 : c == ')' ? -1 : 0;
      pending += " " + trim(raw);
      if (depth > 0 || (!pending.empty() && pending.back() == '\\')) continue;
    } else {
      std::string line = trim(raw);
      if (line.empty() || line[0] == '#') continue;
      bool column0 = raw[0] != ' ' && raw[0] != '\t';
      if (column0) in_body = starts_with_word(line, "def") || starts_with_word(line, "class") || starts_with_word(line, "async") || line[0] == '@';
      if (in_body || !(starts_with_word(line, "import") || starts_with_word(line, "from"))) continue;
      depth = 0;
      for (char c : line) depth += c == '(' ? 1 : c == ')' ? -1 : 0;
      pending = line;
      if (depth > 0 || pending.back() == '\\') continue;
    }
    std::string stmt;
    for (char c : pending)
      if (c != '(' && c != ')' && c != '\\') stmt += c;
    pending.clear();
    if (auto hash = stmt.find('#'); hash != std::string::npos) stmt.resize(hash);
    for (size_t b = 0, e; b <= stmt.size(); b = e + 1) {  // "import a; import b": each statement
      e = stmt.find(';', b);
      if (e == std::string::npos) e = stmt.size();
      std::string one = trim(stmt.substr(b, e - b));
      if (starts_with_word(one, "import")) {
        for (auto& m : split_commas(one.substr(6))) out.push_back({m, 0, {}});
      } else if (auto imp = one.find(" import "); starts_with_word(one, "from") && imp != std::string::npos) {
        std::string mod = trim(one.substr(4, imp - 4));
        ImportStatement s;
        while (s.level < static_cast<int>(mod.size()) && mod[s.level] == '.') ++s.level;
        s.module = mod.substr(s.level);
        s.names = split_commas(one.substr(imp + 8));
        out.push_back(std::move(s));
      }
    }
  }
  return out;
}

std::vector<std::string> stdlib_import_closure(const Root& root, const std::string& stdlib, const std::vector<std::string>& sources) {
  std::vector<std::string> out;
  std::set<std::string> seen(sources.begin(), sources.end());
  std::vector<std::string> todo(sources.begin(), sources.end());
  auto is_file = [&](const std::string& p) {
    auto st = root.stat(p);
    return st && S_ISREG(st->st_mode);
  };
  auto ship = [&](const std::string& f) {
    if (seen.insert(f).second) out.push_back(f), todo.push_back(f);
  };
  // A dotted module under `base`: each package's __init__.py on the way, then the module itself
  // (a .py, a package, or an extension in lib-dynload). Returns whether it was found.
  auto resolve = [&](const std::string& base, const std::string& dotted) {
    std::string dir = base;
    size_t start = 0;
    while (start <= dotted.size()) {
      size_t dot = dotted.find('.', start);
      std::string part = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (part.empty()) return false;
      std::string pkg = path::join(dir, part), init = path::join(pkg, "__init__.py"), py = pkg + ".py";
      if (is_file(init)) {
        ship(init);
        dir = pkg;
      } else if (is_file(py)) {
        ship(py);
        return true;  // a module: what follows the dot is an attribute
      } else if (dir == stdlib) {  // an extension module of the standard library
        const Root::DirEntries* dyn = root.list_dir(path::join(stdlib, "lib-dynload"));
        bool found = false;
        if (dyn)
          for (auto& [name, type] : *dyn)
            if (name.rfind(part + ".", 0) == 0 && name.ends_with(".so")) ship(path::join(path::join(stdlib, "lib-dynload"), name)), found = true;
        return found;
      } else {
        return false;
      }
      if (dot == std::string::npos) return true;
      start = dot + 1;
    }
    return true;
  };
  while (!todo.empty()) {
    std::string file = todo.back();
    todo.pop_back();
    if (!file.ends_with(".py")) continue;
    auto real = root.realpath(file);
    auto text = real ? read_regular_file(root.host_path(*real), 8 << 20) : Result<std::string>(real.error());
    if (!text) continue;
    std::string here = path::dirname(file);
    for (auto& s : import_time_imports(*text)) {
      std::string base = stdlib, mod = s.module;
      if (s.level > 0) {  // relative: from the file's package upwards
        base = here;
        for (int up = 1; up < s.level; ++up) base = path::dirname(base);
        if (base.rfind(stdlib, 0) != 0) continue;  // only inside the standard library
        if (mod.empty()) {
          for (auto& n : s.names) resolve(base, n);
          continue;
        }
        std::string rel = base.substr(stdlib.size());
        while (!rel.empty() && rel[0] == '/') rel.erase(0, 1);
        for (char& c : rel) c = c == '/' ? '.' : c;
        mod = rel.empty() ? mod : rel + "." + mod;
        base = stdlib;
      }
      if (!resolve(base, mod)) continue;
      std::string pkg = stdlib;  // "from a.b import c": c may be a submodule of package a.b
      for (size_t b = 0, e; b <= mod.size(); b = e + 1) {
        e = mod.find('.', b);
        if (e == std::string::npos) e = mod.size();
        pkg = path::join(pkg, mod.substr(b, e - b));
      }
      for (auto& n : s.names)
        if (n != "*" && (is_file(path::join(pkg, n + ".py")) || is_file(path::join(path::join(pkg, n), "__init__.py")))) resolve(stdlib, mod + "." + n);
    }
  }
  return out;
}

}  // namespace cuslim
