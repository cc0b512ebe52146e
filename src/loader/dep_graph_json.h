// The `deps --format json` document: {roots, objects, missing} (deps adds targets), stable for scripts (README).
#pragma once

#include <nlohmann/json.hpp>

#include "loader/dep_graph.h"

namespace cuslim {

nlohmann::json to_json(const DepGraph& g);

}  // namespace cuslim
