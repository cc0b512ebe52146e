#include "verify/framework_smokes.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "core/atomic_file.h"
#include "core/path.h"
#include "core/root.h"
#include "core/unique_fd.h"
#include "jit/jit_needs.h"
#include "python/distribution.h"
#include "trace/run_environment.h"
#include "core/fs.h"

namespace cuslim {

namespace {

constexpr const char* kTorch = R"PY(
import torch, torch.nn.functional as F
torch.manual_seed(0)
x, w = torch.randn(8, 3, 16, 16), torch.randn(4, 3, 3, 3)
def f(x, w):
    return (F.conv2d(x, w, padding=1).relu() @ torch.ones(16, 16, device=x.device)).sum()
wr = w.clone().requires_grad_(); ref = f(x, wr); ref.backward()
wg = w.cuda().requires_grad_(); out = f(x.cuda(), wg); out.backward()
a = torch.randn(128, 128)
err = max(abs(out.item() - ref.item()) / abs(ref.item()), ((wg.grad.cpu() - wr.grad).abs().max() / wr.grad.abs().max()).item(),
          (((a.cuda() @ a.cuda()).cpu() - a @ a).abs().max() / (a @ a).abs().max()).item())
assert err < 1e-2, err
print(f"torch {torch.__version__}: matmul, convolution (cuDNN {torch.backends.cudnn.version()}), backward on {torch.cuda.get_device_name(0)}: max rel err {err:.1e}")
)PY";

constexpr const char* kTorchCompile = R"PY(
import torch
def g(x):
    return torch.sin(x) * 2 + torch.cos(x) * x
x = torch.linspace(-3, 3, 4096)
c = torch.compile(g)
err = (c(x.cuda()).cpu() - g(x)).abs().max().item()
assert err < 1e-4, err
print(f"torch.compile (Inductor + Triton, cold cache): max abs err {err:.1e}")
)PY";

constexpr const char* kJax = R"PY(
import numpy as np, jax, jax.numpy as jnp
x = np.linspace(-2, 2, 1000).astype(np.float32)
grad = jax.jit(jax.grad(lambda v: jnp.sum(jnp.tanh(v) ** 2)))
got = np.asarray(grad(jnp.asarray(x)))
ref = 2 * np.tanh(x) * (1 - np.tanh(x) ** 2)
err = float(np.abs(got - ref).max())
assert err < 1e-4 and jax.devices()[0].platform == "gpu", (err, jax.devices())
print(f"jax {jax.__version__}: jit(grad) on {jax.devices()[0].device_kind}: max abs err {err:.1e}")
)PY";

constexpr const char* kCupy = R"PY(
import numpy as np, cupy as cp
x = np.random.default_rng(0).standard_normal(4096).astype(np.float32)
k = cp.ElementwiseKernel("float32 a", "float32 b", "b = a * a + 1.0f", "cuslim_square_plus_one")
e1 = float(np.abs(cp.asnumpy(k(cp.asarray(x))) - (x * x + 1)).max())
e2 = float(np.abs(cp.asnumpy(cp.fft.fft(cp.asarray(x))) - np.fft.fft(x)).max() / np.abs(np.fft.fft(x)).max())
assert e1 < 1e-5 and e2 < 1e-4, (e1, e2)
print(f"cupy {cp.__version__}: ElementwiseKernel (NVRTC, cold cache) + FFT: max err {max(e1, e2):.1e}")
)PY";

constexpr const char* kNumba = R"PY(
import numpy as np
from numba import cuda
@cuda.jit
def add(a, b, out):
    i = cuda.grid(1)
    if i < out.size:
        out[i] = a[i] * 2 + b[i]
a, b = np.arange(1024, dtype=np.float32), np.ones(1024, dtype=np.float32)
out = np.zeros_like(a)
add[4, 256](a, b, out)
assert np.array_equal(out, a * 2 + b)
print("numba-cuda: @cuda.jit kernel (NVVM, cold cache): exact")
)PY";

std::string last_lines(const std::string& s, size_t n) {
  size_t at = s.size();
  for (size_t i = 0; i < n && at != std::string::npos && at > 0; ++i) at = s.rfind('\n', at - 1);
  return at == std::string::npos || at == 0 ? s : s.substr(at + 1);
}

}  // namespace

std::string timed_out_detail(unsigned seconds, const std::string& output) {
  return "killed after " + std::to_string(seconds) + " s (--smoke-timeout): the smoke hung or was too slow" +
         (output.empty() ? "" : "; its last output: " + last_lines(output, 3));
}

const std::vector<FrameworkSmoke>& framework_smokes() {
  static const std::vector<FrameworkSmoke> s{
      {"torch", {"torch"}, kTorch},
      {"torch.compile", {"torch", "triton"}, kTorchCompile},
      {"jax", {"jax"}, kJax},
      {"cupy", {}, kCupy},
      {"numba-cuda", {"numba", "numba-cuda"}, kNumba},
  };
  return s;
}

std::string image_python(const std::string& rootfs, const std::vector<std::string>& entrypoint, const std::vector<std::string>& site_dirs) {
  Root root(rootfs);
  // The interpreter of the site dir that holds the frameworks first: an Entrypoint of the base
  // interpreter (/usr/bin/python3.11) does not see a venv's site-packages.
  for (auto& site : site_dirs)  // <venv>/lib/pythonX.Y/site-packages -> <venv>/bin/python3
    for (const char* name : {"bin/python3", "bin/python"})
      if (std::string py = path::join(path::dirname(path::dirname(path::dirname(site))), name); root.stat(py)) return py;
  if (!entrypoint.empty() && path::basename(entrypoint[0]).starts_with("python")) return entrypoint[0];
  for (auto* p : {"/usr/bin/python3", "/usr/local/bin/python3"})
    if (root.stat(p)) return p;
  return "";
}

std::vector<Check> run_framework_smokes(const SandboxSpec& prepared, const std::string& rootfs, const std::vector<std::string>& entrypoint,
                                        const std::string& staging) {
  std::vector<Check> out;
  Root root(rootfs);
  std::vector<std::string> paths;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(rootfs, ec); !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    if (std::error_code e2; !it->is_directory(e2)) paths.push_back("/" + it->path().lexically_relative(rootfs).string());
  auto present = distributions_present(root, paths);
  bool cupy = false;
  for (auto& d : present) cupy |= d.rfind("cupy", 0) == 0;
  std::vector<std::string> sites;
  for (auto& s : site_dirs_of(paths)) sites.push_back(s);
  std::string py = image_python(rootfs, entrypoint, sites);
  for (auto& smoke : framework_smokes()) {
    bool here = smoke.name == "cupy" ? cupy : !smoke.needs.empty();
    for (auto& n : smoke.needs) here = here && present.count(n);
    if (smoke.name == "jax")  // CPU-only JAX has nothing to run on the GPU
      here = here && (present.count("jax-cuda13-plugin") || present.count("jax-cuda12-plugin"));
    if (!here) continue;
    std::string name = "framework-smoke " + smoke.name;
    if (py.empty()) {
      out.push_back({name, CheckStatus::fail, "the image holds " + smoke.name + " but no Python interpreter was found"});
      continue;
    }
    std::string script = staging + "/smoke-" + smoke.name + ".py", log = staging + "/smoke-" + smoke.name + ".out";
    if (auto st = write_file_atomic(script, smoke.script, Durability::rename_only); !st.ok()) {
      out.push_back({name, CheckStatus::fail, st.error().message()});
      continue;
    }
    SandboxSpec spec = prepared;
    spec.binds.push_back({script, "/.cuslim/smoke.py", true});
    spec.argv = {py, "/.cuslim/smoke.py"};
    spec.env = with_cold_caches(spec.env, "/tmp/cuslim-cold-caches");  // /tmp is a fresh tmpfs: cold
    UniqueFd fd(::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) {
      out.push_back({name, CheckStatus::fail, Error::from_errno(log, errno).message()});
      continue;
    }
    spec.stdout_fd = fd.get();
    auto t0 = std::chrono::steady_clock::now();
    bool timed_out = false;
    auto rc = run_sandbox(spec, &timed_out);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fd.reset();
    std::ostringstream took;
    took << std::fixed << std::setprecision(1) << secs << " s";
    std::string text = read_smoke_log(log);
    if (!rc.ok()) out.push_back({name, CheckStatus::fail, rc.error().message()});
    else if (timed_out) out.push_back({name, CheckStatus::fail, timed_out_detail(spec.timeout_s, last_lines(text, 3))});
    else if (*rc == 0) out.push_back({name, CheckStatus::pass, last_lines(text, 1) + " (" + took.str() + ")"});
    else out.push_back({name, CheckStatus::fail, "exit " + std::to_string(*rc) + " after " + took.str() + ": " + last_lines(text, 3)});
  }
  return out;
}

std::string read_smoke_log(const std::string& file) {
  std::string out = read_regular_file(file).value_or("");
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace cuslim
