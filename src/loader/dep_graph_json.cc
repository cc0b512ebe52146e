#include "loader/dep_graph_json.h"

#include "core/json_text.h"

namespace cuslim {

nlohmann::json to_json(const DepGraph& g) {
  using nlohmann::json;
  json objects = json::array();
  for (auto& o : g.objects) {
    json needed = o.needed;
    json obj = {
        {"path", o.path ? json(*o.path) : json(nullptr)},
        {"realpath", o.path ? json(o.realpath) : json(nullptr)},
        {"name", o.name},
        {"soname", o.soname ? json(*o.soname) : json(nullptr)},
        {"class", to_string(o.cls)},
        {"rule", o.rule},
        {"how", std::string(how_name(o.how))},
        {"needed", needed},
        {"parents", o.parents},
        {"size", o.size},
    };
    if (o.path) set_name_field(obj, "path", *o.path), set_name_field(obj, "realpath", o.realpath);
    if (!o.also_at.empty()) obj["also_at"] = o.also_at;  // other paths the same file is looked up by
    objects.push_back(std::move(obj));
  }
  json missing = json::array();
  for (auto& m : g.missing) {
    missing.push_back({{"name", m.name}, {"needed_by", m.needed_by}, {"tried", m.tried}});
    if (!m.refused.empty()) missing.back()["refused"] = m.refused;  // found, and the loader would refuse it
  }
  json unmet = json::array();
  for (auto& m : g.dlopen_unmet) unmet.push_back({{"name", m.name}, {"needed_by", m.needed_by}, {"tried", m.tried}});
  json passed_over = json::array();
  for (auto& p : g.passed_over) passed_over.push_back({{"name", p.name}, {"needed_by", p.needed_by}, {"found", p.found}, {"why", p.why}});
  return {{"roots", g.roots}, {"objects", objects}, {"missing", missing}, {"dlopen_unmet", unmet}, {"passed_over", passed_over}};
}

}  // namespace cuslim
