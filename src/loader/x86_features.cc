#include "loader/x86_features.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace cuslim {

namespace {

X86Features read_features() {
  X86Features f;
#if defined(__x86_64__)
  unsigned max = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(0, &max, &b, &c, &d)) return f;
  f.intel = b == 0x756e6547 && d == 0x49656e69 && c == 0x6c65746e;  // "GenuineIntel"
  unsigned a1 = 0, b1 = 0, c1 = 0, d1 = 0;
  __get_cpuid(1, &a1, &b1, &c1, &d1);
  auto bit = [](unsigned reg, int n) { return ((reg >> n) & 1u) != 0; };
  f.sse3 = bit(c1, 0), f.ssse3 = bit(c1, 9), f.cx16 = bit(c1, 13), f.sse4_1 = bit(c1, 19), f.sse4_2 = bit(c1, 20);
  f.movbe = bit(c1, 22), f.popcnt = bit(c1, 23);
  // XCR0: bits 1-2 (XMM, YMM) for AVX; 5-7 (opmask, ZMM_Hi256, Hi16_ZMM) as well for AVX-512.
  unsigned long long xcr0 = 0;
  if (bit(c1, 27)) {  // OSXSAVE: xgetbv is there
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    xcr0 = (static_cast<unsigned long long>(hi) << 32) | lo;
  }
  bool ymm = (xcr0 & 0x6) == 0x6, zmm = ymm && (xcr0 & 0xe0) == 0xe0;
  f.avx = ymm && bit(c1, 28), f.fma = f.avx && bit(c1, 12), f.f16c = f.avx && bit(c1, 29);
  if (max >= 7) {
    unsigned a7 = 0, b7 = 0, c7 = 0, d7 = 0;
    __get_cpuid_count(7, 0, &a7, &b7, &c7, &d7);
    f.bmi1 = bit(b7, 3), f.bmi2 = bit(b7, 8), f.avx2 = f.avx && bit(b7, 5);
    f.avx512f = zmm && bit(b7, 16);
    f.avx512dq = f.avx512f && bit(b7, 17), f.avx512pf = f.avx512f && bit(b7, 26), f.avx512er = f.avx512f && bit(b7, 27);
    f.avx512cd = f.avx512f && bit(b7, 28), f.avx512bw = f.avx512f && bit(b7, 30), f.avx512vl = f.avx512f && bit(b7, 31);
  }
  unsigned ext = 0;
  __get_cpuid(0x80000000, &ext, &b, &c, &d);
  if (ext >= 0x80000001) {
    unsigned a8 = 0, b8 = 0, c8 = 0, d8 = 0;
    __get_cpuid(0x80000001, &a8, &b8, &c8, &d8);
    f.lahf = bit(c8, 0), f.lzcnt = bit(c8, 5);
  }
#endif
  return f;
}

}  // namespace

// cpuid traps to the hypervisor on a VM: asked once per process, and only when a walk needs it
// (libgcc's __builtin_cpu_supports would ask at every start, in a static constructor).
const X86Features& x86_features() {
  static const X86Features f = read_features();
  return f;
}

}  // namespace cuslim
