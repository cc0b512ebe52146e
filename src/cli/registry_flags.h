// The registry flags every image-reading or -writing subcommand takes (--creds, --cert-dir,
// --tls-verify, --registry-jobs; for outputs --src-creds, --dest-creds, --digestfile, --chunk-size),
// and rendering what a push did.
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

// Adds the flags; `with_push`: also --src-creds, --dest-creds, --digestfile and --chunk-size. Values land in *o, which the
// subcommand passes to the library in its request (UnpackOptions::registry, BundleRequest::registry).
void add_registry_flags(CLI::App* cmd, const std::shared_ptr<RegistryOptions>& o, bool with_push);

// --digestfile checked before any work (not a device, fifo or socket, not under /dev, /proc or /sys,
// not a directory; its directory exists and is writable; the library adds: not OUT, not an input):
// a push must not succeed and then fail on the file. Adds it to `side_outputs`. Exit 2 when refused.
// (--digestfile "" is refused by the flag itself.)
void check_digestfile(const RegistryOptions& o, const std::string& out, std::vector<std::pair<std::string, std::string>>& side_outputs);

// --creds sends one USER:PASS to every registry the command talks to: refused (exit 2) when the
// docker:// sources (inputs, --base) and the docker:// destination (-o) are on different registry
// hosts (host[:port]) -- the source's token server would get the destination's password -- and
// together with --src-creds/--dest-creds. skopeo's rule.
void check_registry_creds(const RegistryOptions& o, const std::vector<std::string>& sources, const std::string& dest);

// "pushed docker://host/repo@sha256:... (N blobs, B bytes uploaded; M ... already there; J ... mounted)" on
// stdout (stderr with --json: the JSON has "pushed"), and the digest into --digestfile.
// Without a push, --digestfile gets `manifest` (the image written), or a warning when there is none.
void report_push(const std::optional<PushResult>& pushed, const std::optional<Digest>& manifest, const RegistryOptions& o, bool json);

}  // namespace cuslim::cli
