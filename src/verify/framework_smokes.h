// verify --gpu, framework smokes: when the image holds torch, torch with triton, jax, cupy or
// numba-cuda, a tiny built-in script per framework runs inside the sandbox with the image's
// Python, cold JIT caches (a fresh /tmp) and only the host driver injected, comparing the GPU's
// answer with a CPU reference: a matmul + convolution + backward; a torch.compile'd function; a
// jax.jit'ed gradient; a CuPy elementwise kernel + FFT; a Numba kernel.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "sandbox/sandbox.h"
#include "verify/verifier.h"

namespace cuslim {

struct FrameworkSmoke {
  std::string name;                  // "torch", "torch.compile", "jax", "cupy", "numba-cuda"
  std::vector<std::string> needs;    // distributions (all of them present)
  const char* script;
};
const std::vector<FrameworkSmoke>& framework_smokes();

// A smoke's check detail when it ran past `seconds` and was killed, with what it printed last.
std::string timed_out_detail(unsigned seconds, const std::string& output);

// The image's Python: the entrypoint when it is one, else a venv's or the system's python3.
std::string image_python(const std::string& rootfs, const std::vector<std::string>& entrypoint, const std::vector<std::string>& site_dirs);

// Runs every smoke whose distributions the image holds; one check each ("framework-smoke torch").
std::vector<Check> run_framework_smokes(const SandboxSpec& prepared, const std::string& rootfs, const std::vector<std::string>& entrypoint,
                                        const std::string& staging);

// A smoke's captured output (its log file), trailing newlines dropped; "" when unreadable.
std::string read_smoke_log(const std::string& file);

}  // namespace cuslim
