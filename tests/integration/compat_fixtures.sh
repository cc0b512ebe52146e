# shellcheck shell=bash
# Fixtures for CUDA forward compatibility, built at test time with cc (no cuda-compat package can
# be had here: Debian main and PyPI ship none). Each library is a real ELF shared object named as
# NVIDIA names them, with its soname and -- for libcuda -- a .note.cuda.fwd_compatibility section
# holding one ELF note, owner "NVIDIA Corporation", whose payload is the JSON the 580.159.04 driver
# carries ({"format":1,"CUDA version":"13.0","driver":[...],"device":[...]}; reference/nvidia.md
# section 7). Every libcuda exports cuslim_fixture_libcuda(), which says which one was loaded.
#
#   fake_driver_lib OUT SONAME WHICH [NOTE_JSON] [LOADS]  one library (LOADS: a library name it holds)
#   compat_set DIR VERSION NOTE_JSON [gpucomp]     a cuda-compat dir: libcuda, ptxjitcompiler, nvvm,
#                                                  cudadebugger at VERSION, with their soname links;
#                                                  `gpucomp`: its libcuda names libnvidia-gpucomp.so.VERSION
#                                                  (as 580's does), which the set does not hold
#   driver_root DIR VERSION NOTE_JSON              a root holding only a driver's libcuda/libnvidia-ml
#   minimal_root ROOT PROGRAM...                   glibc (loader, libc, libm, libdl, libpthread, librt)
#                                                  and what PROGRAM loads from the host, at their paths

fake_driver_lib() {
  local out=$1 soname=$2 which=$3 note=${4:-} loads=${5:-} src
  src=$(mktemp --suffix=.c)
  {
    echo 'const char* cuslim_fixture_libcuda(void) { return "'"$which"'"; }'
    [ -z "$loads" ] || echo 'const char* cuslim_fixture_loads(void) { return "'"$loads"'"; }'  # a name it would dlopen
    echo 'int cuInit(unsigned flags) { (void)flags; return 0; }'
    if [ -n "$note" ]; then
      # An ELF note as the toolkit's cuda-elf-header.go reads it: namesz, descsz, type, name, desc.
      printf '#define NOTE_JSON "%s"\n' "$(printf '%s' "$note" | sed 's/\\/\\\\/g; s/"/\\"/g')"
      cat <<'C'
struct fwd_note { unsigned namesz, descsz, type; char name[20]; char desc[(sizeof(NOTE_JSON) + 3) & ~3u]; };
__attribute__((section(".note.cuda.fwd_compatibility"), aligned(4), used))
static const struct fwd_note fwd = {19, sizeof(NOTE_JSON) - 1, 1, "NVIDIA Corporation", NOTE_JSON};
C
    fi
  } > "$src"
  mkdir -p "$(dirname "$out")"
  cc -shared -fPIC -Wl,-soname,"$soname" -o "$out" "$src" || { rm -f "$src"; return 1; }
  rm -f "$src"
}

compat_set() {
  local dir=$1 v=$2 note=$3 loads=""
  [ "${4:-}" = gpucomp ] && loads="libnvidia-gpucomp.so.$v"
  mkdir -p "$dir"
  fake_driver_lib "$dir/libcuda.so.$v" libcuda.so.1 "compat $v" "$note" "$loads" || return 1
  fake_driver_lib "$dir/libnvidia-ptxjitcompiler.so.$v" libnvidia-ptxjitcompiler.so.1 "ptxjit $v" || return 1
  fake_driver_lib "$dir/libnvidia-nvvm.so.$v" libnvidia-nvvm.so.4 "nvvm $v" || return 1
  fake_driver_lib "$dir/libcudadebugger.so.$v" libcudadebugger.so.1 "debugger $v" || return 1
  ln -sf "libcuda.so.$v" "$dir/libcuda.so.1"; ln -sf libcuda.so.1 "$dir/libcuda.so"
  ln -sf "libnvidia-ptxjitcompiler.so.$v" "$dir/libnvidia-ptxjitcompiler.so.1"
  ln -sf "libnvidia-nvvm.so.$v" "$dir/libnvidia-nvvm.so.4"
  ln -sf "libcudadebugger.so.$v" "$dir/libcudadebugger.so.1"
}

driver_root() {
  local root=$1 v=$2 note=$3 lib=$1/usr/local/nvidia/lib64
  fake_driver_lib "$lib/libcuda.so.$v" libcuda.so.1 "host $v" "$note" || return 1
  fake_driver_lib "$lib/libnvidia-ml.so.$v" libnvidia-ml.so.1 "nvml $v" || return 1
  ln -sf "libcuda.so.$v" "$lib/libcuda.so.1"
}

minimal_root() {
  local root=$1 f; shift
  local libdir
  libdir=$(dirname "$(ldd /bin/true | grep -o '/[^ ]*libc\.so\.6')")
  for f in $(for p in "$@"; do ldd "$p" | grep -o '/[^ ]*'; done; for l in libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1; do echo "$libdir/$l"; done); do
    [ -e "$f" ] || continue
    mkdir -p "$root$(dirname "$f")"
    cp -L "$f" "$root$f"
  done
}
