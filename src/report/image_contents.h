// What any image holds, for `cuslim report IMAGE` and `verify --report`: its files by class and
// group, and its layers as stored.
#pragma once

#include <map>
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
  std::vector<std::string> entrypoint;
  std::string manifest;  // the image's manifest (or index) digest, where the input has one
};

// The contents of an unpacked image, classified with `classifier`.
ImageContents image_contents(const UnpackedImage& img, const Classifier& classifier);

// Unpacks `image` (any input `slim` reads) and reads its contents, classified inside the image
// with the glibc base profile (its C library and loader are class system).
// `opt`: the tag, registry options and progress callbacks of the unpack.
Result<ImageContents> read_image_contents(const std::string& image, const UnpackOptions& opt);

}  // namespace cuslim
