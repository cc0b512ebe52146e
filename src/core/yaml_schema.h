// A declarative schema for the YAML files cuslim reads (profiles, image specs): for each node
// what it may be (a string, an enum, a regex, a K=V entry, a list, a map with known keys, a map
// with free keys), checked in one walk before any parser reads the document. Errors read
//   FILE:LINE:COL: KEY: problem (allowed: a, b, c)
// with KEY the path to the node (classify[2].class); an unknown key gets the closest known one.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace cuslim {

struct SchemaField;

struct SchemaNode {
  enum class Type { string, list, map, dict };
  enum class Check { none, regex, env_entry };

  Type type = Type::string;
  std::vector<std::string> allowed;          // string: the only values accepted (empty: any)
  Check check = Check::none;                 // string: regex compiles (ECMAScript); K=V
  std::vector<SchemaNode> item;              // list: each element; dict: each value (one entry)
  std::vector<SchemaField> fields;           // map: the keys it may have, in documentation order
  std::vector<std::string> needs_one_of;     // map: at least one of these keys is given (not an empty list)
  // string: a value rule of the caller's ("" when the value is fine, else why not) and its words
  std::function<std::string(const std::string&)> value_check;
  std::string value_what;
  bool or_list = false;  // string: a list of such strings is taken too (`gpu_arch: [80, 90]`)
};

struct SchemaField {
  std::string key;
  SchemaNode node;
  bool required = false;
};

// Builders, so a schema reads as data:
//   map({required("name", string()), optional("classify", list(map({...}, {"names", "paths"})))})
namespace schema {
SchemaNode string();
SchemaNode one_of(std::vector<std::string> allowed);
SchemaNode regex();
SchemaNode env_entry();
// A string the caller checks: `problem` says why a value is wrong ("" when it is fine); `what`
// names what it must be ("a driver version like 580.65.06").
SchemaNode checked(std::string what, std::function<std::string(const std::string&)> problem);
SchemaNode list(SchemaNode item);
SchemaNode one_or_list(SchemaNode item);  // a string as `item`, or a list of them
SchemaNode strings();  // list(string())
SchemaNode map(std::vector<SchemaField> fields, std::vector<std::string> needs_one_of = {});
SchemaNode dict(SchemaNode value);  // free keys (strings), each value a `value`
SchemaField required(std::string key, SchemaNode node);
SchemaField optional(std::string key, SchemaNode node);
}  // namespace schema

// What a node of this schema is, in words ("a list of strings", "one of gzip, zstd").
std::string describe(const SchemaNode& s);

// Walks `doc` against `s`; the first problem is an exit-3 error naming FILE:LINE:COL and the key.
Status validate(const YAML::Node& doc, const SchemaNode& s, const std::string& file);

// Whether the text holds a second YAML document: a `---` marker at column 0 after content (YAML
// puts a document marker only there). yaml-cpp's Load() reads the first document and ignores the
// rest in silence; its LoadAll() can loop without end on malformed text (found by fuzzing), so
// this is how several documents are refused.
bool yaml_has_second_document(std::string_view text);

// K=V with K of [A-Za-z_][A-Za-z0-9_]* (an environment entry as exec takes it).
bool is_env_entry(const std::string& s);

// Levenshtein distance (the "did you mean" of unknown keys).
size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace cuslim
