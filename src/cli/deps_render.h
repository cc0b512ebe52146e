// Renderers for `cuslim deps`: tree (like libtree), list (like ldd), json, dot.
#pragma once

#include <ostream>
#include <string>

#include "loader/dep_graph.h"

namespace cuslim::cli {

struct RenderOptions {
  bool color = false;  // ANSI colours per class (a TTY)
};

void render_tree(const DepGraph& g, std::ostream& out, const RenderOptions& opt);
void render_list(const DepGraph& g, std::ostream& out);
void render_json(const DepGraph& g, std::ostream& out);
void render_dot(const DepGraph& g, std::ostream& out);

}  // namespace cuslim::cli
