// Portable build only: GCC 12's static libstdc++/libgcc reference two symbols that glibc added
// after 2.34 -- arc4random (2.36, std::random_device), arc4random_buf (2.36, static libcrypto or
// libarchive) and _dl_find_object (2.35, the unwinder).
// Defining them here binds those references inside the binary, so it runs on glibc >= 2.34
// (RHEL 9) as well as on newer hosts. Both are built on interfaces glibc has had for long.
#include <dlfcn.h>
#include <link.h>
#include <sys/random.h>

#include <cstdint>
#include <cstring>

extern "C" {

uint32_t arc4random(void) {
  uint32_t v = 0;
  while (getrandom(&v, sizeof v, 0) != static_cast<ssize_t>(sizeof v)) {
  }
  return v;
}

void arc4random_buf(void* buf, size_t n) {
  auto* p = static_cast<char*>(buf);
  while (n) {
    ssize_t got = getrandom(p, n, 0);
    if (got > 0) p += got, n -= static_cast<size_t>(got);
  }
}

namespace {
struct FindArg {
  uintptr_t pc;
  dl_find_object* out;
  bool found;
};

int find_cb(dl_phdr_info* info, size_t, void* data) {
  auto* a = static_cast<FindArg*>(data);
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  const void* eh = nullptr;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const auto& ph = info->dlpi_phdr[i];
    if (ph.p_type == PT_LOAD) {
      uintptr_t start = info->dlpi_addr + ph.p_vaddr;
      if (start < lo) lo = start;
      if (start + ph.p_memsz > hi) hi = start + ph.p_memsz;
    } else if (ph.p_type == PT_GNU_EH_FRAME) {
      eh = reinterpret_cast<const void*>(info->dlpi_addr + ph.p_vaddr);
    }
  }
  if (a->pc < lo || a->pc >= hi) return 0;
  std::memset(a->out, 0, sizeof *a->out);
  a->out->dlfo_map_start = reinterpret_cast<void*>(lo);
  a->out->dlfo_map_end = reinterpret_cast<void*>(hi);
  a->out->dlfo_eh_frame = const_cast<void*>(eh);
  a->found = true;
  return 1;
}
}  // namespace

int _dl_find_object(void* pc, dl_find_object* result) {
  FindArg a{reinterpret_cast<uintptr_t>(pc), result, false};
  dl_iterate_phdr(find_cb, &a);
  return a.found ? 0 : -1;
}

}  // extern "C"
