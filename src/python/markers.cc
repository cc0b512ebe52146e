#include "python/markers.h"

#include <cctype>
#include <vector>

namespace cuslim {

namespace {

struct Token {
  enum Kind { name, string, op, lparen, rparen, end } kind = end;
  std::string text;
};

std::vector<Token> tokenize(const std::string& s, bool& ok) {
  std::vector<Token> out;
  ok = true;
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) { ++i; continue; }
    if (c == '(' || c == ')') { out.push_back({c == '(' ? Token::lparen : Token::rparen, std::string(1, c)}); ++i; continue; }
    if (c == '\'' || c == '"') {
      size_t close = s.find(c, i + 1);
      if (close == std::string::npos) { ok = false; return out; }
      out.push_back({Token::string, s.substr(i + 1, close - i - 1)});
      i = close + 1;
      continue;
    }
    if (std::string("<>=!~").find(c) != std::string::npos) {
      size_t j = i;
      while (j < s.size() && std::string("<>=!~").find(s[j]) != std::string::npos) ++j;
      out.push_back({Token::op, s.substr(i, j - i)});
      i = j;
      continue;
    }
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_' || s[j] == '.')) ++j;
      out.push_back({Token::name, s.substr(i, j - i)});
      i = j;
      continue;
    }
    ok = false;
    return out;
  }
  out.push_back({Token::end, ""});
  return out;
}

std::vector<long> version_parts(const std::string& v) {
  std::vector<long> out;
  size_t i = 0;
  while (i < v.size()) {
    size_t j = i;
    while (j < v.size() && std::isdigit(static_cast<unsigned char>(v[j]))) ++j;
    if (j == i) break;
    out.push_back(std::stol(v.substr(i, j - i)));
    if (j >= v.size() || v[j] != '.') break;
    i = j + 1;
  }
  return out;
}

Truth of(bool b) { return b ? Truth::yes : Truth::no; }

struct Parser {
  const std::vector<Token>& t;
  const MarkerEnv& env;
  size_t at = 0;
  bool bad = false;

  // A variable's value here; nullopt when not known ("" marks an extra: never requested).
  std::optional<std::string> value(const std::string& var, bool& is_version, bool& is_extra) {
    is_version = var == "python_version" || var == "python_full_version" || var == "implementation_version";
    is_extra = var == "extra";
    if (var == "python_version") return env.python_minor ? std::optional("3." + std::to_string(*env.python_minor)) : std::nullopt;
    if (var == "sys_platform") return "linux";
    if (var == "platform_system") return "Linux";
    if (var == "os_name") return "posix";
    if (var == "platform_machine") return env.machine;
    if (var == "implementation_name") return "cpython";
    if (var == "platform_python_implementation") return "CPython";
    return std::nullopt;  // python_full_version, platform_release, ...: not known statically
  }

  Truth compare(const std::string& l, const std::string& op, const std::string& r, bool version) {
    if (op == "in") return of(r.find(l) != std::string::npos);
    if (op == "not in") return of(r.find(l) == std::string::npos);
    if (!version) {
      if (op == "==" || op == "===") return of(l == r);
      if (op == "!=") return of(l != r);
      return Truth::unknown;
    }
    auto a = version_parts(l), b = version_parts(r);
    if (a.empty() || b.empty()) return Truth::unknown;
    bool wild = r.size() >= 2 && r.compare(r.size() - 2, 2, ".*") == 0;
    auto cmp = [&](size_t n) {  // a <=> b over n parts, missing parts 0
      for (size_t i = 0; i < n; ++i) {
        long x = i < a.size() ? a[i] : 0, y = i < b.size() ? b[i] : 0;
        if (x != y) return x < y ? -1 : 1;
      }
      return 0;
    };
    size_t n = std::max(a.size(), b.size());
    if (op == "==") return of((wild ? cmp(b.size()) : cmp(n)) == 0);
    if (op == "!=") return of((wild ? cmp(b.size()) : cmp(n)) != 0);
    if (op == "<") return of(cmp(n) < 0);
    if (op == "<=") return of(cmp(n) <= 0);
    if (op == ">") return of(cmp(n) > 0);
    if (op == ">=") return of(cmp(n) >= 0);
    if (op == "~=" && b.size() >= 2) return of(cmp(n) >= 0 && cmp(b.size() - 1) == 0);
    return Truth::unknown;
  }

  Truth expr() {
    if (t[at].kind == Token::lparen) {
      ++at;
      Truth v = any();
      if (t[at].kind != Token::rparen) bad = true;
      else ++at;
      return v;
    }
    // var op var; "not in" is two name tokens
    auto side = [&](bool& known, bool& version, bool& extra) -> std::string {
      const Token& x = t[at];
      known = true, version = false, extra = false;
      if (x.kind == Token::string) { ++at; return x.text; }
      if (x.kind != Token::name) { bad = true; return ""; }
      ++at;
      auto v = value(x.text, version, extra);
      known = v.has_value();
      return v.value_or("");
    };
    bool lk, lv, le, rk, rv, re;
    std::string l = side(lk, lv, le);
    std::string op;
    if (t[at].kind == Token::op) op = t[at++].text;
    else if (t[at].kind == Token::name && t[at].text == "in") op = "in", ++at;
    else if (t[at].kind == Token::name && t[at].text == "not" && t[at + 1].kind == Token::name && t[at + 1].text == "in") op = "not in", at += 2;
    else { bad = true; return Truth::unknown; }
    std::string r = side(rk, rv, re);
    if (bad) return Truth::unknown;
    if (le || re) return op == "!=" || op == "not in" ? Truth::yes : Truth::no;  // no extra is requested
    if (!lk || !rk) return Truth::unknown;
    return compare(l, op, r, lv || rv);
  }

  // `next` joined by `word` ("and", "or"), in three-valued logic: what decides the result (a false
  // for and, a true for or) wins, else an unknown leaves it unknown.
  Truth chain(const char* word, Truth (Parser::*next)(), Truth decides) {
    Truth v = (this->*next)();
    while (!bad && t[at].kind == Token::name && t[at].text == word) {
      ++at;
      Truth w = (this->*next)();
      v = v == decides || w == decides ? decides : v == Truth::unknown || w == Truth::unknown ? Truth::unknown : v;
    }
    return v;
  }
  Truth all() { return chain("and", &Parser::expr, Truth::no); }
  Truth any() { return chain("or", &Parser::all, Truth::yes); }
};

}  // namespace

Truth evaluate_marker(const std::string& expr, const MarkerEnv& env) {
  bool ok = false;
  auto tokens = tokenize(expr, ok);
  if (!ok) return Truth::unknown;
  Parser p{tokens, env};
  Truth v = p.any();
  if (p.bad || tokens[p.at].kind != Token::end) return Truth::unknown;
  return v;
}

}  // namespace cuslim
