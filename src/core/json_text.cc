#include "core/json_text.h"

#include "core/hex.h"
#include "image/utf8_names.h"

namespace cuslim {

namespace {

struct Parsed {
  nlohmann::json doc;
  bool too_deep = false;
  std::string syntax;  // the parser's message, "" when the text parsed
};

Parsed parse(std::string_view text) {
  Parsed p;
  // The callback sees each value's depth as it starts: past the limit it is dropped (never
  // built) and the document is refused below.
  auto limit = [&p](int depth, nlohmann::json::parse_event_t event, nlohmann::json&) {
    if ((event == nlohmann::json::parse_event_t::object_start || event == nlohmann::json::parse_event_t::array_start) && depth >= kMaxJsonDepth) {
      p.too_deep = true;
      return false;
    }
    return !p.too_deep;
  };
  try {
    p.doc = nlohmann::json::parse(text, limit, true);
  } catch (const nlohmann::json::exception& e) {
    p.syntax = e.what();
    if (auto at = p.syntax.find("] "); at != std::string::npos) p.syntax.erase(0, at + 2);  // "[json.exception.parse_error.101] "
  }
  return p;
}

}  // namespace

Result<nlohmann::json> parse_json(std::string_view text, const std::string& what) {
  auto p = parse(text);
  if (p.too_deep) return bad_input(what + ": JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  if (!p.syntax.empty()) return bad_input(what + ": not valid JSON: " + p.syntax);
  return std::move(p.doc);
}

nlohmann::json parse_json_or_discarded(std::string_view text) {
  auto p = parse(text);
  if (p.too_deep || !p.syntax.empty()) return nlohmann::json(nlohmann::json::value_t::discarded);
  return std::move(p.doc);
}

void set_name_field(nlohmann::json& j, const std::string& key, const std::string& name) {
  j[key] = name;
  if (!valid_utf8(name)) j[key + "_hex"] = to_hex(name);
}

}  // namespace cuslim
