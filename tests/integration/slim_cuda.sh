#!/usr/bin/env bash
# slim on a CUDA image: PyPI nvidia wheels (CUDA 12 runtime + NVRTC), the smoke binaries, the
# toolkit's compiler drivers and a driver library in one fat image. The slimmed image must keep
# what the smoke needs (its libcudart), nothing of the toolkit, no driver library (dropped with
# a warning), and pass verify's static checks. Exits 77 with the reason when PyPI is unreachable.
set -u
cuslim=$(readlink -f "$1"); cache=${2:-/var/tmp/cuslim-wheels}
kernels=$(dirname "$cuslim")/kernels
tmp=$(mktemp -d /var/tmp/cuslim-slimcuda-XXXXXX); trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/check_lib.sh"
if [ ! -d "$cache/nvidia" ]; then
  python3 -m pip install -q --no-deps --target "$cache" nvidia-cuda-runtime-cu12 nvidia-cuda-nvrtc-cu12 >/dev/null 2>&1 ||
    { echo "skip: PyPI not reachable for the nvidia wheels"; exit 77; }
fi
smoke=$kernels/smoke-runtime; [ -x "$smoke" ] || smoke=$kernels/smoke-driver
mkdir -p "$tmp/toolkit/bin" "$tmp/drv"
for t in nvcc ptxas fatbinary; do [ -e /usr/local/cuda/bin/$t ] && cp /usr/local/cuda/bin/$t "$tmp/toolkit/bin/" || printf '#!/bin/sh\n' > "$tmp/toolkit/bin/$t"; done
mkdir -p "$tmp/cuda/bin"; cp "$tmp/toolkit/bin/"* "$tmp/cuda/bin/"
echo 'int cuInit(void){return 0;}' > "$tmp/d.c"; cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$tmp/drv/libcuda.so.580.65.06" "$tmp/d.c"
"$cuslim" bundle -q "$smoke" --include "$cache/nvidia" --include "$tmp/cuda/bin" --include "$tmp/drv" \
    -o "$tmp/fat" --tag fat --entrypoint "$smoke" 2>/dev/null
# bundle leaves driver files out of what it writes; a fat image made by other tools has them.
umoci unpack --image "$tmp/fat:fat" "$tmp/fatb" > /dev/null 2>&1 && mkdir -p "$tmp/fatb/rootfs$tmp/drv" &&
  cp "$tmp/drv/libcuda.so.580.65.06" "$tmp/fatb/rootfs$tmp/drv/" && umoci repack --image "$tmp/fat:fat" "$tmp/fatb" > /dev/null 2>&1
check "umoci adds the driver library to the fat image" '[ $? = 0 ]'
check "the fat CUDA image was built" '[ -f "$tmp/fat/index.json" ]'
"$cuslim" slim "$tmp/fat" --from-tag fat -o "$tmp/slim" --format dir > "$tmp/report" 2> "$tmp/warn"; rc=$?
head -1 "$tmp/report"
check "slim exits 0" '[ $rc = 0 ]'
check "the smoke is kept" '[ -x "$tmp/slim$smoke" ]'
if [ "$(basename "$smoke")" = smoke-runtime ]; then
  check "what the smoke needs is kept (libcudart.so.13)" 'find "$tmp/slim" -name "libcudart.so.13*" | grep -q .'
fi
check "nothing of the toolkit is kept (nvcc, ptxas, fatbinary)" '! find "$tmp/slim" -name nvcc -o -name ptxas -o -name fatbinary | grep -q .'
check "no driver library is kept, and slim says it dropped it" '! find "$tmp/slim" -name "libcuda.so*" | grep -q . && grep -q "libcuda.so.580.65.06: driver library in the input, dropped" "$tmp/warn"'
check "the wheels the smoke does not use are gone (libnvrtc.so.12)" '! find "$tmp/slim" -name "libnvrtc.so.12*" | grep -q .'
"$cuslim" verify "$tmp/slim" > "$tmp/verify" 2>&1; rc=$?
check "verify's static checks pass on the slimmed image" '[ $rc = 0 ]' || cat "$tmp/verify"
"$cuslim" verify "$tmp/fat" > /dev/null 2>&1; rc=$?
check "... and fail on the fat one (toolkit and driver inside)" '[ $rc = 1 ]'
finish
