// The compute capabilities of this host's GPUs, asked of the host driver (libcuda's cuInit and
// cuDeviceGetAttribute) in a child process, so that cuslim itself never initialises CUDA; and
// the refusal to run an image pruned (--gpu-arch) for other GPUs.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/error.h"

namespace cuslim {

// {75, 90, ...} per visible device, in device order; an error names why the driver could not say.
Result<std::vector<unsigned>> gpu_compute_capabilities(const std::string& libcuda_host_path);

// An image whose labels say it was pruned for other GPUs than `gpus`: a check_failed error that
// names the image, the archs it keeps and the GPU it lacks; ok otherwise (or without the label).
Status check_pruned_for(const std::map<std::string, std::string>& labels, const std::vector<unsigned>& gpus, const std::string& image);

}  // namespace cuslim
