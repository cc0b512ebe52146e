#include "report/image_contents.h"

#include "analysis/analysis.h"
#include "core/staging.h"
#include "image/layer_history.h"

namespace cuslim {

ImageContents image_contents(const UnpackedImage& img, const Classifier& classifier) {
  ImageContents c;
  c.kind = kind_name(img.kind);
  c.entrypoint = img.config.entrypoint;
  c.manifest = img.manifest;
  for (auto& l : img.layers) c.layers.push_back(l.info);
  c.layer_groups = layer_groups_from_history(img.history_json, img.layers.size());
  Root root(img.rootfs);
  auto files = rootfs_files(root, classifier);
  std::vector<std::string> paths;
  for (auto& f : files) {
    paths.push_back(f.path);
    ++c.files;
    c.bytes += f.bytes;
    c.bytes_by_class[f.cls] += f.bytes;
  }
  c.groups = group_files(FileGrouper(root, classifier, paths), files, true);
  return c;
}

Result<ImageContents> read_image_contents(const std::string& image, const UnpackOptions& opt) {
  CUSLIM_TRY(auto staging, Staging::make());
  CUSLIM_TRY(auto img, unpack_image(image, staging.path() + "/image", opt));
  CUSLIM_TRY(auto analysis, Analysis::make(AnalysisOptions{.root = img.rootfs, .base = "scratch"}));
  return image_contents(img, analysis.classifier());
}

}  // namespace cuslim
