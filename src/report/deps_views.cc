#include "report/deps_views.h"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "core/hex.h"
#include "core/terminal_text.h"
#include "image/utf8_names.h"
#include "loader/dep_graph_json.h"

namespace cuslim {

namespace {

// A name as UTF-8 text: unchanged when it is UTF-8, else each byte from 0x80 up as \xNN.
std::string bytes_escaped(const std::string& s) {
  if (valid_utf8(s)) return s;
  std::string out;
  for (char c : s) out += static_cast<unsigned char>(c) >= 0x80 ? "\\x" + to_hex(std::string_view(&c, 1)) : std::string(1, c);
  return out;
}

struct Adjacency {
  std::vector<std::vector<const DepEdge*>> out;
  std::map<std::string, std::vector<const MissingDep*>> missing;  // by needed_by
  explicit Adjacency(const DepGraph& g) : out(g.objects.size()) {
    for (auto& e : g.edges) out[e.from].push_back(&e);
    for (auto& m : g.missing) missing[m.needed_by].push_back(&m);
  }
};

// Class markers: a letter in brackets everywhere, a colour on a TTY.
const char* class_color(ObjectClass cls) {
  if (cls == ObjectClass::driver) return "\033[35m";
  if (cls == ObjectClass::forward_compat) return "\033[95m";
  if (cls == ObjectClass::system) return "\033[2m";
  if (cls == ObjectClass::cuda) return "\033[32m";
  if (cls == ObjectClass::toolkit) return "\033[31m";
  return "\033[36m";
}

std::string label_of(const DepObject& o) { return o.path ? *o.path : o.name; }

// The deepest level the tree view draws: a chain of thousands of objects (a hostile or generated
// one) would recurse past the stack and print an indent per level on every line below it.
constexpr int kTreeDepthLimit = 1000;

struct TreePrinter {
  const DepGraph& g;
  const Adjacency& adj;
  std::string& out;  // appended to, written once: thousands of small stream inserts are slow
  const DepsViewOptions& opt;
  std::set<size_t> shown;
  std::set<size_t> cut_only;  // shown only where --max-depth cut it: a shallower meeting expands it
  std::set<std::pair<std::string, std::vector<std::string>>> missing_shown;  // name + places tried

  bool folds(const DepObject& o) const { return opt.verbosity == 0 && (o.cls == ObjectClass::system || o.cls == ObjectClass::driver); }
  int depth_limit() const { return opt.max_depth > 0 ? std::min(opt.max_depth, kTreeDepthLimit) : kTreeDepthLimit; }
  bool limit_cut = false;  // cut by kTreeDepthLimit, not by the user's --max-depth

  void line(const std::string& prefix, const std::string& name, const DepObject& o, How how, bool repeat, bool cut) {
    out += prefix;
    if (opt.color) out += class_color(o.cls);
    out += terminal_safe_field(name);
    if (opt.color) out += "\033[0m";
    out += " [";
    out += how_name(how);
    out += "]";
    if (o.cls != ObjectClass::app) out += " {" + to_string(o.cls) + "}";
    if (!o.path) out += " (not on this host)";
    else if (name != *o.path) out += " " + terminal_safe_field(*o.path);
    if (repeat) out += " (see above)";
    if (cut) out += " ...";
    out += "\n";
  }

  // The system and driver children first met here, on one line: "system: libc.so.6, libm.so.6".
  void folded_line(const std::string& prefix, const std::vector<const DepEdge*>& edges) {
    std::string text;
    for (auto cls : {ObjectClass::system, ObjectClass::driver}) {
      std::string names;
      for (auto* e : edges)
        if (g.objects[e->to].cls == cls) names += (names.empty() ? "" : ", ") + e->name;
      if (!names.empty()) text += (text.empty() ? "" : "; ") + to_string(cls) + ": " + names;
    }
    out += prefix + (opt.color ? "\033[2m" : "") + text + " (-v shows them)" + (opt.color ? "\033[0m" : "") + "\n";
  }

  // One printed line below an object: a child, the folded line, or a missing name. Built first
  // (the DFS decides where each object is shown), then printed, so "└──" lands on the last line.
  struct Entry {
    const DepEdge* edge = nullptr;
    bool repeat = false, cut = false;
    std::vector<Entry> kids;
    std::vector<const DepEdge*> folded;
    const MissingDep* missing = nullptr;
  };

  std::vector<Entry> build(size_t i, int depth) {
    std::vector<Entry> out;
    std::vector<const DepEdge*> folded;
    for (auto* e : adj.out[i]) {
      bool deeper = depth + 1 >= depth_limit() && !adj.out[e->to].empty();
      if (!deeper && cut_only.erase(e->to)) shown.erase(e->to);  // cut before: here its children fit
      bool seen = shown.count(e->to) > 0;
      if (seen && opt.verbosity < 2) continue;  // each object once
      if (folds(g.objects[e->to])) {
        if (!seen) folded.push_back(e);
        shown.insert(e->to);
        continue;
      }
      Entry x{.edge = e, .repeat = !shown.insert(e->to).second};
      // Shown above only as a cut, and cut here too: "(see above)" would point at no children.
      if (x.repeat && deeper && cut_only.count(e->to)) x.repeat = false;
      x.cut = !x.repeat && deeper;
      limit_cut |= x.cut && (opt.max_depth == 0 || opt.max_depth > kTreeDepthLimit);
      if (x.cut) cut_only.insert(e->to);
      if (!x.repeat && !x.cut) x.kids = build(e->to, depth + 1);
      out.push_back(std::move(x));
    }
    // What the folded libraries load themselves (libstdc++'s libm), first met here, folds into the
    // same line: each object is named once, even in the folded view.
    for (size_t k = 0; k < folded.size(); ++k)
      for (auto* e : adj.out[folded[k]->to])
        if (folds(g.objects[e->to]) && shown.insert(e->to).second) folded.push_back(e);
    if (!folded.empty()) out.push_back(Entry{.folded = std::move(folded)});
    if (g.objects[i].path)
      if (auto it = adj.missing.find(*g.objects[i].path); it != adj.missing.end())
        for (auto* m : it->second) out.push_back(Entry{.missing = m});
    return out;
  }

  void print(const std::vector<Entry>& entries, const std::string& indent) {
    for (size_t k = 0; k < entries.size(); ++k) {
      auto& x = entries[k];
      bool last = k + 1 == entries.size();
      std::string prefix = indent + (last ? "└── " : "├── "), sub = indent + (last ? "    " : "│   ");
      if (x.edge) {
        auto& o = g.objects[x.edge->to];
        line(prefix, x.edge->name, o, x.edge->how, x.repeat, x.cut);
        if (!x.repeat && opt.verbosity >= 2 && opt.search_paths && o.path)
          if (auto sp = opt.search_paths(*o.path); !sp.empty()) out += sub + "  (" + sp + ")\n";
        print(x.kids, sub);
      } else if (!x.folded.empty()) {
        folded_line(prefix, x.folded);
      } else if (x.missing) {
        // Each missing name with its places once; the same search again is a repeat.
        bool again = !missing_shown.emplace(x.missing->name, x.missing->tried).second;
        std::string what = x.missing->refused.empty() ? " not found" : " refused by the loader: " + terminal_safe_field(x.missing->refused);
        out += prefix + (opt.color ? "\033[1;31m" : "") + terminal_safe_field(x.missing->name) + what + (opt.color ? "\033[0m" : "") +
               (again ? " (see above)" : "") + "\n";
        int n = 0;
        if (!again)
          for (auto& t : x.missing->tried) out += sub + "    " + std::to_string(++n) + ". " + t + "\n";
      }
    }
  }
};

// Objects reachable from one root, in first-visit (load) order.
std::vector<const DepEdge*> reachable(const Adjacency& adj, size_t root) {
  std::vector<const DepEdge*> order;
  std::set<size_t> seen{root};
  std::vector<size_t> queue{root};
  for (size_t q = 0; q < queue.size(); ++q)
    for (auto* e : adj.out[queue[q]])
      if (seen.insert(e->to).second) {
        order.push_back(e);
        queue.push_back(e->to);
      }
  return order;
}

}  // namespace

void render_tree(const DepGraph& g, std::ostream& out, const DepsViewOptions& opt) {
  Adjacency adj(g);
  for (size_t k = 0; k < g.roots.size() && k < g.root_objects.size(); ++k) {
    const std::string& r = g.roots[k];
    const size_t i = g.root_objects[k];
    std::string buf = terminal_safe_field(label_of(g.objects[i]));
    if (g.objects[i].cls != ObjectClass::app) buf += " {" + to_string(g.objects[i].cls) + "}";
    if (opt.header)
      if (auto h = opt.header(r); !h.empty()) buf += "  (" + h + ")";
    buf += "\n";
    if (opt.verbosity >= 2 && opt.search_paths && g.objects[i].path)
      if (auto sp = opt.search_paths(*g.objects[i].path); !sp.empty()) buf += "  (" + sp + ")\n";
    TreePrinter p{g, adj, buf, opt, {i}};
    p.print(p.build(i, 0), "");
    if (p.limit_cut)
      buf += "(the tree view stops at " + std::to_string(kTreeDepthLimit) + " levels ('...'); --format list shows every object)\n";
    out << buf;
  }
}

// ldd's layout, one line per object; names from the files shown, never obeyed (terminal_safe_field).
void render_list(const DepGraph& g, std::ostream& out) {
  Adjacency adj(g);
  for (size_t k = 0; k < g.roots.size() && k < g.root_objects.size(); ++k) {
    const std::string& r = g.roots[k];
    const size_t i = g.root_objects[k];
    if (g.roots.size() > 1) out << terminal_safe_field(r) << ":\n";
    for (auto* e : reachable(adj, i)) {
      auto& o = g.objects[e->to];
      if (o.path && e->name == *o.path) {  // ld.so and names with a slash: ldd prints the path alone
        out << "\t" << terminal_safe_field(*o.path) << " [" << how_name(e->how) << "]\n";
        continue;
      }
      out << "\t" << terminal_safe_field(e->name) << " => " << (o.path ? terminal_safe_field(*o.path) : "(driver, not on this host)") << " [" << how_name(e->how)
          << "]" << (o.cls != ObjectClass::app ? " {" + to_string(o.cls) + "}" : "") << "\n";
    }
    std::set<size_t> seen{i};
    for (auto* e : reachable(adj, i)) seen.insert(e->to);
    for (auto& m : g.missing)
      for (size_t s : seen)
        if (g.objects[s].path && *g.objects[s].path == m.needed_by) {
          out << "\t" << terminal_safe_field(m.name) << " => " << (m.refused.empty() ? "not found" : "refused: " + terminal_safe_field(m.refused)) << "\n";
          break;
        }
  }
}

void render_json(const DepGraph& g, const std::map<std::string, TargetInfo>& targets, std::ostream& out) {
  auto doc = to_json(g);
  auto& t = doc["targets"] = nlohmann::json::object();
  for (auto& [path, info] : targets) {
    auto j = to_json(info);
    if (valid_utf8(path)) {
      t[path] = std::move(j);
      continue;
    }
    // A key that is not UTF-8 would be written with U+FFFD for its odd bytes, and two such names
    // as one key twice: the key shows them as \xNN instead, and path_hex gives the bytes.
    j["path_hex"] = to_hex(path);
    t[bytes_escaped(path)] = std::move(j);
  }
  out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

void render_dot(const DepGraph& g, std::ostream& out) {
  static const std::map<std::string, std::string> fill = {
      {"driver", "plum"}, {"system", "lightgrey"}, {"cuda", "palegreen"}, {"toolkit", "salmon"}, {"app", "lightblue"}};
  // DOT is UTF-8: a name that is not has its high bytes written as \xNN (the label shows them so).
  auto quote = [](const std::string& s) {
    std::string q = "\"";
    for (char c : bytes_escaped(s)) q += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
    return q + "\"";
  };
  out << "digraph deps {\n  rankdir=LR;\n  node [shape=box, style=filled];\n";
  for (size_t i = 0; i < g.objects.size(); ++i) {
    auto& o = g.objects[i];
    auto it = fill.find(to_string(o.cls));
    out << "  n" << i << " [label=" << quote(o.soname ? *o.soname : label_of(o)) << ", tooltip=" << quote(label_of(o))
        << ", fillcolor=" << (it != fill.end() ? it->second : "white") << (o.path ? "" : ", style=\"filled,dashed\"") << "];\n";
  }
  for (auto& e : g.edges)
    out << "  n" << e.from << " -> n" << e.to << (e.how == How::dlopen_profile || e.how == How::trace ? " [style=dashed]" : "")
        << ";\n";
  for (size_t k = 0; k < g.missing.size(); ++k) {
    out << "  m" << k << " [label=" << quote(g.missing[k].name + " (missing)") << ", fillcolor=red];\n";
    if (auto i = g.find(g.missing[k].needed_by)) out << "  n" << *i << " -> m" << k << ";\n";
  }
  out << "}\n";
}

}  // namespace cuslim
