#include "loader/ld_so_conf.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "core/path.h"
#include "core/root_walk.h"

namespace cuslim {

namespace {

constexpr int kMaxIncludeDepth = 16;

std::string trim(std::string s) {
  auto hash = s.find('#');
  if (hash != std::string::npos) s.resize(hash);
  auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

struct ConfReader {
  const Root& root;
  LdSoConf conf;
  std::set<std::string> seen_dirs, seen_files;

  Status read_file(const std::string& file, int depth) {
    if (depth > kMaxIncludeDepth) return ok_status();
    auto real = root.realpath(file);
    if (!real) return ok_status();  // ldconfig skips includes that do not exist
    // Loops are cut on the file, not on the name it was reached by: "d/./a.conf" and "d//a.conf"
    // are one file, and telling them apart let a conf that includes itself twice over grow a
    // tree of 2^16 reads (found by fuzz/ld_so_conf_fuzz.cc as a hang).
    if (!seen_files.insert(*real).second) return ok_status();
    std::ifstream in(root.host_path(*real));
    if (!in) return ok_status();
    conf.files.push_back(file);
    std::string line;
    while (std::getline(in, line)) {
      line = trim(line);
      if (line.empty()) continue;
      if (line.rfind("include", 0) == 0 && line.size() > 7 && (line[7] == ' ' || line[7] == '\t')) {
        std::istringstream words(line.substr(8));
        std::string pat;
        while (words >> pat) {
          if (pat[0] != '/') pat = path::join(path::dirname(file), pat);
          for (auto& f : expand_glob(root, pat)) CUSLIM_CHECK(read_file(f, depth + 1));
        }
      } else if (line.rfind("hwcap", 0) == 0 && line.size() > 5 && (line[5] == ' ' || line[5] == '\t')) {
        continue;
      } else {
        // Old syntax "dir=TYPE" and separators ldconfig accepts between dirs.
        std::replace_if(line.begin(), line.end(), [](char c) { return c == ',' || c == ':' || c == '\t'; }, ' ');
        std::istringstream words(line);
        std::string dir;
        while (words >> dir) {
          if (auto eq = dir.find('='); eq != std::string::npos) dir.resize(eq);
          while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
          if (!dir.empty() && seen_dirs.insert(dir).second) conf.dirs.push_back(dir);
        }
      }
    }
    return ok_status();
  }
};

}  // namespace

Result<LdSoConf> read_ld_so_conf(const Root& root, const std::string& inside) {
  ConfReader r{root, {}, {}, {}};
  CUSLIM_CHECK(r.read_file(inside, 0));
  return std::move(r.conf);
}

}  // namespace cuslim
