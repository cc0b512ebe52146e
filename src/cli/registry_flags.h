// The registry flags every image-reading or -writing subcommand takes (--creds, --cert-dir,
// --tls-verify, --registry-jobs; for outputs --digestfile, --chunk-size), and rendering what a push did.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "registry/push.h"
#include "registry/registry_options.h"

namespace cuslim::cli {

// Adds the flags; `with_push`: also --digestfile and --chunk-size. Values land in *o, which the
// subcommand passes to the library in its request (UnpackOptions::registry, BundleRequest::registry).
void add_registry_flags(CLI::App* cmd, const std::shared_ptr<RegistryOptions>& o, bool with_push);

// --digestfile checked before any work (its directory exists and is writable; not OUT, not an
// input): a push must not succeed and then fail on the file. Adds it to `side_outputs`.
void check_digestfile(const RegistryOptions& o, const std::string& out, std::vector<std::pair<std::string, std::string>>& side_outputs);

// "pushed docker://host/repo@sha256:... (N blobs, B bytes uploaded; M ... already there; J ... mounted)" on
// stdout (stderr with --json: the JSON has "pushed"), and the digest into --digestfile.
// Without a push, --digestfile gets `manifest` (the image written), or a warning when there is none.
void report_push(const std::optional<PushResult>& pushed, const std::optional<Digest>& manifest, const RegistryOptions& o, bool json);

}  // namespace cuslim::cli
