// The environment of a traced run that changes what the program loads, and the cold caches a
// trace runs with.
//
// Recorded (trace writes {"event":"env","name","value"} lines; bundle --trace puts them into the
// image config): the locale (LANG, LANGUAGE, LC_*), Python's (PYTHON*), LD_LIBRARY_PATH, CUDA_*
// and the frameworks' knobs (TORCH_*, TRITON_*, XLA_FLAGS, JAX_*, CUPY_*, NUMBA_*, NCCL_*,
// OMP_NUM_THREADS, ...). Never recorded: the cache directories below (they point at a trace's
// temp dir), secrets (names with TOKEN, SECRET, PASSWORD, _KEY, ...: HF_TOKEN), or anything else of
// the user's environment. Recorded but never put into an image: what selects this host's devices
// and driver features (CUDA_VISIBLE_DEVICES, NVIDIA_VISIBLE_DEVICES, NVIDIA_DRIVER_CAPABILITIES,
// NVIDIA_REQUIRE_*, CUDA_MPS_*, ...), which the container runtime sets on each node.
//
// Cold caches: a JIT cache that is warm hides what a cold start needs (the C compiler Triton
// runs, half of sympy), so a trace runs with fresh, empty cache dirs for TRITON_CACHE_DIR,
// TORCHINDUCTOR_CACHE_DIR, CUPY_CACHE_DIR, NUMBA_CACHE_DIR, JAX_COMPILATION_CACHE_DIR,
// CUDA_CACHE_PATH and XDG_CACHE_HOME unless the user asks for the warm ones.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace cuslim {

// Whether a variable is one that changes what a program loads (a trace records it).
bool recorded_variable(const std::string& name);

// Whether a recorded variable belongs in an image's config (not one that picks this host's devices).
bool image_variable(const std::string& name);

// The cache variables a cold trace points at fresh directories.
const std::vector<std::string>& cache_variables();

// `env` (K=V) with every cache variable pointing into `cache_root` (one subdirectory each).
std::vector<std::string> with_cold_caches(const std::vector<std::string>& env, const std::string& cache_root);

// The config Env a traced run implies: the image variables recorded; LANG defaulting to C.UTF-8
// when the trace has none, LC_ALL too when it has no locale variable at all (LC_ALL would override
// a recorded LANG or LC_*) -- both only when `has_locale("C.UTF-8")`: the image can hold its data.
std::vector<std::string> image_env_from_trace(const std::map<std::string, std::string>& recorded,
                                              const std::function<bool(const std::string&)>& has_locale);

}  // namespace cuslim
