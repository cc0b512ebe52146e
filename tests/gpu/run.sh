#!/usr/bin/env bash
# GPU-machine checks. Builds nothing: takes a prebuilt portable cuslim and the smoke binaries,
# runs the scenarios against the host's own driver, CUDA and PyTorch, and prints a pass/fail
# table. usage: tests/gpu/run.sh [CUSLIM [SMOKE_DIR]]
#   (defaults: build-portable/cuslim and build-portable/kernels)
set -u
here=$(cd "$(dirname "$0")" && pwd)
cuslim=$(readlink -f "${1:-$here/../../build-portable/cuslim}")
smoke_dir=$(readlink -f "${2:-$(dirname "$cuslim")/kernels}")
out=$(mktemp -d /tmp/cuslim-gpu-XXXXXX)
py=$(command -v python3)
results=()
row() { results+=("$(printf '%-4s %s' "$1" "$2")"); }
step() { printf '\n=== %s\n' "$*"; }

torch_dir=$("$py" -c 'import torch,os;print(os.path.dirname(torch.__file__))' 2>/dev/null)
site=$(dirname "$torch_dir")
libcuda=$(ls /usr/local/nvidia/lib64/libcuda.so.1 /usr/lib/x86_64-linux-gnu/libcuda.so.1 2>/dev/null | head -1)
cuobjdump=$(command -v cuobjdump || ls /usr/local/cuda/bin/cuobjdump 2>/dev/null)

step "cuslim deps $libcuda"
"$cuslim" deps "$libcuda"; rc=$?
[ $rc = 0 ] && row PASS "deps libcuda.so.1 (exit 0)" || row FAIL "deps libcuda.so.1 (exit $rc)"

step "cuslim deps --format list $torch_dir/lib/libtorch_cuda.so"
"$cuslim" deps --format list "$torch_dir/lib/libtorch_cuda.so"; rc=$?
ours=$("$cuslim" deps --format json --no-dlopen "$torch_dir/lib/libtorch_cuda.so" | "$py" -c '
import json,sys; d=json.load(sys.stdin); print("\n".join(o["realpath"] for o in d["objects"] if o["realpath"] and not o["path"].endswith("libtorch_cuda.so")))' | LC_ALL=C sort -u)
theirs=$(env -u LD_LIBRARY_PATH ldd "$torch_dir/lib/libtorch_cuda.so" | awk '/=>/ && $3 ~ /^\// {print $3} /^\t\// {print $1}' | xargs -r readlink -f | LC_ALL=C sort -u)
if [ "$ours" = "$theirs" ]; then row PASS "deps libtorch_cuda.so = ldd ($(echo "$ours" | wc -l) objects)"
else row FAIL "deps libtorch_cuda.so differs from ldd"; diff <(echo "$ours") <(echo "$theirs"); fi

step "cuslim deps --format json $site/nvidia/cudnn/lib/libcudnn.so.9 (classes)"
"$cuslim" deps --format json "$site/nvidia/cudnn/lib/libcudnn.so.9" | "$py" -c '
import json,sys; d=json.load(sys.stdin)
for o in d["objects"]: print(o["class"], o["how"], o["path"])
subs=[o for o in d["objects"] if o["name"].startswith("libcudnn_") and o["class"]=="cuda"]
cuda=[o for o in d["objects"] if o["name"]=="libcuda.so.1" and o["class"]=="driver"]
print("cudnn sub-libraries:", len(subs), " libcuda.so.1 driver leaf:", bool(cuda), " missing:", d["missing"])
sys.exit(0 if len(subs)==7 and cuda and not d["missing"] else 1)'; rc=$?
[ $rc = 0 ] && row PASS "deps libcudnn.so.9: 7 sub-libraries cuda, libcuda.so.1 driver leaf" || row FAIL "deps libcudnn.so.9 classes"

step "cuslim driver"
"$cuslim" driver; rc=$?
"$cuslim" driver --json > /tmp/driver.json
ver=$("$py" -c 'import json;d=json.load(open("/tmp/driver.json"));print(d["version"], d["cuda_version"])')
nvsmi=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1)
case "$ver" in "$nvsmi 13.0") row PASS "driver: $ver (nvidia-smi says $nvsmi)";; *) row FAIL "driver: '$ver' vs nvidia-smi '$nvsmi'";; esac

step "cuslim inspect vs cuobjdump"
files=("$site/nvidia/cu13/lib/libcublas.so.13" "$site/nvidia/cudnn/lib/libcudnn_engines_precompiled.so.9" "$torch_dir/lib/libtorch_cuda.so")
"$cuslim" inspect --driver-version "$nvsmi" --gpu-arch 90 "${files[@]}"
if [ -n "$cuobjdump" ]; then
  "$py" "$here/inspect_vs_cuobjdump.py" "$cuslim" "$cuobjdump" "${files[@]}"; rc=$?
  [ $rc = 0 ] && row PASS "inspect = cuobjdump --list-elf --list-ptx on ${#files[@]} libraries" || row FAIL "inspect differs from cuobjdump"
else row SKIP "inspect vs cuobjdump: no cuobjdump on this host"; fi
"$cuslim" inspect "$libcuda"

step "smoke kernels: bundle (FROM scratch, host CUDA libraries), verify --gpu, run"
for k in driver runtime cublas nvrtc nccl; do
  bin="$smoke_dir/smoke-$k"
  [ -x "$bin" ] || { row SKIP "smoke-$k: not built"; continue; }
  "$cuslim" bundle "$bin" -o "$out/smoke-$k" --tag "smoke-$k" | tail -4
  size=$(du -sh "$out/smoke-$k" | cut -f1)
  "$cuslim" verify --gpu "$out/smoke-$k" --junit "$out/smoke-$k.xml"; rc=$?
  [ $rc = 0 ] && row PASS "verify --gpu smoke-$k ($size image)" || row FAIL "verify --gpu smoke-$k"
  res=$("$cuslim" run -v "$out/smoke-$k"); rc=$?
  echo "$res"
  [ $rc = 0 ] && echo "$res" | grep -q '"ok": true' && row PASS "cuslim run smoke-$k: $(echo "$res" | tail -1 | cut -c1-150)" || row FAIL "cuslim run smoke-$k (exit $rc)"
done

gpus=$(nvidia-smi -L 2>/dev/null | wc -l)
if [ -d "$out/smoke-nccl" ]; then
  nccl=$("$cuslim" run "$out/smoke-nccl" 2>/dev/null | tail -1)
  if [ "$gpus" -gt 1 ]; then
    echo "$nccl" | grep -q "\"gpus\": $gpus" && echo "$nccl" | grep -q '"ok": true' && row PASS "smoke-nccl all-reduce across $gpus GPUs" || row FAIL "smoke-nccl across $gpus GPUs: $nccl"
  else
    row INFO "one GPU visible: smoke-nccl ran a single-rank all-reduce; the multi-GPU part was not exercised"
  fi
fi

step "nvcc is not reachable inside a bundle"
"$cuslim" run "$out/smoke-runtime" -- /usr/local/cuda/bin/nvcc --version; rc=$?
"$cuslim" run "$out/smoke-runtime" -- nvcc --version; rc2=$?
[ $rc != 0 ] && [ $rc2 != 0 ] && row PASS "nvcc absent inside the smoke-runtime bundle (exec fails: $rc/$rc2)" || row FAIL "nvcc ran inside the bundle"

step "negative case: a bundle missing a runtime library"
"$cuslim" bundle -q "$smoke_dir/smoke-cublas" -o "$out/broken" --format dir
# Never through the bundle's links: its usr/local/cuda -> /usr/local/cuda-13.0 is the host's.
find "$out/broken" \( -type f -o -type l \) -name 'libcublasLt.so*' -delete
"$cuslim" verify --gpu "$out/broken"; rc=$?
"$cuslim" verify --json "$out/broken" | grep -q 'libcublasLt.so.13' && named=yes || named=no
[ $rc = 1 ] && [ $named = yes ] && row PASS "verify fails on the bundle without libcublasLt and names it" || row FAIL "negative case (exit $rc, named=$named)"

printf '\n=== GPU results\n'
printf '%s\n' "${results[@]}"
! printf '%s\n' "${results[@]}" | grep -q '^FAIL'
