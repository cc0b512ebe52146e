// smoke-nccl: one process, ncclCommInitAll over every visible GPU, an all-reduce (sum) of known
// random data checked on every rank, bus bandwidth reported. With one GPU it is a single-rank
// all-reduce and says so. NVLink SHARP (NVLS) stays off: NCCL_NVLS_ENABLE=0 unless set.
#include <cuda_runtime.h>
#include <nccl.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <vector>

#include "smoke_common.h"

#define CHECK(call)                                                            \
  do {                                                                         \
    cudaError_t e_ = (call);                                                   \
    if (e_ != cudaSuccess) smoke::die("nccl", #call, cudaGetErrorString(e_)); \
  } while (0)
#define CHECK_NCCL(call)                                                           \
  do {                                                                             \
    ncclResult_t r_ = (call);                                                      \
    if (r_ != ncclSuccess) smoke::die("nccl", #call, ncclGetErrorString(r_));      \
  } while (0)

int main(int argc, char** argv) {
  setenv("NCCL_NVLS_ENABLE", "0", 0);
  const size_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : (32u << 20);  // floats per rank
  int ndev = 0, version = 0;
  CHECK(cudaGetDeviceCount(&ndev));
  if (ndev < 1) smoke::die("nccl", "cudaGetDeviceCount", "no GPU visible");
  CHECK_NCCL(ncclGetVersion(&version));
  std::vector<ncclComm_t> comms(ndev);
  CHECK_NCCL(ncclCommInitAll(comms.data(), ndev, nullptr));
  // Rank r holds small integers (exact in fp32 sums): element i = (seed_r + i) % 97.
  std::mt19937 rng(std::random_device{}());
  std::vector<unsigned> seeds(ndev);
  for (auto& s : seeds) s = rng() % 1000;
  std::vector<float*> send(ndev), recv(ndev);
  std::vector<cudaStream_t> streams(ndev);
  for (int r = 0; r < ndev; ++r) {
    CHECK(cudaSetDevice(r));
    CHECK(cudaMalloc(&send[r], count * sizeof(float)));
    CHECK(cudaMalloc(&recv[r], count * sizeof(float)));
    CHECK(cudaStreamCreate(&streams[r]));
    std::vector<float> host(count);
    for (size_t i = 0; i < count; ++i) host[i] = static_cast<float>((seeds[r] + i) % 97);
    CHECK(cudaMemcpy(send[r], host.data(), count * sizeof(float), cudaMemcpyHostToDevice));
  }
  auto allreduce = [&] {
    CHECK_NCCL(ncclGroupStart());
    for (int r = 0; r < ndev; ++r) CHECK_NCCL(ncclAllReduce(send[r], recv[r], count, ncclFloat, ncclSum, comms[r], streams[r]));
    CHECK_NCCL(ncclGroupEnd());
    for (int r = 0; r < ndev; ++r) {
      CHECK(cudaSetDevice(r));
      CHECK(cudaStreamSynchronize(streams[r]));
    }
  };
  allreduce();  // warm-up
  const int iters = 5;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) allreduce();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / iters;
  long bad = 0;
  for (int r = 0; r < ndev; ++r) {
    std::vector<float> host(count);
    CHECK(cudaSetDevice(r));
    CHECK(cudaMemcpy(host.data(), recv[r], count * sizeof(float), cudaMemcpyDeviceToHost));
    for (size_t i = 0; i < count; ++i) {
      float want = 0;
      for (int q = 0; q < ndev; ++q) want += static_cast<float>((seeds[q] + i) % 97);
      bad += host[i] != want;
    }
    CHECK(cudaFree(send[r]));
    CHECK(cudaFree(recv[r]));
    ncclCommDestroy(comms[r]);
  }
  double bytes = static_cast<double>(count * sizeof(float));
  double algbw = bytes / s / 1e9, busbw = ndev > 1 ? algbw * 2.0 * (ndev - 1) / ndev : algbw;
  std::printf("{\"ok\": %s, \"smoke\": \"nccl\", \"gpus\": %d, \"nccl_version\": %d, \"bytes_per_rank\": %.0f, \"mismatches\": %ld, "
              "\"algbw_GBps\": %.1f, \"busbw_GBps\": %.1f, \"multi_gpu\": %s%s}\n",
              bad ? "false" : "true", ndev, version, bytes, bad, algbw, busbw, ndev > 1 ? "true" : "false",
              ndev > 1 ? "" : ", \"note\": \"one GPU visible: single-rank all-reduce, the multi-GPU part was not exercised\"");
  return bad ? 1 : 0;
}
