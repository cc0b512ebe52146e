// smoke-nvrtc: compiles its kernel at run time through NVRTC -- straight to SASS for the GPU in
// front of it -- and runs it through the driver API. The "no nvcc needed" proof.
#include <cuda.h>
#include <nvrtc.h>

#include <random>
#include <string>
#include <vector>

#include "smoke_common.h"

#define CHECK_CU(call)                                                                \
  do {                                                                                \
    CUresult r_ = (call);                                                             \
    if (r_ != CUDA_SUCCESS) {                                                         \
      const char* s_ = nullptr;                                                       \
      cuGetErrorString(r_, &s_);                                                      \
      smoke::die("nvrtc", #call, s_ ? s_ : std::to_string(r_));                       \
    }                                                                                 \
  } while (0)
#define CHECK_RTC(call)                                                               \
  do {                                                                                \
    nvrtcResult r_ = (call);                                                          \
    if (r_ != NVRTC_SUCCESS) smoke::die("nvrtc", #call, nvrtcGetErrorString(r_));     \
  } while (0)

const char* kSource = R"(
extern "C" __global__ void mul_add(const int* a, const int* b, int* out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = a[i] * 3 + b[i];
})";

int main() {
  CHECK_CU(cuInit(0));
  CUdevice dev;
  CHECK_CU(cuDeviceGet(&dev, 0));
  int major = 0, minor = 0, rtc_major = 0, rtc_minor = 0;
  CHECK_CU(cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev));
  CHECK_CU(cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev));
  CHECK_RTC(nvrtcVersion(&rtc_major, &rtc_minor));
  nvrtcProgram prog;
  CHECK_RTC(nvrtcCreateProgram(&prog, kSource, "mul_add.cu", 0, nullptr, nullptr));
  std::string arch = "--gpu-architecture=sm_" + std::to_string(major * 10 + minor);
  const char* opts[] = {arch.c_str()};
  nvrtcResult compiled = nvrtcCompileProgram(prog, 1, opts);
  if (compiled != NVRTC_SUCCESS) {
    size_t n = 0;
    nvrtcGetProgramLogSize(prog, &n);
    std::string log(n, '\0');
    nvrtcGetProgramLog(prog, log.data());
    smoke::die("nvrtc", "nvrtcCompileProgram", log);
  }
  size_t cubin_size = 0;
  CHECK_RTC(nvrtcGetCUBINSize(prog, &cubin_size));
  std::vector<char> cubin(cubin_size);
  CHECK_RTC(nvrtcGetCUBIN(prog, cubin.data()));
  CHECK_RTC(nvrtcDestroyProgram(&prog));
  CUcontext ctx;
  CHECK_CU(cuCtxCreate(&ctx, nullptr, 0, dev));
  CUmodule mod;
  CHECK_CU(cuModuleLoadData(&mod, cubin.data()));
  CUfunction fn;
  CHECK_CU(cuModuleGetFunction(&fn, mod, "mul_add"));
  const int n = 1 << 16;
  std::vector<int> a(n), b(n), out(n, 0);
  std::mt19937 rng(std::random_device{}());
  for (int i = 0; i < n; ++i) a[i] = static_cast<int>(rng() % 10000), b[i] = static_cast<int>(rng() % 10000);
  CUdeviceptr da, db, dout;
  size_t bytes = n * sizeof(int);
  CHECK_CU(cuMemAlloc(&da, bytes));
  CHECK_CU(cuMemAlloc(&db, bytes));
  CHECK_CU(cuMemAlloc(&dout, bytes));
  CHECK_CU(cuMemcpyHtoD(da, a.data(), bytes));
  CHECK_CU(cuMemcpyHtoD(db, b.data(), bytes));
  int nn = n;
  void* params[] = {&da, &db, &dout, &nn};
  CHECK_CU(cuLaunchKernel(fn, (n + 255) / 256, 1, 1, 256, 1, 1, 0, nullptr, params, nullptr));
  CHECK_CU(cuCtxSynchronize());
  CHECK_CU(cuMemcpyDtoH(out.data(), dout, bytes));
  int bad = 0;
  for (int i = 0; i < n; ++i) bad += out[i] != a[i] * 3 + b[i];
  cuMemFree(da);
  cuMemFree(db);
  cuMemFree(dout);
  cuCtxDestroy(ctx);
  std::printf("{\"ok\": %s, \"smoke\": \"nvrtc\", \"nvrtc_version\": \"%d.%d\", \"arch\": \"sm_%d%d\", \"cubin_bytes\": %zu, "
              "\"elements\": %d, \"mismatches\": %d}\n",
              bad ? "false" : "true", rtc_major, rtc_minor, major, minor, cubin_size, n, bad);
  return bad ? 1 : 0;
}
