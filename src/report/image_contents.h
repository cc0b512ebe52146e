// What any image holds, for `cuslim report IMAGE` and `verify --report`: its files by class and
// group, and its layers as stored.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "image/image_reader.h"
#include "report/content_groups.h"

namespace cuslim {

struct ImageContents {
  std::string kind;  // oci-layout, docker-archive, rootfs-dir, ...
  uint64_t files = 0, bytes = 0;
  std::map<ObjectClass, uint64_t> bytes_by_class;
  std::vector<ContentGroup> groups;
  std::vector<LayerBlob> layers;  // as stored (OCI inputs)
  // Each layer's group as cuslim named it in the image's history ("system", "cuda-cublas", "image"
  // for one layer), null for layers cuslim did not write or a history that does not pair with them.
  std::vector<std::optional<std::string>> layer_groups;
  std::vector<std::string> entrypoint;
  std::string manifest;  // the image's manifest (or index) digest, where the input has one
};

// The contents of an unpacked image, classified with `classifier`.
ImageContents image_contents(const UnpackedImage& img, const Classifier& classifier);

// Unpacks `image` (any input `slim` reads) and reads its contents, classified inside the image
// as bundle and slim classify what they write: base scratch (all the image holds is the image's,
// its C library too), so report, verify, bundle and slim give one image the same bytes_by_class.
// `opt`: the tag, registry options and progress callbacks of the unpack.
Result<ImageContents> read_image_contents(const std::string& image, const UnpackOptions& opt);

}  // namespace cuslim
