// y = A x with cuBLAS (SGEMV), checked on the CPU.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <vector>

int main() {
  const int n = 512;
  std::vector<float> a(n * n), x(n), y(n);
  for (int i = 0; i < n * n; ++i) a[i] = static_cast<float>((i % 7) - 3);
  for (int i = 0; i < n; ++i) x[i] = static_cast<float>(i % 5);
  float *da, *dx, *dy;
  if (cudaMalloc(&da, a.size() * 4) || cudaMalloc(&dx, n * 4) || cudaMalloc(&dy, n * 4)) return std::puts("cudaMalloc failed"), 1;
  cudaMemcpy(da, a.data(), a.size() * 4, cudaMemcpyHostToDevice);
  cudaMemcpy(dx, x.data(), n * 4, cudaMemcpyHostToDevice);
  cublasHandle_t h;
  if (cublasCreate(&h) != CUBLAS_STATUS_SUCCESS) return std::puts("cublasCreate failed"), 1;
  const float one = 1, zero = 0;
  cublasSgemv(h, CUBLAS_OP_N, n, n, &one, da, n, dx, 1, &zero, dy, 1);
  cudaMemcpy(y.data(), dy, n * 4, cudaMemcpyDeviceToHost);
  int bad = 0;
  for (int i = 0; i < n; ++i) {
    double want = 0;
    for (int k = 0; k < n; ++k) want += a[i + k * n] * x[k];
    bad += std::fabs(y[i] - want) > 1e-2;
  }
  std::printf("cublas-app: %s (%d mismatches)\n", bad ? "FAILED" : "ok", bad);
  cublasDestroy(h);
  return bad != 0;
}
