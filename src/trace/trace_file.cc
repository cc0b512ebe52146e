#include "trace/trace_file.h"

#include "core/beside_self.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "core/hex.h"
#include "core/json_text.h"
#include "core/path.h"
#include "profile/classifier.h"
#include "profile/profile_set.h"
#include "image/json_fields.h"

namespace cuslim {

namespace {

// A field of a trace line: its exact bytes from "<key>_hex" when the line has them.
Result<std::string> trace_field(const nlohmann::json& j, JsonFields& f, const std::string& key, const std::string& where) {
  if (auto it = j.find(key + "_hex"); it != j.end()) {
    auto bytes = it->is_string() ? from_hex(it->get<std::string>()) : std::nullopt;
    if (!bytes) return bad_input(where + ": " + key + "_hex: not hex");
    return *bytes;
  }
  return f.str(key);
}

}  // namespace

Result<Trace> read_trace(const std::string& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec)) return bad_input(file + ": is a directory, not a trace file");
  std::ifstream in(file);
  if (!in) return Error::from_errno(file, errno);
  Trace t;
  std::set<std::string> searched;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    auto j = parse_json_or_discarded(line);
    if (j.is_discarded() || !j.is_object()) return bad_input(file + ":" + std::to_string(n) + ": not a trace line (JSON)");
    JsonFields f(j, file + ":" + std::to_string(n));
    CUSLIM_TRY(auto ev, f.str("event"));
    CUSLIM_TRY(auto name, trace_field(j, f, "name", file + ":" + std::to_string(n)));
    CUSLIM_TRY(auto p, trace_field(j, f, "path", file + ":" + std::to_string(n)));
    if (j.contains("pid")) {  // the run's own lines (env, cwd) belong to no process
      CUSLIM_TRY(auto pid, f.u64("pid"));
      t.pids.insert(static_cast<int>(pid));
    }
    // The tracer writes absolute paths (a relative one names nothing: it would be read against
    // cuslim's own directory); a NUL cannot be in a path or an environment value.
    bool needs_absolute = ev == "file" || ev == "cwd" || (ev == "exec" && !p.empty());
    if (needs_absolute && (p.empty() || p[0] != '/')) return bad_input(file + ":" + std::to_string(n) + ": path: '" + p + "' is not an absolute path");
    if (p.find('\0') != std::string::npos || name.find('\0') != std::string::npos)
      return bad_input(file + ":" + std::to_string(n) + ": " + (p.find('\0') != std::string::npos ? "path" : "name") + " holds a NUL byte");
    if (ev == "exec") { if (!p.empty()) t.programs.insert(p); }
    else if (ev == "open" && p.find('/') != std::string::npos) t.opened.insert(p);  // not the vDSO
    else if (ev == "search") searched.insert(name);
    else if (ev == "file") {
      CUSLIM_TRY(auto how, f.str("how", "open"));  // traces before "how" recorded opens and stats alike
      if (how != "open" && how != "exec" && how != "stat" && how != "list" && how != "write")
        return bad_input(file + ":" + std::to_string(n) + ": how: '" + how + "' is not open, exec, stat, list or write");
      if (how == "write") continue;  // opened only to be written (a log, a result, a temp file): its output, not a use
      (how == "stat" || how == "list" ? t.looked_at : t.files).insert(p);  // seen, or used
      if (how == "exec") t.executed.insert(p);
    }
    else if (ev == "cwd") t.cwd = p;
    else if (ev == "env") {
      CUSLIM_TRY(auto value, f.str("value"));
      if (value.find('\0') != std::string::npos) return bad_input(file + ":" + std::to_string(n) + ": value of " + name + " holds a NUL byte");
      t.env[name] = value;
    } else if (ev != "open" && ev != "search")  // an event nothing here reads is not skipped in silence
      return bad_input(file + ":" + std::to_string(n) + ": event: '" + ev + "' is not exec, open, search, file, env or cwd");
  }
  for (auto& p : t.files) t.looked_at.erase(p);
  // A name nothing answered: no opened object has it as its file name (sonames are file names
  // of their symlinks in practice) and it is not a path that was opened.
  std::set<std::string> opened_names;
  for (auto& p : t.opened) opened_names.insert(path::basename(p));
  for (auto& s : searched)
    if (!opened_names.count(path::basename(s)) && !t.opened.count(s)) t.failed.insert(s);
  t.searched = std::move(searched);
  drop_loader_probes(t, t);
  return t;
}

void drop_loader_probes(Trace& files, const Trace& loader) {
  std::set<std::string> names;
  for (auto& s : loader.searched) names.insert(path::basename(s));
  // Traces written before the audit library made paths absolute hold "./x.so": a file ending in
  // "/x.so" may be it.
  std::vector<std::string> relative;
  for (auto& p : loader.opened)
    if (!p.empty() && p[0] != '/') relative.push_back("/" + (p.rfind("./", 0) == 0 ? p.substr(2) : p));
  auto mapped = [&](const std::string& f) {
    if (loader.opened.count(f)) return true;
    for (auto& r : relative)
      if (f.ends_with(r)) return true;
    return false;
  };
  for (auto it = files.files.begin(); it != files.files.end();)
    if (names.count(path::basename(*it)) && !mapped(*it)) files.probed.insert(*it), it = files.files.erase(it);
    else ++it;
}

std::vector<std::string> packable_files(const Trace& t) {
  std::vector<std::string> out;
  auto audit = audit_library();  // cuslim's own tracing library is never part of the program
  std::set<std::string> files = t.files;
  // Python stats a module's source, then reads its cached bytecode: the source is part of the use
  // (and os.py is the landmark that tells the interpreter where its standard library is).
  for (auto& f : t.files)
    if (std::string dir = path::dirname(f), base = path::basename(f); path::basename(dir) == "__pycache__" && base.ends_with(".pyc"))
      if (std::string src = path::join(path::dirname(dir), base.substr(0, base.find('.')) + ".py"); t.looked_at.count(src)) files.insert(src);
  for (auto& f : files) {
    bool skip = audit && f == *audit;
    for (auto* pre : {"/proc/", "/sys/", "/dev/", "/tmp/", "/etc/ld.so.cache"}) skip |= f.rfind(pre, 0) == 0;
    if (!skip) out.push_back(f);
  }
  return out;
}

Result<std::map<ObjectClass, std::vector<std::string>>> opened_by_class(const Trace& t) {
  CUSLIM_TRY(auto set, ProfileSet::builtin());
  CUSLIM_TRY(auto c, Classifier::make(set, "glibc"));
  std::map<ObjectClass, std::vector<std::string>> out;
  for (auto& p : t.opened) out[c.classify(p, p, std::nullopt, "").cls].push_back(p);
  return out;
}

std::optional<std::string> audit_library() {
  return find_beside_self({"libcuslim-audit.so", "lib/libcuslim-audit.so"}, R_OK);
}

}  // namespace cuslim
