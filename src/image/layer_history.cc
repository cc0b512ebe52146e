#include "image/layer_history.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace cuslim {

std::optional<std::string> layer_group_from_history(const std::string& created_by) {
  if (created_by.rfind("cuslim ", 0) != 0 || created_by.find(": input layer ") != std::string::npos) return std::nullopt;
  auto at = created_by.rfind(": layer ");
  if (at == std::string::npos) return "image";
  auto name = created_by.substr(at + 8);
  bool word = !name.empty() && std::all_of(name.begin(), name.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.';
  });
  return word ? std::optional<std::string>(name) : std::nullopt;
}

std::vector<std::optional<std::string>> layer_groups_from_history(const std::string& history_json, size_t layers) {
  std::vector<std::optional<std::string>> out(layers);
  auto h = nlohmann::json::parse(history_json, nullptr, false);
  if (!h.is_array()) return out;
  std::vector<std::string> created_by;
  for (auto& e : h) {
    if (!e.is_object()) continue;
    auto empty = e.find("empty_layer");
    if (empty != e.end() && empty->is_boolean() && empty->get<bool>()) continue;
    auto c = e.find("created_by");
    created_by.push_back(c != e.end() && c->is_string() ? c->get<std::string>() : "");
  }
  if (created_by.size() != layers) return out;
  for (size_t i = 0; i < layers; ++i) out[i] = layer_group_from_history(created_by[i]);
  return out;
}

}  // namespace cuslim
