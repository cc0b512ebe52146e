// Typed reads of untrusted JSON (an image's index, manifests, config): a field of the wrong type
// is an input error naming the file and the field ("config.json: config.Env[0]: expected a
// string, got number"), never an exception. Absent and null fields read as empty.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace cuslim {

class JsonFields {
 public:
  // `where`: the file and the path to this value, e.g. "blobs/sha256/ab..: config".
  JsonFields(const nlohmann::json& j, std::string where) : j_(j), where_(std::move(where)) {}

  Result<std::string> str(std::string_view key, std::string fallback = "") const;
  Result<uint64_t> u64(std::string_view key, uint64_t fallback = 0) const;
  Result<std::vector<std::string>> strings(std::string_view key) const;
  Result<std::map<std::string, std::string>> string_map(std::string_view key) const;
  Result<nlohmann::json> object(std::string_view key) const;  // {} when absent
  Result<nlohmann::json> array(std::string_view key) const;   // [] when absent
  const std::string& where() const { return where_; }
  bool has(std::string_view key) const { return field(key) != nullptr; }
  // "index.json: manifests" for a file's top level, "index.json: manifests[0].size" below it.
  std::string at(std::string_view key) const {
    return where_ + (where_.find(": ") == std::string::npos ? ": " : ".") + std::string(key);
  }

 private:
  const nlohmann::json* field(std::string_view key) const;  // nullptr when absent or null
  Error wrong(std::string_view key, const char* expected, const nlohmann::json& got) const;

  const nlohmann::json& j_;
  std::string where_;
};

// A JSON value that must be an object (the document itself, an array element).
Status expect_object(const nlohmann::json& j, const std::string& where);

}  // namespace cuslim
