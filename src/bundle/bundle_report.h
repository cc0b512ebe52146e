// The machine-readable report of a bundle or slim (--report FILE.json): what the image holds by
// class, what was left to the host driver and to the base, and -- for Python programs -- every
// distribution of the site dirs involved: kept or dropped, why, and its bytes.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "bundle/bundle.h"

namespace cuslim {

nlohmann::json bundle_report_json(const BundleResult& r);

// The text summary of bundle and build: files and bytes per class, the largest files, what was
// left to the driver and the base, the layer and manifest, Python, JIT and pruning lines.
void bundle_summary(const BundleResult& r, const BundleRequest& req, std::ostream& out, const std::string& command = "bundle");
// Each layer written (or kept whole from an input) with its digest and stored size, then the manifest.
void layers_summary(const BundleResult& r, std::ostream& out);

// The per-distribution lines of the text summary ("python: 12 distributions kept ...").
void python_summary(const std::vector<DistributionReport>& dists, std::ostream& out);

// One line per JIT framework: what its toolchain added and what it still lacks.
void jit_summary(const std::vector<JitAdded>& jit, std::ostream& out);

// What --gpu-arch removed: per file, per arch and section; the stored size of the layers cuslim
// wrote (every --layers auto group, not the base's or reused ones) with and (when measured)
// without pruning.
nlohmann::json prune_report_json(const PruneReport& p, std::optional<uint64_t> written_stored_bytes);

// The stored bytes of the layers cuslim wrote (nullopt: it wrote none, e.g. a rootfs dir).
std::optional<uint64_t> written_stored_bytes(const BundleResult& r);

// The forward-compat lines of the text summary (which cuda-compat set ships, and why).
void forward_compat_summary(const std::vector<ForwardCompatShipped>& sets, std::ostream& out);

// The pruning lines of the text summary, with the licence notice when NVIDIA libraries were pruned.
void prune_summary(const PruneReport& p, std::ostream& out);

struct SlimResult;
// The text summary of slim: before and kept by class, the largest kept files, what was left to the
// host driver, the layers, Python, JIT, forward-compat and pruning lines.
void slim_summary(const SlimResult& s, std::ostream& out);

}  // namespace cuslim
