// smoke-driver: proves a GPU runs work with nothing but the host driver. No CUDA toolkit at build
// or run time: dlopen("libcuda.so.1"), JIT a PTX vector add written at a low PTX ISA (any
// current driver takes it), run it on fresh random data, check every call and every element,
// print JSON. Exit 0 only when the result is right.
#include <dlfcn.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

using CUresult = int;
using CUdevice = int;
using CUcontext = void*;
using CUmodule = void*;
using CUfunction = void*;
using CUdeviceptr = unsigned long long;
constexpr int kAttrCcMajor = 75, kAttrCcMinor = 76;  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_*

// out[i] = a[i] + b[i]
const char* kPtx = R"(
.version 6.0
.target sm_50
.address_size 64
.visible .entry vadd(.param .u64 a, .param .u64 b, .param .u64 out, .param .u32 n) {
  .reg .pred p; .reg .b32 r<5>; .reg .f32 f<4>; .reg .b64 rd<11>;
  ld.param.u64 rd1, [a]; ld.param.u64 rd2, [b]; ld.param.u64 rd3, [out]; ld.param.u32 r1, [n];
  mov.u32 r2, %ctaid.x; mov.u32 r3, %ntid.x; mov.u32 r4, %tid.x;
  mad.lo.s32 r2, r2, r3, r4;
  setp.ge.u32 p, r2, r1;
  @p bra done;
  cvta.to.global.u64 rd4, rd1; cvta.to.global.u64 rd5, rd2; cvta.to.global.u64 rd6, rd3;
  mul.wide.u32 rd7, r2, 4;
  add.s64 rd8, rd4, rd7; add.s64 rd9, rd5, rd7; add.s64 rd10, rd6, rd7;
  ld.global.f32 f1, [rd8]; ld.global.f32 f2, [rd9];
  add.f32 f3, f1, f2;
  st.global.f32 [rd10], f3;
done:
  ret;
}
)";

struct Api {
  void* lib = nullptr;
#define CUSLIM_SYM(name, ...) CUresult (*name)(__VA_ARGS__) = nullptr;
  CUSLIM_SYM(cuInit, unsigned)
  CUSLIM_SYM(cuDriverGetVersion, int*)
  CUSLIM_SYM(cuDeviceGetCount, int*)
  CUSLIM_SYM(cuDeviceGet, CUdevice*, int)
  CUSLIM_SYM(cuDeviceGetName, char*, int, CUdevice)
  CUSLIM_SYM(cuDeviceGetAttribute, int*, int, CUdevice)
  CUSLIM_SYM(cuCtxCreate_v2, CUcontext*, unsigned, CUdevice)
  CUSLIM_SYM(cuCtxDestroy_v2, CUcontext)
  CUSLIM_SYM(cuModuleLoadData, CUmodule*, const void*)
  CUSLIM_SYM(cuModuleGetFunction, CUfunction*, CUmodule, const char*)
  CUSLIM_SYM(cuMemAlloc_v2, CUdeviceptr*, size_t)
  CUSLIM_SYM(cuMemFree_v2, CUdeviceptr)
  CUSLIM_SYM(cuMemcpyHtoD_v2, CUdeviceptr, const void*, size_t)
  CUSLIM_SYM(cuMemcpyDtoH_v2, void*, CUdeviceptr, size_t)
  CUSLIM_SYM(cuLaunchKernel, CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, void*, void**, void**)
  CUSLIM_SYM(cuCtxSynchronize)
  CUSLIM_SYM(cuGetErrorString, CUresult, const char**)
#undef CUSLIM_SYM
};

std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) o += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return o;
}

[[noreturn]] void die(const std::string& step, const std::string& why) {
  std::printf("{\"ok\": false, \"step\": \"%s\", \"error\": \"%s\"}\n", escape(step).c_str(), escape(why).c_str());
  std::exit(1);
}

void check(const Api& api, CUresult r, const char* step) {
  if (r == 0) return;
  const char* s = nullptr;
  if (api.cuGetErrorString) api.cuGetErrorString(r, &s);
  die(step, "CUresult " + std::to_string(r) + (s ? std::string(" (") + s + ")" : ""));
}

template <class F>
void load(Api& api, F& fn, const char* name) {
  fn = reinterpret_cast<F>(dlsym(api.lib, name));
  if (!fn) die("dlsym", std::string("libcuda.so.1 has no ") + name);
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 1 << 20;
  Api api;
  api.lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!api.lib) die("dlopen", dlerror());
#define CUSLIM_LOAD(name) load(api, api.name, #name)
  CUSLIM_LOAD(cuGetErrorString); CUSLIM_LOAD(cuInit); CUSLIM_LOAD(cuDriverGetVersion); CUSLIM_LOAD(cuDeviceGetCount);
  CUSLIM_LOAD(cuDeviceGet); CUSLIM_LOAD(cuDeviceGetName); CUSLIM_LOAD(cuDeviceGetAttribute); CUSLIM_LOAD(cuCtxCreate_v2);
  CUSLIM_LOAD(cuCtxDestroy_v2); CUSLIM_LOAD(cuModuleLoadData); CUSLIM_LOAD(cuModuleGetFunction); CUSLIM_LOAD(cuMemAlloc_v2);
  CUSLIM_LOAD(cuMemFree_v2); CUSLIM_LOAD(cuMemcpyHtoD_v2); CUSLIM_LOAD(cuMemcpyDtoH_v2); CUSLIM_LOAD(cuLaunchKernel);
  CUSLIM_LOAD(cuCtxSynchronize);
#undef CUSLIM_LOAD
  check(api, api.cuInit(0), "cuInit");
  int driver = 0, count = 0, major = 0, minor = 0;
  check(api, api.cuDriverGetVersion(&driver), "cuDriverGetVersion");
  check(api, api.cuDeviceGetCount(&count), "cuDeviceGetCount");
  if (count < 1) die("cuDeviceGetCount", "no CUDA device visible");
  CUdevice dev;
  check(api, api.cuDeviceGet(&dev, 0), "cuDeviceGet");
  char name[256] = {};
  check(api, api.cuDeviceGetName(name, sizeof name, dev), "cuDeviceGetName");
  check(api, api.cuDeviceGetAttribute(&major, kAttrCcMajor, dev), "cuDeviceGetAttribute(major)");
  check(api, api.cuDeviceGetAttribute(&minor, kAttrCcMinor, dev), "cuDeviceGetAttribute(minor)");
  CUcontext ctx;
  check(api, api.cuCtxCreate_v2(&ctx, 0, dev), "cuCtxCreate");
  CUmodule mod;
  check(api, api.cuModuleLoadData(&mod, kPtx), "cuModuleLoadData (PTX JIT)");
  CUfunction fn;
  check(api, api.cuModuleGetFunction(&fn, mod, "vadd"), "cuModuleGetFunction");

  std::vector<float> a(n), b(n), out(n, -1.f);
  std::mt19937 rng(std::random_device{}());  // fresh data every run
  std::uniform_real_distribution<float> dist(-1000.f, 1000.f);
  for (int i = 0; i < n; ++i) a[i] = dist(rng), b[i] = dist(rng);
  size_t bytes = sizeof(float) * static_cast<size_t>(n);
  CUdeviceptr da, db, dout;
  check(api, api.cuMemAlloc_v2(&da, bytes), "cuMemAlloc");
  check(api, api.cuMemAlloc_v2(&db, bytes), "cuMemAlloc");
  check(api, api.cuMemAlloc_v2(&dout, bytes), "cuMemAlloc");
  check(api, api.cuMemcpyHtoD_v2(da, a.data(), bytes), "cuMemcpyHtoD");
  check(api, api.cuMemcpyHtoD_v2(db, b.data(), bytes), "cuMemcpyHtoD");
  unsigned un = static_cast<unsigned>(n);
  void* params[] = {&da, &db, &dout, &un};
  auto t0 = std::chrono::steady_clock::now();
  check(api, api.cuLaunchKernel(fn, (un + 255) / 256, 1, 1, 256, 1, 1, 0, nullptr, params, nullptr), "cuLaunchKernel");
  check(api, api.cuCtxSynchronize(), "cuCtxSynchronize");
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  check(api, api.cuMemcpyDtoH_v2(out.data(), dout, bytes), "cuMemcpyDtoH");
  int bad = 0;
  for (int i = 0; i < n; ++i)
    if (out[i] != a[i] + b[i]) ++bad;
  api.cuMemFree_v2(da);
  api.cuMemFree_v2(db);
  api.cuMemFree_v2(dout);
  api.cuCtxDestroy_v2(ctx);
  std::printf("{\"ok\": %s, \"smoke\": \"driver\", \"device\": \"%s\", \"compute_capability\": \"%d.%d\", "
              "\"driver_cuda_version\": %d, \"elements\": %d, \"mismatches\": %d, \"kernel_ms\": %.3f}\n",
              bad ? "false" : "true", escape(name).c_str(), major, minor, driver, n, bad, ms);
  return bad ? 1 : 0;
}
