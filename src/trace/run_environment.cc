#include "trace/run_environment.h"

#include <fnmatch.h>

namespace cuslim {

namespace {

// Globs over variable names, as data.
const std::vector<std::string> kRecorded = {
    "LANG", "LANGUAGE", "LC_*", "PYTHON*", "LD_LIBRARY_PATH", "CUDA_*", "NVIDIA_*", "TORCH_*", "TORCHINDUCTOR_*", "TRITON_*",
    "PYTORCH_*", "XLA_FLAGS", "XLA_PYTHON_*", "JAX_*", "TF_CPP_*", "TF_ENABLE_*", "TF_FORCE_*",
    "TF_GPU_*", "TF_XLA_*", "TF_USE_*", "TF_CUDNN_*", "TF_DETERMINISTIC_OPS", "TF_NUM_*", "CUPY_*", "NUMBA_*", "NCCL_*", "OMP_NUM_THREADS", "MKL_*",
    "OPENBLAS_*", "HF_*", "TRANSFORMERS_*", "TZ", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "LOCPATH", "PATH"};

// Never recorded, whatever prefix they share and in any case (HF_TOKEN, TORCH_hub_token,
// CUDA_APIKEY): secrets, which a trace file or an image config must not carry.
const std::vector<std::string> kSecrets = {"*TOKEN*", "*SECRET*", "*PASSWORD*", "*PASSWD*", "*PASS", "*KEY", "*KEY_*",
                                           "*CREDENTIAL*", "*AUTH*", "*COOKIE*", "*SESSION*", "*PRIVATE*"};

// Recorded but kept out of images: what says which devices and driver features this host's run
// got (the container runtime sets them per node), and the requirements cuslim writes itself.
const std::vector<std::string> kHostOnly = {"CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES",
                                            "NVIDIA_REQUIRE_*", "NVIDIA_DISABLE_REQUIRE", "NVIDIA_MIG_*", "CUDA_MPS_*",
                                            "NVIDIA_IMEX_CHANNELS", "NVIDIA_GDRCOPY", "NVIDIA_GDS", "NVIDIA_MOFED", "NVIDIA_NVSWITCH"};

bool matches_any(const std::vector<std::string>& globs, const std::string& name, int flags = 0) {
  for (auto& g : globs)
    if (::fnmatch(g.c_str(), name.c_str(), flags) == 0) return true;
  return false;
}

const std::vector<std::string> kCaches = {"TRITON_CACHE_DIR", "TORCHINDUCTOR_CACHE_DIR", "CUPY_CACHE_DIR", "NUMBA_CACHE_DIR",
                                          "JAX_COMPILATION_CACHE_DIR", "CUDA_CACHE_PATH", "XDG_CACHE_HOME"};

}  // namespace

const std::vector<std::string>& cache_variables() { return kCaches; }

bool recorded_variable(const std::string& name) {
  for (auto& c : kCaches)
    if (name == c) return false;
  return !matches_any(kSecrets, name, FNM_CASEFOLD) && matches_any(kRecorded, name);
}

// Recorded for what they say, not copied into images as they are: PATH (bundle puts on the image's
// PATH the directories of it that programs the run executed came from: a launcher's `exec python`).
const std::vector<std::string> kNotAsIs = {"PATH"};

bool image_variable(const std::string& name) {
  return recorded_variable(name) && !matches_any(kHostOnly, name) && !matches_any(kNotAsIs, name);
}

std::vector<std::string> with_cold_caches(const std::vector<std::string>& env, const std::string& cache_root) {
  std::vector<std::string> out;
  for (auto& kv : env) {
    bool cache = false;
    for (auto& c : kCaches) cache |= kv.rfind(c + "=", 0) == 0;
    if (!cache) out.push_back(kv);
  }
  for (auto& c : kCaches) out.push_back(c + "=" + cache_root + "/" + c);
  return out;
}

std::vector<std::string> image_env_from_trace(const std::map<std::string, std::string>& recorded,
                                              const std::function<bool(const std::string&)>& has_locale) {
  std::vector<std::string> out;
  bool any_locale = false;
  for (auto& [k, v] : recorded) {
    if (image_variable(k)) out.push_back(k + "=" + v);
    any_locale |= k == "LANG" || k.rfind("LC_", 0) == 0;
  }
  if (!has_locale || !has_locale("C.UTF-8")) return out;
  if (!recorded.count("LANG")) out.push_back("LANG=C.UTF-8");
  if (!any_locale) out.push_back("LC_ALL=C.UTF-8");
  return out;
}

}  // namespace cuslim
