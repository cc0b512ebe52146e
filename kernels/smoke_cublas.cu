// smoke-cublas: an SGEMM through cuBLAS checked against a CPU reference.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cmath>
#include <random>
#include <vector>

#include "smoke_common.h"

#define CHECK(call)                                                              \
  do {                                                                           \
    cudaError_t e_ = (call);                                                     \
    if (e_ != cudaSuccess) smoke::die("cublas", #call, cudaGetErrorString(e_)); \
  } while (0)
#define CHECK_BLAS(call)                                                                    \
  do {                                                                                      \
    cublasStatus_t s_ = (call);                                                             \
    if (s_ != CUBLAS_STATUS_SUCCESS) smoke::die("cublas", #call, cublasGetStatusString(s_)); \
  } while (0)

int main() {
  const int n = 256;
  std::vector<float> a(n * n), b(n * n), c(n * n), ref(n * n, 0.f);
  std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  for (auto& v : a) v = d(rng);
  for (auto& v : b) v = d(rng);
  for (int j = 0; j < n; ++j)  // column-major C = A * B
    for (int k = 0; k < n; ++k)
      for (int i = 0; i < n; ++i) ref[i + j * n] += a[i + k * n] * b[k + j * n];
  float *da, *db, *dc;
  size_t bytes = n * n * sizeof(float);
  CHECK(cudaMalloc(&da, bytes));
  CHECK(cudaMalloc(&db, bytes));
  CHECK(cudaMalloc(&dc, bytes));
  CHECK(cudaMemcpy(da, a.data(), bytes, cudaMemcpyHostToDevice));
  CHECK(cudaMemcpy(db, b.data(), bytes, cudaMemcpyHostToDevice));
  cublasHandle_t h;
  CHECK_BLAS(cublasCreate(&h));
  CHECK_BLAS(cublasSetMathMode(h, CUBLAS_PEDANTIC_MATH));  // exact fp32, no TF32
  int version = 0;
  CHECK_BLAS(cublasGetVersion(h, &version));
  const float one = 1.f, zero = 0.f;
  CHECK_BLAS(cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, da, n, db, n, &zero, dc, n));
  CHECK(cudaDeviceSynchronize());
  CHECK(cudaMemcpy(c.data(), dc, bytes, cudaMemcpyDeviceToHost));
  CHECK_BLAS(cublasDestroy(h));
  CHECK(cudaFree(da));
  CHECK(cudaFree(db));
  CHECK(cudaFree(dc));
  int bad = 0;
  double max_err = 0;
  for (int i = 0; i < n * n; ++i) {
    double err = std::fabs(c[i] - ref[i]);
    max_err = std::max(max_err, err);
    if (err > 1e-3 * (1 + std::fabs(ref[i]))) ++bad;
  }
  std::printf("{\"ok\": %s, \"smoke\": \"cublas\", \"cublas_version\": %d, \"n\": %d, \"mismatches\": %d, \"max_abs_error\": %.3g}\n",
              bad ? "false" : "true", version, n, bad, max_err);
  return bad ? 1 : 0;
}
