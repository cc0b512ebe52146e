#include "core/path.h"

namespace cuslim::path {

std::vector<std::string> components(std::string_view p) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    if (j > i) out.emplace_back(p.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string join(std::string_view dir, std::string_view name) {
  std::string out(dir);
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  while (!name.empty() && name.front() == '/') name.remove_prefix(1);
  if (out.empty() || out.back() != '/') out += '/';
  out += name;
  return out;
}

std::string dirname(std::string_view p) {
  while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  size_t slash = p.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(p.substr(0, slash));
}

std::string basename(std::string_view p) {
  while (p.size() > 1 && p.back() == '/') p.remove_suffix(1);
  size_t slash = p.rfind('/');
  return std::string(slash == std::string_view::npos ? p : p.substr(slash + 1));
}

namespace {
bool is_normal(std::string_view p) {
  if (p.empty() || p[0] != '/' || (p.size() > 1 && p.back() == '/')) return false;
  return p.find("//") == std::string_view::npos && p.find("/./") == std::string_view::npos &&
         p.find("/../") == std::string_view::npos && !p.ends_with("/.") && !p.ends_with("/..");
}
}  // namespace

std::string normalize(std::string_view p) {
  if (is_normal(p)) return std::string(p);
  std::vector<std::string> stack;
  for (auto& c : components(p)) {
    if (c == ".") continue;
    if (c == "..") {
      if (!stack.empty()) stack.pop_back();
      continue;
    }
    stack.push_back(c);
  }
  std::string out;
  for (auto& c : stack) out += "/" + c;
  return out.empty() ? "/" : out;
}

bool is_within(std::string_view p, std::string_view dir) {
  if (dir == "/") return !p.empty() && p[0] == '/';
  return p.size() >= dir.size() && p.compare(0, dir.size(), dir) == 0 && (p.size() == dir.size() || p[dir.size()] == '/');
}

std::string tidy(std::string_view p) {
  if (is_normal(p)) return std::string(p);
  std::string out;
  for (auto& c : components(p))
    if (c != ".") out += "/" + c;
  return out.empty() ? "/" : out;
}

bool has_unclosed_bracket(std::string_view g) {
  bool open = false;
  for (size_t i = 0; i < g.size(); ++i)
    if (g[i] == '\\') ++i;
    else if (g[i] == '[' && !open) open = true;
    else if (g[i] == ']' && open) open = false;
  return open;
}

std::vector<std::string> split_list(std::string_view list, char sep) {
  std::vector<std::string> out;
  size_t i = 0;
  while (true) {
    size_t j = list.find(sep, i);
    out.emplace_back(list.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) break;
    i = j + 1;
  }
  return out;
}

}  // namespace cuslim::path
