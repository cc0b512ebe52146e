#include "core/yaml_schema.h"

#include <algorithm>
#include <regex>
#include <set>

namespace cuslim {

namespace schema {

SchemaNode string() { return {}; }

SchemaNode one_of(std::vector<std::string> allowed) {
  SchemaNode n;
  n.allowed = std::move(allowed);
  return n;
}

SchemaNode regex() {
  SchemaNode n;
  n.check = SchemaNode::Check::regex;
  return n;
}

SchemaNode env_entry() {
  SchemaNode n;
  n.check = SchemaNode::Check::env_entry;
  return n;
}

SchemaNode checked(std::string what, std::function<std::string(const std::string&)> problem) {
  SchemaNode n;
  n.value_check = std::move(problem);
  n.value_what = std::move(what);
  return n;
}

SchemaNode list(SchemaNode item) {
  SchemaNode n;
  n.type = SchemaNode::Type::list;
  n.item.push_back(std::move(item));
  return n;
}

SchemaNode one_or_list(SchemaNode item) {
  item.or_list = true;
  return item;
}

SchemaNode strings() { return list(string()); }

SchemaNode map(std::vector<SchemaField> fields, std::vector<std::string> needs_one_of) {
  SchemaNode n;
  n.type = SchemaNode::Type::map;
  n.fields = std::move(fields);
  n.needs_one_of = std::move(needs_one_of);
  return n;
}

SchemaNode dict(SchemaNode value) {
  SchemaNode n;
  n.type = SchemaNode::Type::dict;
  n.item.push_back(std::move(value));
  return n;
}

SchemaField required(std::string key, SchemaNode node) { return {std::move(key), std::move(node), true}; }
SchemaField optional(std::string key, SchemaNode node) { return {std::move(key), std::move(node), false}; }

}  // namespace schema

namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::vector<std::string> keys_of(const SchemaNode& s) {
  std::vector<std::string> keys;
  for (auto& f : s.fields) keys.push_back(f.key);
  return keys;
}

// The plural of describe(), for "a list of ...".
std::string plural(const SchemaNode& s) {
  switch (s.type) {
    case SchemaNode::Type::string: return s.check == SchemaNode::Check::env_entry ? "K=V strings" : "strings";
    case SchemaNode::Type::list: return "lists of " + plural(s.item[0]);
    case SchemaNode::Type::map:
    case SchemaNode::Type::dict: return "maps";
  }
  return "values";
}

// What the document holds, in words, for "expected X, got Y".
std::string got(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Scalar: return "'" + n.Scalar() + "'";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    default: return "nothing";
  }
}

std::string closest(const std::string& key, const std::vector<std::string>& known) {
  std::string best;
  size_t best_d = 3;  // suggest within an edit distance of 2
  for (auto& k : known)
    if (size_t d = edit_distance(key, k); d < best_d) best_d = d, best = k;
  return best;
}

class Walker {
 public:
  explicit Walker(const std::string& file) : file_(file) {}

  Status walk(const YAML::Node& n, const SchemaNode& s, const std::string& key, const YAML::Mark& near) const {
    // An empty value (`provides:`) is marked where the next token starts; its key's mark stands in.
    const YAML::Mark& m = n.IsNull() || n.Mark().is_null() ? near : n.Mark();
    switch (s.type) {
      case SchemaNode::Type::string: return s.or_list && n.IsSequence() ? items(n, s, key, m) : scalar(n, s, key, m);
      case SchemaNode::Type::list: return list(n, s, key, m);
      case SchemaNode::Type::map: return map(n, s, key, m);
      case SchemaNode::Type::dict: return dict(n, s, key, m);
    }
    return ok_status();
  }

 private:
  Error at(const YAML::Mark& m, const std::string& key, const std::string& what) const {
    std::string where = file_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": ";
    return bad_input(where + (key.empty() ? "" : key + ": ") + what);
  }

  Error wrong_type(const YAML::Node& n, const SchemaNode& s, const std::string& key, const YAML::Mark& m) const {
    return at(m, key, "expected " + describe(s) + ", got " + got(n));
  }

  Status scalar(const YAML::Node& n, const SchemaNode& s, const std::string& key, const YAML::Mark& m) const {
    if (!n.IsScalar()) return wrong_type(n, s, key, m);
    const std::string& v = n.Scalar();
    // "?": a plain scalar, "!": a quoted one; any other tag (!!binary, !!int, !local) would be read
    // as its text, not as what the tag says: refused.
    if (const std::string& tag = n.Tag(); tag != "?" && tag != "!" && tag != "tag:yaml.org,2002:str") {
      std::string shown = tag.rfind("tag:yaml.org,2002:", 0) == 0 ? "!!" + tag.substr(18) : tag;
      return at(m, key, "the YAML tag " + shown + " is not supported (expected " + describe(s) + ", written as plain text)");
    }
    if (s.allowed == std::vector<std::string>{"true", "false"} && n.Tag() == "!")  // "false" is a string, not a boolean
      return at(m, key, "'" + v + "' is quoted: write true or false without quotes");
    if (v.find('\0') != std::string::npos)  // YAML's "\0": no path, name or value can hold it (it would be cut there)
      return at(m, key, "'" + v.substr(0, v.find('\0')) + "\\0...': holds a NUL byte");
    if (!s.allowed.empty() && std::find(s.allowed.begin(), s.allowed.end(), v) == s.allowed.end())
      return at(m, key, "'" + v + "' is not allowed (allowed: " + joined(s.allowed) + ")");
    if (s.check == SchemaNode::Check::regex) {
      try {
        std::regex re(v, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        return at(m, key, "'" + v + "' is not a valid regex (ECMAScript): " + e.what());
      }
    }
    if (s.check == SchemaNode::Check::env_entry && !is_env_entry(v))
      return at(m, key, "'" + v + "' is not K=V (K: a letter or _, then letters, digits or _)");
    if (s.value_check)
      if (auto why = s.value_check(v); !why.empty()) return at(m, key, "'" + v + "': " + why + " (expected " + s.value_what + ")");
    return ok_status();
  }

  Status list(const YAML::Node& n, const SchemaNode& s, const std::string& key, const YAML::Mark& m) const {
    if (!n.IsSequence()) return wrong_type(n, s, key, m);
    size_t i = 0;
    for (const auto& item : n) CUSLIM_CHECK(walk(item, s.item[0], key + "[" + std::to_string(i++) + "]", m));
    return ok_status();
  }

  // A one_or_list() given as a list: each item as the one string it stands for.
  Status items(const YAML::Node& n, SchemaNode s, const std::string& key, const YAML::Mark& m) const {
    s.or_list = false;
    if (n.size() == 0) return at(m, key, "expected " + describe(s) + ", got an empty list");
    size_t i = 0;
    for (const auto& item : n) CUSLIM_CHECK(walk(item, s, key + "[" + std::to_string(i++) + "]", m));
    return ok_status();
  }

  // Keys are strings and appear once.
  Result<std::string> key_of(const YAML::Node& k, const std::string& key, std::set<std::string>& seen) const {
    if (!k.IsScalar()) return at(k.Mark(), key, "keys must be strings, got " + got(k));
    std::string sub = key.empty() ? k.Scalar() : key + "." + k.Scalar();
    if (!seen.insert(k.Scalar()).second) return at(k.Mark(), sub, "duplicate key");
    if (k.Scalar() == "<<" && k.Tag() == "?") return at(k.Mark(), sub, "YAML merge keys (<<) are not supported; write the keys out");
    return sub;
  }

  Status map(const YAML::Node& n, const SchemaNode& s, const std::string& key, const YAML::Mark& m) const {
    if (!n.IsMap()) return wrong_type(n, s, key, m);
    std::set<std::string> seen;
    for (const auto& kv : n) {
      CUSLIM_TRY(std::string sub, key_of(kv.first, key, seen));
      auto f = std::find_if(s.fields.begin(), s.fields.end(), [&](auto& f) { return f.key == kv.first.Scalar(); });
      if (f == s.fields.end()) {
        std::string near_key = closest(kv.first.Scalar(), keys_of(s));
        std::string hint = near_key.empty() ? "" : ", did you mean '" + near_key + "'?";
        return at(kv.first.Mark(), sub, "unknown key" + hint + " (allowed: " + joined(keys_of(s)) + ")");
      }
      CUSLIM_CHECK(walk(kv.second, f->node, sub, kv.first.Mark()));
    }
    for (auto& f : s.fields)
      if (f.required && !seen.count(f.key)) return at(m, key.empty() ? f.key : key + "." + f.key, "required");
    auto given = [&](const std::string& k) { return n[k] && !(n[k].IsSequence() && n[k].size() == 0); };
    if (!s.needs_one_of.empty() && std::none_of(s.needs_one_of.begin(), s.needs_one_of.end(), given))
      return at(m, key, "needs one of " + joined(s.needs_one_of));
    return ok_status();
  }

  Status dict(const YAML::Node& n, const SchemaNode& s, const std::string& key, const YAML::Mark& m) const {
    if (!n.IsMap()) return wrong_type(n, s, key, m);
    std::set<std::string> seen;
    for (const auto& kv : n) {
      CUSLIM_TRY(std::string sub, key_of(kv.first, key, seen));
      CUSLIM_CHECK(walk(kv.second, s.item[0], sub, kv.first.Mark()));
    }
    return ok_status();
  }

  const std::string& file_;
};

}  // namespace

std::string describe(const SchemaNode& s) {
  if (s.or_list) {
    SchemaNode one = s;
    one.or_list = false;
    return describe(one) + " (or a list of them)";
  }
  switch (s.type) {
    case SchemaNode::Type::string:
      if (!s.allowed.empty()) return "one of " + joined(s.allowed);
      if (s.check == SchemaNode::Check::regex) return "a regex";
      if (s.check == SchemaNode::Check::env_entry) return "a K=V string";
      if (s.value_check) return s.value_what;
      return "a string";
    case SchemaNode::Type::list: return "a list of " + plural(s.item[0]);
    case SchemaNode::Type::map: return "a map (keys: " + joined(keys_of(s)) + ")";
    case SchemaNode::Type::dict: return "a map of names to " + plural(s.item[0]);
  }
  return "a value";
}

Status validate(const YAML::Node& doc, const SchemaNode& s, const std::string& file) {
  return Walker(file).walk(doc, s, "", YAML::Mark());
}

bool yaml_has_second_document(std::string_view text) {
  bool content = false;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    std::string_view line = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    start = end == std::string_view::npos ? text.size() : end + 1;
    bool marker = line.starts_with("---") && (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
    if (marker && content) return true;
    size_t first = line.find_first_not_of(" \t\r");
    if (!marker && first != std::string_view::npos && line[first] != '#' && line[0] != '%') content = true;
  }
  return false;
}

bool is_env_entry(const std::string& s) {
  auto eq = s.find('=');
  if (eq == 0 || eq == std::string::npos) return false;
  auto word = [](char c) { return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (s[0] >= '0' && s[0] <= '9') return false;
  return std::all_of(s.begin(), s.begin() + eq, word);
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace cuslim
