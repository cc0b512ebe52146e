// The bundle's Python steps: what every interpreter start reads, the distributions a traced run
// used (whole, with their companions and closures; link-only libraries and toolkit or driver
// files left out), and the final per-distribution report.
#pragma once

#include <vector>

#include "analysis/analysis.h"
#include "bundle/bundle.h"
#include "bundle/plan.h"
#include "bundle/programs.h"
#include "python/python_keep.h"

namespace cuslim {

// A Python interpreter among the programs (or the interpreter of a #! script among them) brings
// what every start of it reads (its encodings, landmarks and site's modules), traced or not:
// python/interpreter.h.
// A trace made without --files, or none at all (and the standard library not --include'd): said,
// since which modules a run imports is then unknown (only the start-up files would ship).
Status add_python_startup(const Analysis& analysis, const Programs& programs, PlanBuilder& builder, const BundleRequest& req);

// Python distributions the traced files used ship whole (--python-keep package) with their
// profile-named companions, their extension modules bringing their closures; the report says
// what each distribution of the site dirs involved became.
Result<PythonSelection> add_python_distributions(const Analysis& analysis, const BundleRequest& req, PlanBuilder& builder);

// --no-jit: a JIT framework that its importers import only when it is there (profiles'
// optional_for: torch -> triton) is left out even though the traced run imported it, unless the run
// used its toolchain (ran or opened one of its jit files): its distributions' files are taken out
// of req's traced objects and files. Returns one warning per framework left out.
std::vector<std::string> leave_out_optional_jit(const Analysis& analysis, BundleRequest& req);

// The distributions report, final: those nothing imported whose libraries ship for an object of
// another are "closure of Y".
std::vector<DistributionReport> python_report(PythonSelection sel, const Root& root, const Plan& plan);

}  // namespace cuslim
