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

std::optional<size_t> DepGraph::find(const std::string& key) const {
  if (auto it = index_.find(key); it != index_.end()) return it->second;
  return std::nullopt;
}

void DepGraph::add_edge(size_t from, size_t to, const std::string& name, How how) {
  if (out_edges_.size() <= from) out_edges_.resize(objects.size());
  for (size_t e : out_edges_[from])
    if (edges[e].to == to && edges[e].name == name) return;
  out_edges_[from].push_back(edges.size());
  edges.push_back({from, to, name, how});
  auto& parents = objects[to].parents;
  const std::string& p = objects[from].path ? *objects[from].path : objects[from].name;
  if (std::find(parents.begin(), parents.end(), p) == parents.end()) parents.push_back(p);
}

void DepGraph::add_missing(MissingDep m) {
  if (!missing_keys_.insert(m.name + "\n" + m.needed_by).second) return;
  missing.push_back(std::move(m));
}

}  // namespace cuslim
