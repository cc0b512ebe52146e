// smoke-runtime: the CUDA runtime (shared libcudart) with SASS for sm_80/86/89/90/100/120 + PTX.
// y = a*x + y on fresh random data, every call checked, every element compared.
#include <cuda_runtime.h>

#include <cmath>
#include <random>
#include <vector>

#include "smoke_common.h"

#define CHECK(call)                                                               \
  do {                                                                            \
    cudaError_t e_ = (call);                                                      \
    if (e_ != cudaSuccess) smoke::die("runtime", #call, cudaGetErrorString(e_)); \
  } while (0)

__global__ void saxpy(int n, float a, const float* x, float* y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = a * x[i] + y[i];
}

int main() {
  const int n = 1 << 20;
  int runtime = 0, driver = 0, dev = 0;
  CHECK(cudaRuntimeGetVersion(&runtime));
  CHECK(cudaDriverGetVersion(&driver));
  CHECK(cudaGetDevice(&dev));
  cudaDeviceProp prop;
  CHECK(cudaGetDeviceProperties(&prop, dev));
  std::vector<float> x(n), y(n), want(n);
  std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<float> d(-100.f, 100.f);
  float a = d(rng);
  for (int i = 0; i < n; ++i) x[i] = d(rng), y[i] = d(rng), want[i] = a * x[i] + y[i];
  float *dx, *dy;
  CHECK(cudaMalloc(&dx, n * sizeof(float)));
  CHECK(cudaMalloc(&dy, n * sizeof(float)));
  CHECK(cudaMemcpy(dx, x.data(), n * sizeof(float), cudaMemcpyHostToDevice));
  CHECK(cudaMemcpy(dy, y.data(), n * sizeof(float), cudaMemcpyHostToDevice));
  saxpy<<<(n + 255) / 256, 256>>>(n, a, dx, dy);
  CHECK(cudaGetLastError());
  CHECK(cudaDeviceSynchronize());
  CHECK(cudaMemcpy(y.data(), dy, n * sizeof(float), cudaMemcpyDeviceToHost));
  CHECK(cudaFree(dx));
  CHECK(cudaFree(dy));
  int bad = 0;
  for (int i = 0; i < n; ++i)
    if (std::fabs(y[i] - want[i]) > 1e-3f * (1 + std::fabs(want[i]))) ++bad;
  std::printf("{\"ok\": %s, \"smoke\": \"runtime\", \"device\": \"%s\", \"compute_capability\": \"%d.%d\", \"runtime_version\": %d, "
              "\"driver_version\": %d, \"elements\": %d, \"mismatches\": %d}\n",
              bad ? "false" : "true", smoke::escape(prop.name).c_str(), prop.major, prop.minor, runtime, driver, n, bad);
  return bad ? 1 : 0;
}
