// The CPU features glibc's loader decides by on x86-64 (sysdeps/x86/cpu-features.c), read with
// cpuid once per process: "usable" as glibc means it -- the AVX family only when the OS saves YMM
// state (XCR0), AVX-512 only when it also saves the ZMM state.
#pragma once

namespace cuslim {

struct X86Features {
  bool intel = false;
  bool cx16 = false, lahf = false, popcnt = false, sse3 = false, ssse3 = false, sse4_1 = false, sse4_2 = false;
  bool avx = false, avx2 = false, bmi1 = false, bmi2 = false, f16c = false, fma = false, lzcnt = false, movbe = false;
  bool avx512f = false, avx512bw = false, avx512cd = false, avx512dq = false, avx512vl = false;
  bool avx512er = false, avx512pf = false;
};

// This CPU's features (all false off x86-64).
const X86Features& x86_features();

}  // namespace cuslim
