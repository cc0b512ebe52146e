#include "cli/deps_render.h"

#include <map>
#include <set>
#include <vector>

#include "loader/dep_graph_json.h"

namespace cuslim::cli {

namespace {

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

std::optional<size_t> root_index(const DepGraph& g, const std::string& root) {
  for (size_t i = 0; i < g.objects.size(); ++i)
    if (g.objects[i].root && g.objects[i].name == root) return i;
  return std::nullopt;
}

struct TreePrinter {
  const DepGraph& g;
  const Adjacency& adj;
  std::string& out;  // appended to, written once: thousands of small stream inserts are slow
  const RenderOptions& opt;
  std::set<size_t> shown;

  void line(const std::string& prefix, const std::string& name, const DepObject& o, How how, bool repeat) {
    out += prefix;
    if (opt.color) out += class_color(o.cls);
    out += name;
    if (opt.color) out += "\033[0m";
    out += " [";
    out += how_name(how);
    out += "]";
    if (o.cls != ObjectClass::app) out += " {" + to_string(o.cls) + "}";
    if (!o.path) out += " (not on this host)";
    else if (name != *o.path) out += " " + *o.path;
    if (repeat) out += " (shown above)";
    out += "\n";
  }

  void children(size_t i, const std::string& indent) {
    auto& edges = adj.out[i];
    std::vector<const MissingDep*> miss;
    if (g.objects[i].path)
      if (auto it = adj.missing.find(*g.objects[i].path); it != adj.missing.end()) miss = it->second;
    size_t total = edges.size() + miss.size(), k = 0;
    for (auto* e : edges) {
      bool last = ++k == total;
      bool repeat = !shown.insert(e->to).second;
      line(indent + (last ? "└── " : "├── "), e->name, g.objects[e->to], e->how, repeat && !adj.out[e->to].empty());
      if (!repeat) children(e->to, indent + (last ? "    " : "│   "));
    }
    for (auto* m : miss) {
      bool last = ++k == total;
      out += indent + (last ? "└── " : "├── ") + (opt.color ? "\033[1;31m" : "") + m->name + " not found" +
             (opt.color ? "\033[0m" : "") + "\n";
      std::string sub = indent + (last ? "    " : "│   ");
      int n = 0;
      for (auto& t : m->tried) out += sub + "    " + std::to_string(++n) + ". " + t + "\n";
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

void render_tree(const DepGraph& g, std::ostream& out, const RenderOptions& opt) {
  Adjacency adj(g);
  for (auto& r : g.roots) {
    auto i = root_index(g, r);
    if (!i) continue;
    std::string buf = label_of(g.objects[*i]);
    if (g.objects[*i].cls != ObjectClass::app) buf += " {" + to_string(g.objects[*i].cls) + "}";
    buf += "\n";
    TreePrinter p{g, adj, buf, opt, {*i}};
    p.children(*i, "");
    out << buf;
  }
}

void render_list(const DepGraph& g, std::ostream& out) {
  Adjacency adj(g);
  for (auto& r : g.roots) {
    auto i = root_index(g, r);
    if (!i) continue;
    if (g.roots.size() > 1) out << r << ":\n";
    for (auto* e : reachable(adj, *i)) {
      auto& o = g.objects[e->to];
      if (o.path && e->name == *o.path) {  // ld.so and names with a slash: ldd prints the path alone
        out << "\t" << *o.path << " [" << how_name(e->how) << "]\n";
        continue;
      }
      out << "\t" << e->name << " => " << (o.path ? *o.path : "(driver, not on this host)") << " [" << how_name(e->how)
          << "]" << (o.cls != ObjectClass::app ? " {" + to_string(o.cls) + "}" : "") << "\n";
    }
    std::set<size_t> seen{*i};
    for (auto* e : reachable(adj, *i)) seen.insert(e->to);
    for (auto& m : g.missing)
      for (size_t s : seen)
        if (g.objects[s].path && *g.objects[s].path == m.needed_by) {
          out << "\t" << m.name << " => not found\n";
          break;
        }
  }
}

void render_json(const DepGraph& g, std::ostream& out) { out << to_json(g).dump(2) << "\n"; }

void render_dot(const DepGraph& g, std::ostream& out) {
  static const std::map<std::string, std::string> fill = {
      {"driver", "plum"}, {"system", "lightgrey"}, {"cuda", "palegreen"}, {"toolkit", "salmon"}, {"app", "lightblue"}};
  auto quote = [](const std::string& s) {
    std::string q = "\"";
    for (char c : s) q += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
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

}  // namespace cuslim::cli
