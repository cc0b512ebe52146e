#include "report/html_report.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

#include "core/object_class.h"
#include "core/plural.h"
#include "core/units.h"
#include "prune/gpu_arch.h"

namespace cuslim {

namespace {

// A share rounded to the nearest tenth of a percent ("88.9%"), never truncated.
std::string share_text(uint64_t part, uint64_t total) {
  if (!total) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * static_cast<double>(part) / static_cast<double>(total));
  return buf;
}

using nlohmann::json;

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  return o;
}

uint64_t u64(const json& j, const char* key) { return j.contains(key) && j[key].is_number() ? j[key].get<uint64_t>() : 0; }
std::string str(const json& j, const char* key) { return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : ""; }

// The report's JSON inside <script type="application/json">: invalid UTF-8 replaced, and no
// "<" that could close the element.
std::string embedded_json(const json& j) {
  std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace), o;
  o.reserve(s.size());
  for (char c : s) c == '<' ? o += "\\u003c" : o += c;
  return o;
}

const char* class_color(const std::string& cls) {
  static const std::map<std::string, const char*> colors{{"app", "#4e79a7"}, {"cuda", "#59a14f"}, {"driver", "#e15759"},
                                                         {"jit", "#f28e2b"}, {"system", "#9c755f"}, {"toolkit", "#b07aa1"}};
  auto it = colors.find(cls);
  return it == colors.end() ? "#777" : it->second;
}

void card(std::ostream& o, const std::string& value, const std::string& label, const char* extra = "") {
  o << "<div class=\"card " << extra << "\"><b>" << esc(value) << "</b><span>" << esc(label) << "</span></div>";
}

void summary(std::ostream& o, const json& r) {
  o << "<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">";
  // On a base image the files and bytes are the layers cuslim wrote; the stored size is the whole
  // image's: the base's share is said, so the cards do not read as one scope.
  uint64_t base_stored = 0;
  if (r.contains("layers") && r["layers"].is_array())
    for (auto& l : r["layers"])
      if (str(l, "from") == "base") base_stored += u64(l, "stored_bytes");
  std::string ours = base_stored ? " (cuslim's layers; the base's files apart)" : "";
  card(o, std::to_string(u64(r, "files")), "files" + ours);
  card(o, human_bytes(u64(r, "bytes")), "unpacked" + ours);
  if (r.contains("stored_bytes"))
    card(o, human_bytes(u64(r, "stored_bytes")),
         base_stored ? "stored, the whole image (" + human_bytes(base_stored) + " of it the base's layers)" : "stored (compressed layers)");
  if (r.contains("dropped_bytes")) card(o, human_bytes(u64(r, "dropped_bytes")), "dropped by slim (" + count_of(u64(r, "dropped_files"), "file") + ")");
  if (r.contains("before")) {
    uint64_t before = 0;
    for (auto& [c, n] : r["before"].items()) before += u64(n, "bytes");
    card(o, human_bytes(before), "input image, unpacked");
  }
  if (r.contains("ok")) card(o, r["ok"].get<bool>() ? "OK" : "FAILED", "verify", r["ok"].get<bool>() ? "pass" : "fail");
  if (r.contains("gpu_prune")) card(o, human_bytes(u64(r["gpu_prune"], "bytes_zeroed")), "GPU code zeroed (--gpu-arch)");
  if (r.contains("left_to_base") && u64(r, "left_to_base")) card(o, std::to_string(u64(r, "left_to_base")), "files left to the base");
  o << "</div>";
  if (r.contains("manifest")) o << "<p class=\"note\">manifest <code>" << esc(str(r, "manifest")) << "</code></p>";
  o << "</section>\n";
}

void classes(std::ostream& o, const json& r) {
  if (!r.contains("bytes_by_class")) return;
  uint64_t total = std::max<uint64_t>(u64(r, "bytes"), 1);
  bool slim = r.contains("before");
  o << "<section id=\"classes\"><h2>Bytes by class</h2><div class=\"bar\">";
  for (auto& [c, b] : r["bytes_by_class"].items())
    o << "<div style=\"width:" << 100.0 * b.get<double>() / static_cast<double>(total) << "%;background:" << class_color(c) << "\" title=\"" << esc(c)
      << " " << human_bytes(b.get<uint64_t>()) << "\"></div>";
  o << "</div><table><tr><th>class</th><th class=\"num\">" << (slim ? "kept" : "bytes") << "</th><th class=\"num\">share</th>";
  if (slim) o << "<th class=\"num\">in the input</th><th class=\"num\">dropped</th>";
  o << "</tr>";
  std::map<std::string, uint64_t> rows;
  for (auto& [c, b] : r["bytes_by_class"].items()) rows[c] = b.get<uint64_t>();
  std::map<std::string, uint64_t> dropped;  // what slim left out, by class: the dropped groups (the card's total)
  if (slim) {
    for (auto& [c, n] : r["before"].items()) rows.emplace(c, 0);
    if (r.contains("groups"))
      for (auto& g : r["groups"])
        if (g.contains("kept") && g["kept"].is_boolean() && !g["kept"].get<bool>() && g.contains("class") && g["class"].is_string())
          dropped[g["class"].get<std::string>()] += u64(g, "bytes");
  }
  for (auto& [c, b] : rows) {
    o << "<tr><td><span class=\"swatch\" style=\"background:" << class_color(c) << "\"></span>" << esc(c) << "</td><td class=\"num\">" << human_bytes(b)
      << "</td><td class=\"num\">" << share_text(b, total) << "</td>";
    if (slim) {
      uint64_t before = r["before"].contains(c) ? u64(r["before"][c], "bytes") : 0;
      o << "<td class=\"num\">" << human_bytes(before) << "</td><td class=\"num\">" << human_bytes(dropped[c]) << "</td>";
    }
    o << "</tr>";
  }
  o << "</table></section>\n";
}

void treemaps(std::ostream& o, const json& r) {
  o << "<section id=\"treemap-section\"><h2>What the image holds: class → group → file (unpacked bytes)</h2>"
       "<div class=\"legend\">";
  for (auto c : kObjectClasses) o << "<span><span class=\"swatch\" style=\"background:" << class_color(to_string(c)) << "\"></span>" << to_string(c) << "</span>";
  o << "</div><div class=\"tm-bar\" id=\"treemap-bar\"></div><div id=\"treemap\" class=\"treemap\"></div>"
       "<noscript><p class=\"note\">The treemap needs JavaScript; the tables below hold the same data.</p></noscript>";
  if (!r.contains("groups")) o << "<p class=\"note\">No groups in this report.</p>";
  o << "</section>\n";
  if (r.contains("dropped_bytes"))
    o << "<section id=\"dropped-section\"><h2>What slim dropped: " << human_bytes(u64(r, "dropped_bytes"))
      << "</h2><div class=\"tm-bar\" id=\"dropped-treemap-bar\"></div><div id=\"dropped-treemap\" class=\"treemap\"></div></section>\n";
}

void groups(std::ostream& o, const json& r) {
  if (!r.contains("groups")) return;
  std::vector<const json*> rows;
  for (auto& g : r["groups"]) rows.push_back(&g);
  std::stable_sort(rows.begin(), rows.end(), [](auto* a, auto* b) { return u64(*a, "bytes") > u64(*b, "bytes"); });
  o << "<section id=\"groups\"><h2>Groups" << (r.contains("dropped_bytes") ? ", kept and dropped, and why" : "") << "</h2>"
    << "<table><tr><th></th><th>class</th><th>group</th><th>kind</th><th class=\"num\">files</th><th class=\"num\">bytes</th><th>reason</th></tr>";
  size_t shown = 0;
  for (auto* g : rows) {
    if (++shown > 400) break;
    bool kept = (*g).value("kept", true);
    std::string cls = str(*g, "class");
    o << "<tr class=\"" << (kept ? "kept" : "dropped") << "\"><td>" << (kept ? "kept" : "dropped") << "</td><td class=\"cls\"><span class=\"swatch\" style=\"background:"
      << class_color(cls) << "\"></span>" << esc(cls) << "</td><td class=\"group\">" << esc(str(*g, "group")) << "</td><td>" << esc(str(*g, "kind"))
      << "</td><td class=\"num\">" << u64(*g, "files") << "</td><td class=\"num\">" << human_bytes(u64(*g, "bytes")) << "</td><td>"
      << esc(str(*g, "reason")) << "</td></tr>";
  }
  o << "</table>";
  if (rows.size() > 400) o << "<p class=\"note\">" << rows.size() - 400 << " smaller groups are in the JSON report.</p>";
  o << "</section>\n";
}

void checks(std::ostream& o, const json& r) {
  if (!r.contains("checks")) return;
  o << "<section id=\"checks\"><h2>Checks</h2><table><tr><th>status</th><th>check</th><th>detail</th></tr>";
  for (auto& c : r["checks"]) {
    std::string st = str(c, "status");
    o << "<tr class=\"check check-" << esc(st) << "\"><td class=\"status-" << esc(st) << "\">" << esc(st) << "</td><td>" << esc(str(c, "name"))
      << "</td><td>" << esc(str(c, "detail")) << "</td></tr>";
  }
  o << "</table></section>\n";
}

// A pruned file's note: NVIDIA's (once), why it was shipped whole, what had no code for the GPUs.
std::string note(const json& f) {
  std::string why = str(f, "why"), n = f.value("nvidia", false) && !why.starts_with("NVIDIA library") ? "NVIDIA library" : "";
  auto add = [&](const std::string& s) { n += (n.empty() || s.empty() ? "" : "; ") + s; };
  add(why);
  if (uint64_t c = u64(f, "containers_without_code")) add(std::to_string(c) + " containers without code for these GPUs kept their smallest entry");
  return n;
}

void gpu_prune(std::ostream& o, const json& r) {
  if (!r.contains("gpu_prune")) return;
  auto& p = r["gpu_prune"];
  std::string archs;
  for (auto& a : p["archs"]) archs += (archs.empty() ? "sm_" : ", sm_") + std::to_string(a.get<unsigned>());
  o << "<section id=\"gpu-prune\"><h2>GPU code pruned for " << esc(archs) << ": " << human_bytes(u64(p, "bytes_zeroed")) << " zeroed</h2>";
  if (p.contains("layer_stored_bytes_without_pruning"))
    o << "<p>stored layer " << human_bytes(u64(p, "layer_stored_bytes")) << " (without pruning about "
      << human_bytes(u64(p, "layer_stored_bytes_without_pruning")) << ")</p>";
  uint64_t untouched = 0, no_code = 0;  // as the text summary says them
  for (auto& f : p["files"]) {
    no_code += u64(f, "containers_without_code");
    if (f.value("pruned", false) || !f.value("nvidia", false) || str(f, "why").find("--no-prune-nvidia") == std::string::npos)
      if (f.contains("not_indexed"))
        for (auto& e : f["not_indexed"]) untouched += u64(e, "bytes");
  }
  if (untouched) o << "<p id=\"gpu-prune-untouched\">" << human_bytes(untouched) << " in library-private stores (.ldata) left untouched</p>";
  if (no_code)
    o << "<p id=\"gpu-prune-no-code\">" << no_code << " containers had no code for these GPUs: each kept its smallest entry</p>";
  uint64_t most = 1;
  if (p.contains("zeroed_by_arch"))
    for (auto& [a, b] : p["zeroed_by_arch"].items()) most = std::max(most, b.get<uint64_t>());
  o << "<table id=\"gpu-prune-archs\"><tr><th>arch removed</th><th class=\"num\">bytes</th><th></th></tr>";
  if (p.contains("zeroed_by_arch"))
  {
    std::vector<std::pair<std::string, uint64_t>> archs;  // by number: sm_80 before sm_100
    for (auto& [a, b] : p["zeroed_by_arch"].items()) archs.emplace_back(a, b.get<uint64_t>());
    std::sort(archs.begin(), archs.end(), [](auto& x, auto& y) { return arch_name_less(x.first, y.first); });
    for (auto& [a, b] : archs)
      o << "<tr><td>" << esc(a) << "</td><td class=\"num\">" << human_bytes(b) << "</td><td><span class=\"hbar\" style=\"width:"
        << 1 + 300 * b / most << "px\"></span></td></tr>";
  }
  o << "</table><h2>Files</h2><table><tr><th>file</th><th class=\"num\">size</th><th class=\"num\">zeroed</th><th class=\"num\">stored before → after</th><th>note</th></tr>";
  std::vector<const json*> files;
  for (auto& f : p["files"]) files.push_back(&f);
  std::stable_sort(files.begin(), files.end(), [](auto* a, auto* b) { return u64(*a, "bytes_zeroed") > u64(*b, "bytes_zeroed"); });
  for (size_t i = 0; i < files.size() && i < 60; ++i) {
    auto& f = *files[i];
    o << "<tr><td class=\"path\">" << esc(str(f, "path")) << "</td><td class=\"num\">" << human_bytes(u64(f, "size")) << "</td><td class=\"num\">"
      << human_bytes(u64(f, "bytes_zeroed")) << "</td><td class=\"num\">"
      << (f.contains("stored_before") ? human_bytes(u64(f, "stored_before")) + " → " + human_bytes(u64(f, "stored_after")) : "") << "</td><td>"
      << esc(note(f)) << "</td></tr>";
  }
  o << "</table></section>\n";
}

void layers(std::ostream& o, const json& r) {
  if (!r.contains("layers") || r["layers"].empty()) return;
  o << "<section id=\"layers\"><h2>Layers</h2><table><tr><th>digest</th><th>group</th><th>from</th><th class=\"num\">stored</th><th class=\"num\">unpacked tar</th></tr>";
  for (auto& l : r["layers"])
    o << "<tr><td class=\"path\">" << esc(str(l, "digest")) << "</td><td class=\"group\">" << esc(str(l, "group")) << "</td><td>" << esc(str(l, "from")) << "</td><td class=\"num\">"
      << human_bytes(u64(l, "stored_bytes")) << "</td><td class=\"num\">" << human_bytes(u64(l, "uncompressed_bytes")) << "</td></tr>";
  o << "</table></section>\n";
}

void warnings(std::ostream& o, const json& r) {
  std::vector<std::string> w;
  for (const char* key : {"warnings", "notes"})
    if (r.contains(key))
      for (auto& x : r[key]) w.push_back(x.get<std::string>());
  if (r.contains("gpu_prune"))
    for (auto& x : r["gpu_prune"]["warnings"]) w.push_back(x.get<std::string>());
  if (w.empty()) return;
  o << "<section id=\"warnings\"><h2>Warnings and notes</h2><ul>";
  for (size_t i = 0; i < w.size() && i < 200; ++i) o << "<li>" << esc(w[i]) << "</li>";
  o << "</ul></section>\n";
}

}  // namespace

std::string render_html(const json& r) {
  std::ostringstream o;
  std::string command = str(r, "command"), what = str(r, "input");
  if (r.contains("out")) what = what.empty() ? str(r, "out") : what + " → " + str(r, "out");
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">"
    << "<title>cuslim " << esc(command) << ": " << esc(what) << "</title><style>" << kReportCss << "</style></head><body>\n"
    << "<header><h1 id=\"title\">cuslim " << esc(command) << "</h1><div class=\"sub\">" << esc(what) << "</div></header><main>\n";
  summary(o, r);
  classes(o, r);
  treemaps(o, r);
  checks(o, r);
  gpu_prune(o, r);
  groups(o, r);
  layers(o, r);
  warnings(o, r);
  o << "</main><footer>Sizes in SI units (1 MB = 10<sup>6</sup> bytes). Treemap areas are unpacked bytes; a box's stored size is estimated with its image's layers' compression ratio (≈), each layer's exact one is in the layers table. "
       "Made by cuslim; this page loads nothing from the network.</footer>\n"
    << "<script type=\"application/json\" id=\"report-data\">" << embedded_json(r) << "</script>\n<script>" << kReportJs << "</script>\n</body></html>\n";
  return o.str();
}

}  // namespace cuslim
