#!/usr/bin/env bash
# GPU machine: Python + CUDA applications from minimal images. For each workload -- a PyTorch
# training step (cuDNN conv, autocast), a CuPy program (ElementwiseKernel/RawKernel via NVRTC,
# cupy.fft, matmul), a JAX jit program -- run it on the host with the venv's python, trace it
# (`cuslim trace --files`, cold caches), bundle the venv's python FROM scratch with the trace,
# `cuslim verify --json` (and `--gpu`), `cuslim run` it with the host driver injected, compare
# the output with the host's, measure the image, and list its layers for driver files and nvcc.
# The three workloads run side by side (one pipeline each); every step is time-boxed and a
# failing step is reported with its stderr tail. Prints a table at the end.
# usage: tests/gpu/python_apps.sh [DIR]   DIR holds cuslim, libcuslim-audit.so, kernels/smoke-*
#        (default: build-portable). Env: PY (default /opt/torch/.venv/bin/python3), BUDGET
#        (seconds for the whole run, default 540), WORKLOADS (default "torch cupy jax plain"; plain is
#        a CPU-only control), OUT (where logs and the table go; default /tmp/cuslim-python-apps).
set -u
here=$(cd "$(dirname "$0")" && pwd)
dir=$(readlink -f "${1:-$here/../../build-portable}")
cuslim=$dir/cuslim
export PYTHONUNBUFFERED=1 NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
out=${OUT:-/tmp/cuslim-python-apps}; mkdir -p "$out"
W=/opt/cuslim-gpu   # not /tmp: `cuslim run` mounts a fresh tmpfs there
rm -rf "$W"; mkdir -p "$W"
PY=${PY:-/opt/torch/.venv/bin/python3}; [ -x "$PY" ] || PY=$(command -v python3)
WORKLOADS=${WORKLOADS:-torch cupy jax plain}
BUDGET=${BUDGET:-540}; t0=$(date +%s); deadline=$((t0 + BUDGET))

# ---- the workloads -------------------------------------------------------------------------------
cat > "$W/torch_train.py" <<'PY'
# A PyTorch training step: a small CNN, forward + backward + optimizer step, cuDNN convolutions,
# torch.autocast (float16) with a GradScaler, fixed seed; deterministic cuDNN so the numbers repeat.
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
torch.backends.cudnn.benchmark = False
torch.backends.cudnn.deterministic = True
dev = "cuda"
model = nn.Sequential(
    nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10),
).to(dev)
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
scaler = torch.amp.GradScaler("cuda")
x = torch.randn(64, 3, 32, 32, device=dev)
y = torch.randint(0, 10, (64,), device=dev)
losses = []
for _ in range(5):
    opt.zero_grad(set_to_none=True)
    with torch.autocast("cuda", dtype=torch.float16):
        loss = F.cross_entropy(model(x), y)
    scaler.scale(loss).backward()
    scaler.step(opt)
    scaler.update()
    losses.append(round(loss.item(), 4))
torch.cuda.synchronize()
print(f"torch {torch.__version__} cuda {torch.version.cuda} cudnn {torch.backends.cudnn.version()} "
      f"on {torch.cuda.get_device_name(0)}")
print(f"loss {losses[-1]:.4f} losses {losses} wsum {sum(p.float().sum().item() for p in model.parameters()):.3f}")
PY
cat > "$W/cupy_app.py" <<'PY'
# CuPy: an ElementwiseKernel and a RawKernel (both compiled at run time through NVRTC), cupy.fft
# and a matmul (cuBLAS); rounded checksums.
import cupy as cp

ew = cp.ElementwiseKernel("float32 x, float32 y", "float32 z", "z = x * x + 2.0f * y", "cuslim_ew")
raw = cp.RawKernel(r'''
extern "C" __global__ void cuslim_scale(const float* a, float* b, int n) {
  int i = blockDim.x * blockIdx.x + threadIdx.x;
  if (i < n) b[i] = 3.0f * a[i] - 1.0f;
}''', "cuslim_scale")
rs = cp.random.RandomState(seed=0)
n = 1 << 16
a = rs.standard_normal(n, dtype=cp.float32)
b = rs.standard_normal(n, dtype=cp.float32)
z = ew(a, b)
w = cp.empty_like(a)
raw(((n + 255) // 256,), (256,), (a, w, cp.int32(n)))
f = cp.fft.fft(a)
m = rs.standard_normal((256, 256), dtype=cp.float32)
mm = m @ m.T
cp.cuda.Device().synchronize()
print(f"cupy {cp.__version__} cuda runtime {cp.cuda.runtime.runtimeGetVersion()} on {cp.cuda.runtime.getDeviceProperties(0)['name'].decode()}")
print(f"elementwise {float(z.sum()):.3f} raw {float(w.sum()):.3f} fft {float(cp.abs(f).sum()):.2f} "
      f"matmul {float(cp.trace(mm)):.2f}")
PY
cat > "$W/jax_app.py" <<'PY'
# JAX: jax.jit of a small function on the GPU; a rounded result and jax.devices().
import os
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")  # other workloads share the GPU
import jax
import jax.numpy as jnp


@jax.jit
def f(x, w):
    h = jnp.tanh(x @ w)
    return jnp.sum(h * h) / h.size + jnp.mean(jnp.sin(x))


kx, kw = jax.random.split(jax.random.PRNGKey(0))
x = jax.random.normal(kx, (256, 128), dtype=jnp.float32)
w = jax.random.normal(kw, (128, 64), dtype=jnp.float32)
r = f(x, w).block_until_ready()
print(f"jax {jax.__version__} devices {jax.devices()} backend {jax.default_backend()}")
print(f"result {float(r):.4f} grad {float(jax.jit(jax.grad(lambda w: f(x, w)))(w).sum()):.4f}")
PY
cat > "$W/plain_app.py" <<'PY'
# No GPU: the interpreter, the stdlib and the venv (a control row for the mechanism itself).
import hashlib, json, sys, sysconfig
print(json.dumps({"prefix": sys.prefix, "base": sys.base_prefix, "sha": hashlib.sha256(b"cuslim").hexdigest()[:12],
                  "stdlib": sysconfig.get_paths()["stdlib"]}))
PY
cat > "$W/trace_vs_image.py" <<'PY'
# What the image holds against what the traced run used. usage: trace_vs_image.py TRACE LAYERS_LISTING
#   packed ELF objects the run never mapped or executed (e.g. only stat'ed while searching);
#   directories the run looked at (stat, isdir) that the image lacks; toolkit-class paths to drop.
import json, os, sys
mapped, files = set(), set()
for line in open(sys.argv[1]):
    j = json.loads(line)
    p = j.get("path", "")
    if not p.startswith("/"):
        continue
    if j["event"] in ("open", "exec"):
        mapped.add(os.path.realpath(p))
    elif j["event"] == "file":
        files.add(p)
image = set(l.rstrip("\n") for l in open(sys.argv[2]))
unmapped = []
for n in sorted(image):
    if os.path.isfile(n) and not os.path.islink(n) and os.path.realpath(n) not in mapped:
        with open(n, "rb") as f:
            if f.read(4) == b"\x7fELF":
                unmapped.append((os.path.getsize(n), n))
unmapped.sort(reverse=True)
print(f"packed ELF files never mapped nor executed in the traced run: {len(unmapped)}, {sum(s for s, _ in unmapped)} bytes")
for size, n in unmapped[:12]:
    print(f"  {size >> 20:5d} MiB {n}")
dirs = sorted(p for p in files if os.path.isdir(p) and not os.path.islink(p) and p not in image)
print(f"directories the traced run looked at, missing from the image: {len(dirs)}")
for d in dirs[:25]:
    print(f"  {d}")
PY
cat > "$W/list_layers.py" <<'PY'
# Lists an OCI layout's layers (every image in index.json) and reports driver files and nvcc.
# usage: list_layers.py IMAGE_DIR   (zstd through the zstd program, else pyarrow, else zstandard)
import json, os, re, shutil, subprocess, sys, tarfile

img = sys.argv[1]
blob = lambda d: os.path.join(img, "blobs", "sha256", d.split(":", 1)[1])


def manifests(desc):
    doc = json.load(open(blob(desc["digest"])))
    if "manifests" in doc:
        for m in doc["manifests"]:
            yield from manifests(m)
    else:
        yield doc


def open_layer(path, media):
    if media.endswith("zstd"):
        if shutil.which("zstd"):
            return subprocess.Popen(["zstd", "-dcq", path], stdout=subprocess.PIPE).stdout, "r|"
        try:
            import pyarrow as pa
            return pa.CompressedInputStream(pa.OSFile(path), "zstd"), "r|"
        except ImportError:
            import zstandard
            return zstandard.ZstdDecompressor().stream_reader(open(path, "rb")), "r|"
    return open(path, "rb"), "r|gz" if media.endswith("gzip") else "r|"


entries = {}
for top in json.load(open(os.path.join(img, "index.json")))["manifests"]:
    for man in manifests(top):
        for layer in man["layers"]:
            f, mode = open_layer(blob(layer["digest"]), layer["mediaType"])
            with tarfile.open(fileobj=f, mode=mode) as t:
                for ti in t:
                    entries["/" + ti.name.lstrip("./")] = ti
files = [n for n, ti in entries.items() if ti.isfile()]
if len(sys.argv) > 2:
    with open(sys.argv[2], "w") as f:
        f.writelines(n.rstrip("/") + "\n" for n in sorted(entries))
size = sum(entries[n].size for n in files)
base = lambda n: n.rsplit("/", 1)[-1]
driver = sorted(n for n in entries if re.match(r"(libcuda\.so(\.|$)|libnvidia-|libcudadebugger\.so|libnvcuvid\.so|libnvoptix\.so)", base(n)))
nvcc = sorted(n for n in entries if base(n) in ("nvcc", "nvcc.profile", "cicc") or "/nvvm/bin/" in n)
ptxas = sorted(n for n in entries if base(n) in ("ptxas", "nvlink", "fatbinary"))
headers = [n for n in files if n.endswith((".h", ".hpp", ".cuh"))]
big = sorted(files, key=lambda n: -entries[n].size)[:8]
print(f"entries={len(entries)} files={len(files)} unpacked_bytes={size} headers={len(headers)}")
print("largest: " + ", ".join(f"{n} ({entries[n].size >> 20} MiB)" for n in big))
print("driver=" + (",".join(driver) or "none"))
print("nvcc=" + (",".join(nvcc) or "none"))
print("ptxas=" + (",".join(ptxas) or "none"))
PY

# ---- helpers -------------------------------------------------------------------------------------
# step WL NAME LIMIT CMD...: stdout -> $W/WL.NAME.out, stderr -> $W/WL.NAME.err, time-boxed by
# LIMIT and by what is left of BUDGET; says ok or FAILED with the stderr tail; returns the exit code.
step() {
  local wl=$1 name=$2 limit=$3; shift 3
  local left=$((deadline - $(date +%s)))
  [ "$left" -lt "$limit" ] && limit=$left
  if [ "$limit" -lt 10 ]; then
    echo "[$wl] $name: SKIPPED (time budget spent)"; echo "skipped: time budget spent" > "$W/$wl.$name.err"; : > "$W/$wl.$name.out"
    return 125
  fi
  local s=$(date +%s)
  timeout -k 10 "$limit" "$@" > "$W/$wl.$name.out" 2> "$W/$wl.$name.err"; local rc=$?
  local d=$(($(date +%s) - s))
  if [ $rc = 0 ]; then echo "[$wl] $name: ok (${d}s)"
  else
    [ $rc = 124 ] || [ $rc = 137 ] && echo "timed out after ${limit}s" >> "$W/$wl.$name.err"
    echo "[$wl] $name: FAILED rc=$rc (${d}s); stderr tail:"; tail -n 30 "$W/$wl.$name.err" | cut -c1-400 | sed 's/^/    | /'
  fi
  return $rc
}
res() { echo "$2=$3" >> "$W/$1.res"; }   # res WL KEY VALUE
get() { sed -n "s/^$2=//p" "$W/$1.res" 2>/dev/null | tail -1; }
oneline() { tr '\n' ' ' < "$1" 2>/dev/null | sed 's/ *$//'; }
show() { echo "    --- $1:"; cut -c1-${3:-400} "$2" | head -n "${4:-40}" | sed 's/^/    /'; }

verdict_of() {  # verdict_of JSON_FILE: ok | FAIL(names of failed checks)
  "$PY" - "$1" <<'PY' 2>/dev/null || echo "unreadable"
import json, sys
d = json.load(open(sys.argv[1]))
bad = [c["name"] for c in d["checks"] if c["status"] == "fail"]
print("ok" if d.get("ok") and not bad else "FAIL(" + ",".join(bad) + ")")
PY
}
checks_of() {   # every check: name status detail
  "$PY" - "$1" <<'PY' 2>/dev/null || { echo "    (no JSON)"; head -c 2000 "$1"; }
import json, sys
for c in json.load(open(sys.argv[1]))["checks"]:
    print(f"    {c['status']:4} {c['name']}: {str(c.get('detail', ''))[:600]}")
PY
}

pipeline() {   # pipeline WL SCRIPT TRACE_LIMIT
  local wl=$1 script=$W/$2 tlimit=$3 img=$W/img-$1 tr=$W/$1.trace
  : > "$W/$wl.res"
  echo "=== $wl: $script (python $PY)"
  step "$wl" host 200 "$PY" "$script"; res "$wl" host_rc $?
  show "host output" "$W/$wl.host.out"
  show "host stderr (tail)" <(tail -n 8 "$W/$wl.host.err") 300
  step "$wl" trace "$tlimit" "$cuslim" trace --files -o "$tr" -- "$PY" "$script"; local rc=$?; res "$wl" trace_rc $rc
  show "traced run's output" "$W/$wl.trace.out"
  show "trace summary (first 300 chars a line)" "$W/$wl.trace.err" 300 20
  [ -s "$tr" ] && echo "    trace: $(wc -l < "$tr") records, $(grep -c '"event":"exec"' "$tr") exec, env: $(grep -o '"event":"env","name":"[^"]*"' "$tr" | sed 's/.*"name":"//;s/"//' | tr '\n' ' ')"
  if [ ! -s "$tr" ]; then res "$wl" bundle_rc "no-trace"; echo "[$wl] no trace file: no bundle"; return; fi
  step "$wl" bundle 240 "$cuslim" bundle "$PY" --trace "$tr" --include "$script" -o "$img" --tag app --compression zstd; rc=$?
  res "$wl" bundle_rc $rc
  show "bundle stdout (tail)" <(tail -n 12 "$W/$wl.bundle.out")
  echo "    --- bundle stderr: $(wc -l < "$W/$wl.bundle.err") lines; first 25:"; head -n 25 "$W/$wl.bundle.err" | cut -c1-300 | sed 's/^/    /'
  [ $rc = 0 ] && [ -d "$img/blobs" ] || { echo "[$wl] no image: nothing more to do"; return; }
  res "$wl" bytes "$(du -sb "$img/blobs" | cut -f1)"
  step "$wl" verify 200 "$cuslim" verify --json "$img"; res "$wl" verify_rc $?
  res "$wl" verify "$(verdict_of "$W/$wl.verify.out")"; echo "    --- verify --json checks:"; checks_of "$W/$wl.verify.out"
  step "$wl" run 240 "$cuslim" run -v "$img" -- "$PY" "$script"; res "$wl" run_rc $?
  show "image output" "$W/$wl.run.out"
  show "cuslim run -v stderr (tail)" <(tail -n 15 "$W/$wl.run.err") 300
  step "$wl" verifygpu 120 "$cuslim" verify --gpu --json "$img"; res "$wl" verifygpu_rc $?
  res "$wl" verifygpu "$(verdict_of "$W/$wl.verifygpu.out")"; echo "    --- verify --gpu --json checks:"; checks_of "$W/$wl.verifygpu.out"
  step "$wl" layers 180 "$PY" "$W/list_layers.py" "$img" "$W/$wl.names"; res "$wl" layers_rc $?
  show "layers" "$W/$wl.layers.out" 1500
  res "$wl" driver "$(sed -n 's/^driver=//p' "$W/$wl.layers.out")"
  res "$wl" nvcc "$(sed -n 's/^nvcc=//p' "$W/$wl.layers.out")"
  res "$wl" ptxas "$(sed -n 's/^ptxas=//p' "$W/$wl.layers.out")"
  res "$wl" unpacked "$(sed -n 's/.*unpacked_bytes=\([0-9]*\).*/\1/p' "$W/$wl.layers.out")"
  [ -s "$W/$wl.names" ] && step "$wl" tracevsimage 120 "$PY" "$W/trace_vs_image.py" "$tr" "$W/$wl.names" && show "trace vs image" "$W/$wl.tracevsimage.out" 300 50
  # the toolkit files bundle packed: would the program run without them? (a trace without them)
  "$PY" - "$W/$wl.bundle.err" "$tr" "$W/$wl.notk.trace" <<'PY' > "$W/$wl.notk.list" 2>&1
import json, os, re, sys
m = re.search(r"toolkit-class file\(s\) packed[^:]*: (.*)", open(sys.argv[1]).read())
if not m:
    sys.exit(0)
drop = {os.path.realpath(re.sub(r" \([^)]*\)$", "", x.strip())) for x in re.split(r", (?=/)", m.group(1).strip())}
print("\n".join(sorted(drop)))
with open(sys.argv[3], "w") as out:
    for line in open(sys.argv[2]):
        p = json.loads(line).get("path", "")
        if not (p.startswith("/") and os.path.realpath(p) in drop):
            out.write(line)
PY
  if [ -s "$W/$wl.notk.trace" ]; then
    echo "    --- without the toolkit files bundle packed ($(tr '\n' ' ' < "$W/$wl.notk.list")):"
    step "$wl" bundlenotk 200 "$cuslim" bundle -q "$PY" --trace "$W/$wl.notk.trace" --include "$script" -o "$img-notk" --tag app --compression zstd \
      && step "$wl" runnotk 200 "$cuslim" run "$img-notk" -- "$PY" "$script"; rc=$?
    show "output without toolkit files" "$W/$wl.runnotk.out"; show "stderr (tail)" <(tail -n 12 "$W/$wl.runnotk.err" 2>/dev/null) 400
    if [ $rc = 0 ] && [ "$(oneline "$W/$wl.runnotk.out")" = "$(oneline "$W/$wl.host.out")" ]; then res "$wl" notk "runs, same output"
    else res "$wl" notk "FAILS (rc=$rc)"; fi
  fi
}

# ---- the run -------------------------------------------------------------------------------------
echo "=== host"
echo "cuslim: $cuslim ($(ls "$dir" | tr '\n' ' ')); kernels: $(ls "$dir/kernels" 2>/dev/null | tr '\n' ' ')"
"$cuslim" --version 2>&1 | head -2
nvidia-smi -L 2>&1 | head -4; uname -r
echo "python: $PY -> $(readlink -f "$PY") ($("$PY" --version 2>&1)); chain: $(p=$PY; while [ -L "$p" ]; do t=$(readlink "$p"); echo -n "$p -> $t ; "; case $t in /*) p=$t;; *) p=$(dirname "$p")/$t;; esac; done)"
ldd "$(readlink -f "$PY")" 2>&1 | head -8 | sed 's/^/    /'
command -v zstd >/dev/null && echo "zstd: $(command -v zstd)" || echo "zstd: none (pyarrow lists the layers)"
"$cuslim" driver 2>&1 | head -12 | sed 's/^/    /'

declare -A script=([torch]=torch_train.py [cupy]=cupy_app.py [jax]=jax_app.py [plain]=plain_app.py)
declare -A tlimit=([torch]=330 [cupy]=200 [jax]=240 [plain]=120)
pids=()
for wl in $WORKLOADS; do
  pipeline "$wl" "${script[$wl]}" "${tlimit[$wl]}" > "$out/$wl.log" 2>&1 &
  pids+=($!)
done
# the venv's whole size, for comparison (uncompressed), while the pipelines run
( venv=$("$PY" -c 'import sys; print(sys.prefix)'); echo "$venv $(timeout 120 du -sb "$venv" | cut -f1)" > "$W/venv.size" ) &
while [ -n "$(jobs -rp)" ]; do sleep 10; echo "... $(($(date +%s) - t0))s: $(for w in $WORKLOADS; do tail -n1 "$out/$w.log"; done 2>/dev/null | cut -c1-60 | tr '\n' ';')"; done
wait
for wl in $WORKLOADS; do echo; cat "$out/$wl.log"; done

# ---- the table -----------------------------------------------------------------------------------
read -r venv venv_bytes 2>/dev/null < "$W/venv.size"
{
  echo
  echo "=== python apps from minimal images ($(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1); $(($(date +%s) - t0))s)"
  printf '%-6s | %-8s | %-8s | %-5s | %-28s | %-14s | %-13s | %-14s | %-6s | %s\n' \
    workload host-rc image-rc same? "verify ok? (plain / --gpu)" "image bytes" "unpacked" "driver files" nvcc ptxas
  for wl in $WORKLOADS; do
    h=$(oneline "$W/$wl.host.out"); i=$(oneline "$W/$wl.run.out")
    same=no; [ -n "$h" ] && [ "$h" = "$i" ] && [ "$(get "$wl" run_rc)" = 0 ] && same=yes
    [ -z "$i" ] && same="n/a"
    printf '%-6s | %-8s | %-8s | %-5s | %-28s | %-14s | %-13s | %-14s | %-6s | %s\n' "$wl" \
      "$(get "$wl" host_rc)" "$(get "$wl" run_rc)" "$same" "$(get "$wl" verify) / $(get "$wl" verifygpu)" \
      "$(get "$wl" bytes)" "$(get "$wl" unpacked)" "$(get "$wl" driver)" "$(get "$wl" nvcc)" "$(get "$wl" ptxas | cut -c1-80)"
  done
  echo
  for wl in $WORKLOADS; do
    echo "$wl host : $(oneline "$W/$wl.host.out")"
    echo "$wl image: $(oneline "$W/$wl.run.out")"
    cmp -s <(grep -v '^cuslim' "$W/$wl.host.err" 2>/dev/null) <(grep -v '^cuslim' "$W/$wl.run.err" 2>/dev/null) || \
      echo "$wl stderr differs: host [$(tail -n 3 "$W/$wl.host.err" 2>/dev/null | tr '\n' ' ' | cut -c1-200)] image [$(grep -v '^cuslim' "$W/$wl.run.err" 2>/dev/null | tail -n 3 | tr '\n' ' ' | cut -c1-200)]"
    [ -n "$(get "$wl" notk)" ] && echo "$wl without the packed toolkit files: $(get "$wl" notk)"
    echo "$wl steps: trace rc=$(get "$wl" trace_rc) bundle rc=$(get "$wl" bundle_rc) verify rc=$(get "$wl" verify_rc) verify-gpu rc=$(get "$wl" verifygpu_rc)"
  done
  echo "for comparison: the whole venv $venv is ${venv_bytes:-?} bytes uncompressed (du -sb)"
} | tee "$out/table.txt"
(cd "$W" && tar czf "$out/traces.tar.gz" ./*.trace ./*.names ./*.err 2>/dev/null)
