// What bundle and build share around the library call: the progress note for gzip layers, the
// registry flags and progress lines, the --report FILE check and what is printed once the image is
// written.
#pragma once

#include <string>

#include "bundle/bundle.h"
#include "bundle/bundle_job.h"
#include "cli/command.h"
#include "registry/registry_options.h"

namespace cuslim::cli {

// gzip layers (the oci formats' default) of a large bundle: the progress step says once that zstd is faster.
bool gzip_layers(const std::string& format, const std::string& out, const std::string& compression);

// What bundle and build print once the image is written: warnings, then the report file, the
// JSON summary (--json) or the text summary.
struct Output {
  std::string command, report_file;
  bool quiet = false, json = false;
  RegistryOptions registry;  // --digestfile
};
Exit report(const BundleResult& r, const BundleRequest& req, const Output& o);

// The registry flags and the pull (--base docker://...) and push (-o docker://...) progress lines.
void use_registry(BundleJob& job, const RegistryOptions& registry, bool quiet);

// --report FILE must be .json or .html: said before any work is done.
void check_report_file(const std::string& file);

}  // namespace cuslim::cli
