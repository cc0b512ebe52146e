// Pulling an image from a registry into an OCI layout: the manifest (an index's manifest for the
// platform), its config and layers, each blob streamed to a temp file beside its place, hashed
// while it arrives and renamed under its digest only when digest and size match. Up to
// RegistryOptions::jobs blobs arrive at once (blob_transfers.h).
#pragma once

#include <string>

#include "image/digest.h"
#include "registry/blob_transfers.h"
#include "registry/registry_options.h"
#include "registry/registry_ref.h"

namespace cuslim {

struct PullResult {
  Digest manifest = Digest::from_hex("");
  uint64_t blobs = 0, bytes = 0;
};

// `layout` is an empty or missing dir; the image is stored there tagged with the ref's tag.
// `progress`: blob bytes received of the manifest's total (blobs already in the layout count as received).
Result<PullResult> pull_image(const RegistryRef& ref, const std::string& layout, const std::string& platform, const RegistryOptions& o,
                              const TransferProgress& progress = {});

// The digest of the manifest pull_image() would store for `ref` and `platform` (through an index,
// the platform's entry): one manifest request, no blob; what names an image that a tag may move off.
Result<Digest> resolve_manifest(const RegistryRef& ref, const std::string& platform, const RegistryOptions& o);

}  // namespace cuslim
