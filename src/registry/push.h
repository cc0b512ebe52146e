// Pushing an image of an OCI layout to a registry: every blob the registry lacks (HEAD first) is
// uploaded (POST, then one PUT ?digest= or PATCH chunks and a closing PUT), the manifest last, so
// a push that fails leaves no tag (only unreferenced blobs, which the registry collects). Up to
// RegistryOptions::jobs blobs go up at once (blob_transfers.h).
#pragma once

#include <string>
#include <vector>

#include "image/digest.h"
#include "registry/blob_transfers.h"
#include "registry/registry_options.h"
#include "registry/registry_ref.h"

namespace cuslim {

struct PushResult {
  Digest manifest = Digest::from_hex("");
  std::string pushed;  // docker://host/repo@sha256:...
  uint64_t blobs_uploaded = 0, bytes_uploaded = 0, blobs_skipped = 0, bytes_skipped = 0;
  uint64_t blobs_mounted = 0, bytes_mounted = 0;  // cross-repository mounts (no bytes sent)
};

// `tag`: which image of the layout (its org.opencontainers.image.ref.name); "" for a layout of one.
// `mount_from`: repositories of the same registry that may hold the blobs (a docker:// base): a
// blob missing here is first asked to be mounted from them (POST ?mount=&from=), which sends no bytes.
// `progress`: blob bytes sent of the image's total (blobs the registry has or mounted count as sent).
Result<PushResult> push_image(const std::string& layout, const std::string& tag, const RegistryRef& ref, const RegistryOptions& o,
                              const std::vector<std::string>& mount_from = {}, const TransferProgress& progress = {});

}  // namespace cuslim
