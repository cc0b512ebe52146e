#include "image/json_fields.h"

namespace cuslim {

using nlohmann::json;

const json* JsonFields::field(std::string_view key) const {
  if (!j_.is_object()) return nullptr;
  auto it = j_.find(std::string(key));
  if (it == j_.end() || it->is_null()) return nullptr;
  return &*it;
}

Error JsonFields::wrong(std::string_view key, const char* expected, const json& got) const {
  return bad_input(at(key) + ": expected " + expected + ", got " + got.type_name());
}

Result<std::string> JsonFields::str(std::string_view key, std::string fallback) const {
  auto* f = field(key);
  if (!f) return fallback;
  if (!f->is_string()) return wrong(key, "a string", *f);
  return f->get<std::string>();
}

Result<uint64_t> JsonFields::u64(std::string_view key, uint64_t fallback) const {
  auto* f = field(key);
  if (!f) return fallback;
  if (!f->is_number_unsigned() && !(f->is_number_integer() && f->get<int64_t>() >= 0)) return wrong(key, "a non-negative integer", *f);
  return f->get<uint64_t>();
}

Result<std::vector<std::string>> JsonFields::strings(std::string_view key) const {
  std::vector<std::string> out;
  auto* f = field(key);
  if (!f) return out;
  if (!f->is_array()) return wrong(key, "an array of strings", *f);
  for (size_t i = 0; i < f->size(); ++i) {
    auto& e = (*f)[i];
    if (!e.is_string()) return bad_input(at(key) + "[" + std::to_string(i) + "]: expected a string, got " + e.type_name());
    out.push_back(e.get<std::string>());
  }
  return out;
}

Result<std::map<std::string, std::string>> JsonFields::string_map(std::string_view key) const {
  std::map<std::string, std::string> out;
  auto* f = field(key);
  if (!f) return out;
  if (!f->is_object()) return wrong(key, "an object of strings", *f);
  for (auto& [k, v] : f->items()) {
    if (!v.is_string()) return bad_input(at(key) + "." + k + ": expected a string, got " + v.type_name());
    out.emplace(k, v.get<std::string>());
  }
  return out;
}

Result<json> JsonFields::object(std::string_view key) const {
  auto* f = field(key);
  if (!f) return json::object();
  if (!f->is_object()) return wrong(key, "an object", *f);
  return *f;
}

Result<json> JsonFields::array(std::string_view key) const {
  auto* f = field(key);
  if (!f) return json::array();
  if (!f->is_array()) return wrong(key, "an array", *f);
  return *f;
}

Status expect_object(const json& j, const std::string& where) {
  if (!j.is_object()) return bad_input(where + ": expected an object, got " + std::string(j.type_name()));
  return ok_status();
}

}  // namespace cuslim
