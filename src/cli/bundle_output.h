// What bundle and build share around the library call: the progress note for gzip layers, the
// registry flags and progress lines, the --report FILE check and what is printed once the image is
// written.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "bundle/bundle.h"
#include "bundle/bundle_job.h"
#include "cli/command.h"
#include "registry/registry_options.h"

namespace cuslim::cli {

// gzip layers (the oci formats' default) of a large bundle: the progress step says once that zstd is faster.
// The advice a gzip pack over 1 GB prints (progress_line's hint): zstd layers for OCI outputs,
// a .tar.zst for a .tar.gz; "" when the output is not gzip.
std::string gzip_hint(BundleFormat format, Compression compression);
// The same for a job not settled yet (its OUT, --format and --compression as given).
std::string gzip_hint(const BundleJob& job);

// The flags bundle and build share around the job, and what is printed once the image is written.
struct Output {
  std::string command, report_file;
  bool quiet = false, json = false, force = false;
  RegistryOptions registry;  // the registry flags, --digestfile included
};

// Writes --report FILE once the output is written: a failure (a full disk) is an error that says
// the output itself was written to `out`, not left as it was.
void write_report_after_output(const std::string& file, const nlohmann::json& report, const std::string& out);

// The licence notice for pruned NVIDIA libraries, on stderr when no text summary (which has it) is printed.
void pruning_notice(const PruneReport& prune, bool summary_printed);

// --report FILE and --json: the report is made only when one of them asks for it; --json prints it
// without the report's per-group detail.
void write_reports(const std::function<nlohmann::json()>& make_report, const std::string& report_file, bool json, const std::string& out);

// Checks --report FILE (.json or .html) before any work, applies --force, the registry flags, the
// pull/push progress lines and what the report needs, runs the job, then prints: warnings, the
// report file, the JSON summary (--json) or the text summary.
Exit run_and_report(BundleJob& job, const Output& o);

}  // namespace cuslim::cli
