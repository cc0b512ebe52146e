// bundle: resolve, classify, plan, write -- the smallest image that runs the targets.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bundle/plan.h"
#include "core/root.h"
#include "image/oci_image.h"
#include "profile/classifier.h"

namespace cuslim {

enum class BundleFormat { dir, tar, tar_gz, tar_zst, oci, oci_archive, docker_archive };
std::optional<BundleFormat> parse_format(const std::string& s);
BundleFormat format_from_path(const std::string& out);  // by extension; default oci
std::string format_name(BundleFormat f);

struct BundleRequest {
  std::vector<std::string> targets, includes;  // in-root paths
  std::string out;
  BundleFormat format = BundleFormat::oci;
  Compression compression = Compression::gzip;
  std::string tag;
  std::string base = "scratch";
  std::vector<std::string> env;  // K=V
  std::optional<std::string> entrypoint;
  int64_t mtime = 0;
  std::function<void(uint64_t done, uint64_t total)> progress;
};

struct BundleResult {
  Plan plan;
  uint64_t files = 0, bytes = 0;
  std::map<std::string, uint64_t> bytes_by_class;
  std::vector<std::pair<std::string, uint64_t>> largest;  // ten largest files
  std::optional<WrittenImage> image;
  std::optional<LayerBlob> layer;
  ImageConfig config;
};

using Resolve = std::function<Result<DepGraph>(const std::vector<std::string>& targets)>;

// Resolves targets and ELF includes through `resolve` (already classifying), plans and writes.
Result<BundleResult> bundle(const Root& root, const Resolve& resolve, const BundleRequest& req);

// SOURCE_DATE_EPOCH, validated: a non-negative integer, else an error; unset: 0.
Result<int64_t> source_date_epoch();

}  // namespace cuslim
