// Host driver discovery, the way the NVIDIA container stack does it (libnvidia-container's search: the driver's library dirs, LD_LIBRARY_PATH, the ld.so.cache):
// libcuda.so.<version> (else libnvidia-ml.so.<version>) in the fixed dirs, LD_LIBRARY_PATH and
// the ld.so.cache; every directory holding lib*.so.<version> is a driver library dir; device
// nodes, firmware and binaries beside it.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/root.h"
#include "loader/ld_cache.h"
#include "analysis/analysis.h"
#include "profile/classifier.h"
#include "profile/cuda_compat.h"

namespace cuslim {

struct DriverLibrary {
  std::string path;        // in-root path of the real file (lib*.so.<version>)
  std::string capability;  // compute, utility, video, graphics, ...
};

struct HostDriver {
  Version version;
  std::string version_text;  // as in the file name: "580.65.06"
  std::string libcuda;  // in-root path of libcuda.so.<version> (or libnvidia-ml when no libcuda)
  std::optional<Version> cuda_version;       // from the fwd-compat note
  std::optional<nlohmann::json> fwd_compat;  // the note's payload
  std::vector<std::string> library_dirs;
  std::vector<DriverLibrary> libraries;
  std::vector<std::string> devices, firmware, binaries;
};

struct DriverSearch {
  std::vector<std::string> ld_library_path;
  const LdCache* ld_cache = nullptr;
};

// nullopt when the root has no driver.
Result<std::optional<HostDriver>> find_host_driver(const Root& root, const Classifier& classifier, const DriverSearch& search);

// The same through an analysis (its root, classifier and ld.so.cache), with this LD_LIBRARY_PATH.
Result<std::optional<HostDriver>> find_host_driver(const Analysis& analysis, const std::vector<std::string>& ld_library_path);

nlohmann::json to_json(const HostDriver& d);

}  // namespace cuslim
