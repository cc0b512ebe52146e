// JSON text from outside (image blobs, index.json, registry answers, credential files, traces),
// parsed with a nesting limit: a document nested deeper than any real one is refused before it is
// built (a deep value would overflow the stack when copied or destroyed), and a syntax error
// says where it is.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/error.h"

namespace cuslim {

inline constexpr int kMaxJsonDepth = 512;

// The document, or exit 3 "WHAT: not valid JSON: <why, at byte N>" / "nested deeper than 512 levels".
Result<nlohmann::json> parse_json(std::string_view text, const std::string& what);
// The document, or a discarded value (is_discarded()) on any error, the nesting limit included.
nlohmann::json parse_json_or_discarded(std::string_view text);

// A file name is bytes, JSON text is UTF-8: sets j[key] to the name (a byte that is not UTF-8
// reads as U+FFFD there) and, for such a name only, j[key + "_hex"] to its bytes in hex, so a
// reader can match it to the file exactly (as trace lines carry "path_hex").
void set_name_field(nlohmann::json& j, const std::string& key, const std::string& name);

}  // namespace cuslim
