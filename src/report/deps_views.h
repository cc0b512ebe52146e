// The views of a dependency graph that `cuslim deps` prints: tree (like libtree), list (like
// ldd), json, dot.
#pragma once

#include <functional>
#include <map>
#include <ostream>
#include <string>

#include "loader/dep_graph.h"
#include "loader/target_info.h"

namespace cuslim {

struct DepsViewOptions {
  bool color = false;  // ANSI colours per class (a TTY)
  // 0: each object once, system and driver children folded into one line; 1 (-v): system and
  // driver libraries shown; 2 (-vv): also repeats (not descended) and each object's own search paths.
  int verbosity = 0;
  int max_depth = 0;  // 0: no limit
  std::function<std::string(const std::string& root)> header;          // after a root's name
  std::function<std::string(const std::string& path)> search_paths;   // -vv: an object's rpath/runpath
};

void render_tree(const DepGraph& g, std::ostream& out, const DepsViewOptions& opt);
void render_list(const DepGraph& g, std::ostream& out);
// `targets`: each root's machine, type and interpreter, keyed by the root's path (JSON "targets").
void render_json(const DepGraph& g, const std::map<std::string, TargetInfo>& targets, std::ostream& out);
void render_dot(const DepGraph& g, std::ostream& out);

}  // namespace cuslim
