// The bundle's JIT step: a JIT framework that ships brings what it runs at run time.
#pragma once

#include <vector>

#include "analysis/analysis.h"
#include "bundle/bundle.h"
#include "bundle/plan.h"

namespace cuslim {

// A JIT framework that ships brings what it runs at run time: each need of its profile met from
// the source root (the first alternative found, with its keep globs; programs bring closures).
// A need nothing meets is a warning naming the consequence.
Result<std::vector<JitAdded>> add_jit_toolchains(const Analysis& analysis, const BundleRequest& req, PlanBuilder& builder);

}  // namespace cuslim
