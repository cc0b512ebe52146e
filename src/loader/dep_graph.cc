#include "loader/dep_graph.h"

#include <algorithm>

namespace cuslim {

size_t DepGraph::add_object(DepObject o) {
  std::string key = key_of(o);
  if (auto it = index_.find(key); it != index_.end()) {
    objects[it->second].root |= o.root;
    return it->second;
  }
  objects.push_back(std::move(o));
  index_.emplace(std::move(key), objects.size() - 1);
  return objects.size() - 1;
}

void add_other_path(std::vector<std::string>& also_at, const std::string& own, const std::string& p) {
  if (!p.empty() && p != own && std::find(also_at.begin(), also_at.end(), p) == also_at.end()) also_at.push_back(p);
}

void DepGraph::add_also_at(size_t object, const std::string& p) {
  if (auto& o = objects[object]; o.path) add_other_path(o.also_at, *o.path, p);
}

std::optional<size_t> DepGraph::find(const std::string& key) const {
  if (auto it = index_.find(key); it != index_.end()) return it->second;
  return std::nullopt;
}

void DepGraph::add_edge(size_t from, size_t to, const std::string& name, How how) {
  if (out_edges_.size() <= from) out_edges_.resize(objects.size());
  bool parent_known = false;  // an earlier edge from the same object (under another name)
  for (size_t e : out_edges_[from]) {
    if (edges[e].to != to) continue;
    if (edges[e].name == name) return;
    parent_known = true;
  }
  out_edges_[from].push_back(edges.size());
  edges.push_back({from, to, name, how});
  // Objects are distinct files, so their paths (or, for an absent leaf, names) are distinct too:
  // `from` is a new parent exactly when it had no edge to `to` yet (no scan of a popular
  // library's thousand parents).
  if (!parent_known) objects[to].parents.push_back(objects[from].path ? *objects[from].path : objects[from].name);
}

std::string describe(const PassedOver& p) {
  return p.found + ": passed over for " + p.needed_by + "'s dlopen of " + p.name + " (" + p.why +
         (p.by_loader ? ": the loader refuses it" : ": it would refuse it") + "; nothing else answered, so the graph has none)";
}

std::string missing_what(const MissingDep& m) { return m.refused.empty() ? "not found" : "refused by the loader (" + m.refused + ")"; }

void DepGraph::add_passed_over(PassedOver p) {
  if (!passed_over_keys_.insert(p.name + "\n" + p.needed_by + "\n" + p.found).second) return;
  passed_over.push_back(std::move(p));
}

std::string describe_unmet(const MissingDep& m) {
  return m.needed_by + " dlopens " + m.name + " at run time and fails without it: " + missing_what(m);
}

void DepGraph::add_dlopen_unmet(MissingDep m) {
  if (!unmet_keys_.insert(m.name + "\n" + m.needed_by).second) return;
  dlopen_unmet.push_back(std::move(m));
}

void DepGraph::add_missing(MissingDep m) {
  if (!missing_keys_.insert(m.name + "\n" + m.needed_by).second) return;
  missing.push_back(std::move(m));
}

}  // namespace cuslim
