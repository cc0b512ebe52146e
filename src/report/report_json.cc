#include "report/report_json.h"

#include "bundle/bundle_report.h"

namespace cuslim {

namespace {

nlohmann::json layer_json(const LayerBlob& l, const char* from) {
  return {{"digest", l.digest.str()}, {"diff_id", l.diff_id.str()}, {"stored_bytes", l.size}, {"uncompressed_bytes", l.uncompressed}, {"from", from},
          {"group", nullptr}};  // named on the layers cuslim wrote (or, in reports, whose history cuslim wrote)
}

// What every report has about an image's contents: files, bytes, classes, groups, layers.
void add_contents(nlohmann::json& j, const ImageContents& c) {
  j["files"] = c.files;
  j["bytes"] = c.bytes;
  j["bytes_by_class"] = nlohmann::json::object();
  for (auto& [cls, b] : c.bytes_by_class) j["bytes_by_class"][to_string(cls)] = b;
  j["image_kind"] = c.kind;
  j["layers"] = nlohmann::json::array();
  uint64_t stored = 0;
  for (size_t i = 0; i < c.layers.size(); ++i) {
    auto e = layer_json(c.layers[i], "image");
    if (i < c.layer_groups.size() && c.layer_groups[i]) e["group"] = *c.layer_groups[i];  // as the history names it
    j["layers"].push_back(e), stored += c.layers[i].size;
  }
  if (!c.layers.empty()) j["stored_bytes"] = stored;
  if (!c.manifest.empty()) j["manifest"] = c.manifest;
  j["groups"] = to_json(c.groups);
}

}  // namespace

nlohmann::json bundle_report(const BundleResult& r, const std::string& command, const std::string& out) {
  auto j = bundle_report_json(r);
  j["command"] = command;
  j["out"] = out;
  j["layers"] = nlohmann::json::array();
  uint64_t stored = 0;
  for (auto& l : r.base_layers) j["layers"].push_back(layer_json(l, "base")), stored += l.size;
  for (size_t i = 0; i < r.reused_layers.size(); ++i) {  // slim: kept whole, with the group the input's history gave them
    auto e = layer_json(r.reused_layers[i], "input");
    if (i < r.reused_groups.size() && r.reused_groups[i]) e["group"] = *r.reused_groups[i];
    j["layers"].push_back(e), stored += r.reused_layers[i].size;
  }
  for (auto& [group, l] : r.layers) {  // one, or --layers auto's groups
    auto e = layer_json(l, "cuslim");
    e["group"] = group;
    j["layers"].push_back(e), stored += l.size;
  }
  if (r.layers.empty() && r.layer) {  // a tar output: its one layer
    auto e = layer_json(*r.layer, "cuslim");
    e["group"] = "image";
    j["layers"].push_back(e), stored += r.layer->size;
  }
  if (!j["layers"].empty()) j["stored_bytes"] = stored;  // the whole image, also when every layer was kept whole from the input
  if (!r.groups.empty()) j["groups"] = to_json(r.groups);
  return j;
}

nlohmann::json slim_report(const SlimResult& s, const std::string& input, const std::string& out) {
  auto j = bundle_report(s.bundle, "slim", out);
  j["input"] = input;
  for (auto& [c, n] : s.before) j["before"][to_string(c)] = {{"files", n.files}, {"bytes", n.bytes}};
  j["dropped_driver"] = s.selection.dropped_driver;
  j["dropped_files"] = s.dropped.files, j["dropped_bytes"] = s.dropped.bytes;
  j["notes"] = s.notes;
  j["warnings"] = s.warnings;  // slim's own (driver files dropped, the probe's exit) and the plan's, as stderr says them
  return j;
}

nlohmann::json verify_report(const VerifyReport& v, const ImageContents& c, const std::string& image) {
  auto j = v.to_json();
  j["command"] = "verify";
  j["input"] = image;
  add_contents(j, c);
  return j;
}

nlohmann::json image_report(const ImageContents& c, const std::string& image) {
  nlohmann::json j{{"command", "report"}, {"input", image}, {"entrypoint", c.entrypoint}};
  add_contents(j, c);
  return j;
}

}  // namespace cuslim
