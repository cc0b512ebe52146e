#!/usr/bin/env bash
# GPU machine: Python + JIT frameworks from minimal images (issues 14 and 15), in two phases so
# each fits one device call.
#   phase "bundle": for each workload -- a PyTorch training step, a torch.compile'd function, a CuPy
#     program (NVRTC kernels + FFT + matmul), a JAX jit'ed gradient -- run it on the host, trace it
#     (cold caches), bundle the venv's python FROM scratch with the trace (zstd), verify (static and
#     --gpu with the framework smokes), `cuslim run` it and compare with the host's output; sizes,
#     driver files and nvcc in each image; the torch.compile image with its C compiler removed must
#     fail verify; the training step bundled again with --no-jit (no JIT toolchain; no triton unless
#     the step imported it) must still run.
#     Traces are copied to $OUT/traces for phase 2.
#   phase "slim": a fat image of the whole venv + the CUDA toolkit + the C compiler, a venv-only
#     image (the size reference), then `cuslim slim` of the fat image with every trace, each
#     workload run inside the slimmed image, verify --gpu of it.
# (The scripts are app_*.py: a script named torch.py would shadow the torch package.)
# usage: tests/gpu/python_jit.sh bundle|slim DIR [TRACES_DIR]   (DIR: cuslim, libcuslim-audit.so, kernels/;
#        slim without TRACES_DIR traces the workloads itself)
set -u
phase=$1; dir=$(readlink -f "$2"); traces_in=${3:-}
cuslim=$dir/cuslim
export PYTHONUNBUFFERED=1 NCCL_NVLS_ENABLE=0 XLA_PYTHON_CLIENT_PREALLOCATE=false
PY=${PY:-/opt/torch/.venv/bin/python3}
OUT=${OUT:-/var/tmp/cuslim-python-jit}; mkdir -p "$OUT"
W=/opt/cuslim-gpu; rm -rf "$W"; mkdir -p "$W/traces"   # not /tmp: `cuslim run` mounts a fresh tmpfs there
t0=$(date +%s)
WORKLOADS=${WORKLOADS:-torch compile cupy jax}

cp "$(dirname "$0")/apps/app_torch.py" "$W/app_torch.py"   # the PyTorch training step (shared with gpu_arch.sh)
cat > "$W/app_compile.py" <<'PY'
import torch
torch.manual_seed(0)
def f(x, y):
    return torch.nn.functional.gelu(x @ y) * torch.sigmoid(x.sum(-1, keepdim=True))
cf = torch.compile(f)
x = torch.randn(256, 256, device="cuda"); y = torch.randn(256, 256, device="cuda")
out = cf(x, y); ref = f(x, y)
print(f"torch.compile ok {bool((out - ref).abs().max().item() < 1e-2)} sum {out.sum().item():.1f}")
PY
cat > "$W/app_cupy.py" <<'PY'
import cupy as cp
ew = cp.ElementwiseKernel("float32 x, float32 y", "float32 z", "z = x * x + 2.0f * y", "cuslim_ew")
raw = cp.RawKernel(r'''extern "C" __global__ void sc(const float* a, float* b, int n) { int i = blockDim.x * blockIdx.x + threadIdx.x; if (i < n) b[i] = 3.0f * a[i] - 1.0f; }''', "sc")
rs = cp.random.RandomState(seed=0); n = 1 << 16
a = rs.standard_normal(n, dtype=cp.float32); b = rs.standard_normal(n, dtype=cp.float32)
w = cp.empty_like(a); raw(((n + 255) // 256,), (256,), (a, w, cp.int32(n)))
m = rs.standard_normal((256, 256), dtype=cp.float32)
print(f"cupy {cp.__version__} ew {float(ew(a, b).sum()):.2f} raw {float(w.sum()):.2f} fft {float(cp.abs(cp.fft.fft(a)).sum()):.1f} mm {float(cp.trace(m @ m.T)):.1f}")
PY
cat > "$W/app_jax.py" <<'PY'
import jax, jax.numpy as jnp
f = jax.jit(jax.grad(lambda w, x: jnp.sum(jnp.tanh(x @ w) ** 2)))
kx, kw = jax.random.split(jax.random.PRNGKey(0))
x = jax.random.normal(kx, (256, 128)); w = jax.random.normal(kw, (128, 64))
print(f"jax {jax.__version__} {jax.default_backend()} grad-sum {float(f(w, x).sum()):.3f}")
PY

smoke_passed() {  # smoke_passed VERIFY_JSON NAME: "framework-smoke NAME" is among the checks and passed
  "$PY" -c 'import json,sys; sys.exit(0 if any(c["name"] == "framework-smoke " + sys.argv[2] and c["status"] == "pass" for c in json.load(open(sys.argv[1]))["checks"]) else 1)' "$1" "$2" 2>/dev/null
}
oneline() { tr '\n' ' ' < "$1" 2>/dev/null | sed 's/ *$//'; }
verdict() {   # verdict JSON: ok | FAIL(check names)
  "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); bad=[c["name"] for c in d["checks"] if c["status"]=="fail"]; print("ok" if not bad else "FAIL("+",".join(bad)+")")' "$1" 2>/dev/null || echo unreadable
}
checks() { "$PY" -c 'import json,sys
for c in json.load(open(sys.argv[1]))["checks"]:
    if c["status"] != "skip" or "jit" in c["name"]: print(f"    {c[\"status\"]:4} {c[\"name\"]}: {str(c.get(\"detail\",\"\"))[:300]}")' "$1" 2>/dev/null; }
inimage() {  # inimage IMAGE_LAYOUT: driver files, nvcc, bytes
  "$cuslim" verify --json "$1" > "$W/inimage.json" 2>/dev/null
  local b=$(du -sb "$1/blobs" | cut -f1)
  echo "stored=$b"
}

same_output() {
  "$PY" - "$1" "$2" <<'PY'
import math, sys
a, b = sys.argv[1].split(), sys.argv[2].split()
def same(x, y):
    try:
        return math.isclose(float(x), float(y), rel_tol=1e-4, abs_tol=1e-6)
    except ValueError:
        return x == y
sys.exit(0 if a and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b)) else 1)
PY
}

run_bundle_phase() {
  local wl=$1 s=$W/app_$1.py img=$W/img-$1 tr=$W/$1.trace
  {
    echo "=== $wl"
    local t=$(date +%s)
    timeout 300 "$PY" "$s" > "$W/$wl.host" 2> "$W/$wl.host.err"; echo "host rc=$? ($(( $(date +%s) - t ))s): $(oneline "$W/$wl.host")"
    t=$(date +%s)
    timeout 400 "$cuslim" trace -q --files -o "$tr" -- "$PY" "$s" > /dev/null 2> "$W/$wl.trace.err"; echo "trace rc=$? ($(( $(date +%s) - t ))s), $(wc -l < "$tr") records"
    cp "$tr" "$W/traces/"
    t=$(date +%s)
    timeout 300 "$cuslim" bundle "$PY" --trace "$tr" --include "$s" -o "$img" --tag app --compression zstd --report "$W/$wl.report.json" > "$W/$wl.bundle" 2> "$W/$wl.bundle.err"
    local brc=$?; echo "bundle rc=$brc ($(( $(date +%s) - t ))s)"; [ $brc = 0 ] || tail -3 "$W/$wl.bundle.err" | cut -c1-400; grep -E "python:|jit:|cuda |jit |app |system " "$W/$wl.bundle" | head -8 | sed 's/^/    /'
    grep -i "warning" "$W/$wl.bundle.err" | grep -v "driver file left out" | cut -c1-300 | head -8 | sed 's/^/    /'
    echo "stored bytes $(du -sb "$img/blobs" | cut -f1)"; grep -A6 "largest:" "$W/$wl.bundle" | sed 's/^/  /'
    "$cuslim" verify --json "$img" > "$W/$wl.verify.json" 2>/dev/null; echo "verify: $(verdict "$W/$wl.verify.json")"; checks "$W/$wl.verify.json" | grep -E "fail|jit|toolkit|driver"
    t=$(date +%s)
    timeout 300 "$cuslim" run "$img" -- "$PY" "$s" > "$W/$wl.image" 2> "$W/$wl.image.err"; local rc=$?
    echo "run rc=$rc ($(( $(date +%s) - t ))s): $(oneline "$W/$wl.image")"
    # The same words, numbers equal to 1e-4 relative: a GPU reduction's last digit may differ between
    # two runs on the host already (XLA's autotuner picks among algorithms).
    if same_output "$(oneline "$W/$wl.image")" "$(oneline "$W/$wl.host")"; then echo "SAME OUTPUT: yes"; else echo "SAME OUTPUT: no"; tail -5 "$W/$wl.image.err" | cut -c1-300; fi
    t=$(date +%s)
    timeout 300 "$cuslim" verify --gpu --json "$img" > "$W/$wl.vgpu.json" 2>/dev/null; echo "verify --gpu ($(( $(date +%s) - t ))s): $(verdict "$W/$wl.vgpu.json")"
    checks "$W/$wl.vgpu.json" | grep -E "smoke|fail"
    "$PY" - "$W/$wl.report.json" "$tr" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
print("report jit:", [(x["framework"], x["added_bytes"], x["missing"]) for x in j["jit"]])
print("report python kept:", sorted((d["name"], d["bytes"], d["reason"]) for d in j["python"]["distributions"] if d["kept"])[:40])
print("left to host driver:", j["left_to_host_driver"])
# The largest kept groups and why (what makes an image big), and where its CUDA libraries come from.
for g in sorted(j.get("groups", []), key=lambda g: -g["bytes"])[:8]:
    print(f"  group {g['class']:8} {g['group'][:40]:40} {g['bytes']:>12} {g['reason'][:90]}")
traced = {r.get("path") for r in map(json.loads, open(sys.argv[2])) if isinstance(r, dict)} if sys.argv[2] else set()
for g in j.get("groups", []):
    for f in g["largest"]:
        if "/usr/local/cuda" in f["path"] and f["bytes"] > 50_000_000:
            print(f"  toolkit-dir library {f['path']} {f['bytes']} traced={f['path'] in traced} group={g['group']} reason={g['reason'][:80]}")
PY
  } > "$W/$wl.log" 2>&1
}

if [ "$phase" = bundle ]; then
  nvidia-smi -L | head -2; echo "python $($PY --version) at $PY; venv $(du -sh "$($PY -c 'import sys;print(sys.prefix)')" | cut -f1)"
  # The size bar: each image against one of the whole venv (+ the interpreter's stdlib), both zstd.
  venv=$("$PY" -c 'import sys; print(sys.prefix)'); stdlib=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
  [ -n "${SKIP_VENV_ONLY:-}" ] || "$cuslim" bundle -q "$PY" --include "$venv" --include "$stdlib" -o "$W/venv-only" --tag v --compression zstd 2> "$W/venv.err" &
  for wl in $WORKLOADS; do run_bundle_phase "$wl" & done; wait
  for wl in $WORKLOADS; do cat "$W/$wl.log"; done
  # The training step again with --no-jit: an image that never compiles leaves triton (required by
  # torch, never imported by the step) and its toolchain out; it must still print the host's numbers.
  case " $WORKLOADS " in *" torch "*) nojit=1 ;; *) nojit= ;; esac
  if [ -n "$nojit" ]; then {
    echo "=== torch --no-jit"
    "$cuslim" bundle "$PY" --trace "$W/torch.trace" --include "$W/app_torch.py" -o "$W/img-nojit" --tag app --compression zstd --no-jit --report "$W/nojit.report.json" > "$W/nojit.bundle" 2> "$W/nojit.err"
    echo "bundle rc=$? stored $(du -sb "$W/img-nojit/blobs" | cut -f1)"; grep -E "warning: (triton|[0-9]+ profiler-only)" "$W/nojit.err" | cut -c1-260
    "$cuslim" verify --json "$W/img-nojit" > "$W/nojit.verify.json" 2>/dev/null; echo "verify: $(verdict "$W/nojit.verify.json")"
    timeout 300 "$cuslim" run "$W/img-nojit" -- "$PY" "$W/app_torch.py" > "$W/nojit.image" 2> "$W/nojit.image.err"; echo "run rc=$?: $(oneline "$W/nojit.image")"
    if same_output "$(oneline "$W/nojit.image")" "$(oneline "$W/torch.host")"; then echo "SAME OUTPUT: yes"; else echo "SAME OUTPUT: no"; tail -5 "$W/nojit.image.err" | cut -c1-300; fi
    timeout 300 "$cuslim" verify --gpu --json "$W/img-nojit" > "$W/nojit.vgpu.json" 2>/dev/null; echo "verify --gpu: $(verdict "$W/nojit.vgpu.json")"
    "$PY" -c 'import json,sys; d={x["name"]: x for x in json.load(open(sys.argv[1]))["python"]["distributions"]}; t=d.get("triton"); print("report triton:", t and (t["kept"], t["reason"]))' "$W/nojit.report.json"
  } > "$W/nojit.log" 2>&1; cat "$W/nojit.log"; fi
  ref=$([ -d "$W/venv-only/blobs" ] && du -sb "$W/venv-only/blobs" | cut -f1)
  [ -z "$ref" ] || echo "=== venv-only image stored $ref"
  # a torch.compile image without its C compiler: verify names the consequence
  case " $WORKLOADS " in *" compile "*) nocc=1 ;; *) nocc= ;; esac
  if [ -n "$nocc" ]; then
    "$cuslim" bundle -q "$PY" --trace "$W/compile.trace" --include "$W/app_compile.py" -o "$W/rootfs-nocc" --format dir 2>/dev/null
    find "$W/rootfs-nocc/usr/bin" -maxdepth 1 \( -name gcc -o -name cc -o -name clang -o -name 'gcc-*' -o -name 'x86_64-linux-gnu-gcc*' \) -delete  # never through links
    "$cuslim" verify --json "$W/rootfs-nocc" > "$W/nocc.json" 2>/dev/null
    echo "=== torch.compile image, C compiler removed: $(verdict "$W/nocc.json")"; checks "$W/nocc.json" | grep jit-ready
    timeout 200 "$cuslim" run "$W/rootfs-nocc" -- "$PY" "$W/app_compile.py" > "$W/nocc.out" 2>&1; nocc_rc=$?; echo "    and it really fails: rc=$nocc_rc $(tail -1 "$W/nocc.out" | cut -c1-200)"
  fi
  echo "=== table (bundle FROM scratch; $(( $(date +%s) - t0 ))s)"
  for wl in $WORKLOADS; do
    stored=$(du -sb "$W/img-$wl/blobs" 2>/dev/null | cut -f1)
    printf '%-8s same-output=%-4s verify=%-28s verify-gpu=%-40s stored=%s%s\n' "$wl" "$(grep -q 'SAME OUTPUT: yes' "$W/$wl.log" && echo yes || echo no)" \
      "$(verdict "$W/$wl.verify.json")" "$(verdict "$W/$wl.vgpu.json")" "$stored" "$([ -n "$ref" ] && [ -n "$stored" ] && echo " ($(( stored * 1000 / ref / 10 )).$(( stored * 1000 / ref % 10 ))% of venv-only)")"
  done
  if [ -n "$nojit" ]; then
    stored=$(du -sb "$W/img-nojit/blobs" 2>/dev/null | cut -f1)
    printf '%-8s same-output=%-4s verify=%-28s verify-gpu=%-40s stored=%s%s\n' "torch --no-jit" "$(grep -q 'SAME OUTPUT: yes' "$W/nojit.log" && echo yes || echo no)" \
      "$(verdict "$W/nojit.verify.json")" "$(verdict "$W/nojit.vgpu.json")" "$stored" "$([ -n "$ref" ] && [ -n "$stored" ] && echo " ($(( stored * 1000 / ref / 10 )).$(( stored * 1000 / ref % 10 ))% of venv-only)")"
  fi
  (cd "$W" && tar czf "$OUT/bundle-phase.tgz" traces ./*.log ./*.json)
  # The claims: each workload's image prints the host's output and passes verify and verify --gpu;
  # the compiler-less torch.compile image fails verify (jit-ready:triton) and really fails.
  fails=0
  for wl in $WORKLOADS; do
    for c in "same-output:$(grep -q 'SAME OUTPUT: yes' "$W/$wl.log" && echo ok)" "verify:$(verdict "$W/$wl.verify.json")" "verify-gpu:$(verdict "$W/$wl.vgpu.json")"; do
      [ "${c#*:}" = ok ] && echo "PASS $wl ${c%%:*}" || { echo "FAIL $wl $c"; fails=$((fails + 1)); }
    done
  done
  # verify --gpu "ok" must mean the framework's own smoke ran and passed, not that none was found
  for pair in torch:torch compile:torch.compile cupy:cupy jax:jax; do
    wl=${pair%%:*}; sm=${pair#*:}
    case " $WORKLOADS " in *" $wl "*) ;; *) continue ;; esac
    if smoke_passed "$W/$wl.vgpu.json" "$sm"; then echo "PASS $wl framework-smoke $sm ran and passed"
    else echo "FAIL $wl framework-smoke $sm did not run or failed"; fails=$((fails + 1)); fi
  done
  if [ -n "$nocc" ]; then
    verdict "$W/nocc.json" | grep -q "jit-ready:triton" && [ "$nocc_rc" != 0 ] && echo "PASS no C compiler: verify fails jit-ready:triton and the run fails" \
    || { echo "FAIL no C compiler: verify $(verdict "$W/nocc.json"), run rc=$nocc_rc"; fails=$((fails + 1)); }
  fi
  if [ -n "$nojit" ]; then
    # triton ships only when the traced step imported it and not through torch alone (torch imports
    # it only when there: profile triton's optional_for); then, without its toolchain, verify must
    # fail jit-ready:triton (and --gpu the torch.compile smoke), nothing else.
    if grep -q "report triton: (True, 'imported by the trace')" "$W/nojit.log"; then want=("FAIL(jit-ready:triton)" "FAIL(jit-ready:triton,framework-smoke torch.compile)")
    else want=(ok ok); fi
    # '|' between the fields: a verdict holds ':' (FAIL(jit-ready:triton))
    for c in "same-output|$(grep -q 'SAME OUTPUT: yes' "$W/nojit.log" && echo ok)|ok" "verify|$(verdict "$W/nojit.verify.json")|${want[0]}" "verify-gpu|$(verdict "$W/nojit.vgpu.json")|${want[1]}"; do
      IFS='|' read -r name got expect <<< "$c"
      [ "$got" = "$expect" ] && echo "PASS torch --no-jit $name ($got)" || { echo "FAIL torch --no-jit $name: $got, expected $expect"; fails=$((fails + 1)); }
    done
  fi
  echo "$fails failed"
  exit $fails
fi

# ---- phase slim ------------------------------------------------------------------------------------
# Without TRACES_DIR (a fresh machine), the workloads are traced here first, cold, in parallel.
if [ -z "$traces_in" ] || ! ls "$traces_in"/*.trace > /dev/null 2>&1; then
  traces_in=$W/traces; t=$(date +%s)
  for wl in $WORKLOADS; do timeout 400 "$cuslim" trace -q --files -o "$traces_in/$wl.trace" -- "$PY" "$W/app_$wl.py" > /dev/null 2> "$W/$wl.trace.err" & done; wait
  echo "traced $(ls "$traces_in"/*.trace | wc -l) workloads ($(( $(date +%s) - t ))s)"
fi
venv=$("$PY" -c 'import sys; print(sys.prefix)'); stdlib=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
inc=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths(scheme="posix_prefix")["include"])')
echo "venv $venv, stdlib $stdlib, include $inc"
cc_pieces=(); for f in /usr/lib/gcc /usr/libexec/gcc /usr/include /usr/lib/x86_64-linux-gnu/{crt1.o,crti.o,crtn.o,Scrt1.o,libc.so,libc_nonshared.a,libm.so,libmvec.so} /sbin/ldconfig "$inc"; do
  [ -e "$f" ] && cc_pieces+=(--include "$f"); done
t=$(date +%s)
[ -n "${SKIP_VENV_ONLY:-}" ] || "$cuslim" bundle -q "$PY" --include "$venv" --include "$stdlib" -o "$W/venv-only" --tag v --compression zstd 2> "$W/venv.err" &
"$cuslim" bundle -q "$PY" /usr/bin/gcc /usr/bin/as /usr/bin/ld --include "$venv" --include "$stdlib" --include /usr/local/cuda-13.0 "${cc_pieces[@]}" \
  --include "$W/app_torch.py" --include "$W/app_compile.py" --include "$W/app_cupy.py" --include "$W/app_jax.py" -o "$W/fat" --tag fat --compression zstd 2> "$W/fat.err" &
fat=$!
for wl in $WORKLOADS; do timeout 200 "$PY" "$W/app_$wl.py" > "$W/$wl.host" 2>/dev/null; done   # the host's answers, meanwhile
wait $fat; echo "fat image rc=$? stored $(du -sb "$W/fat/blobs" | cut -f1) ($(( $(date +%s) - t ))s)"; tail -3 "$W/fat.err" | cut -c1-300
wait; [ -n "${SKIP_VENV_ONLY:-}" ] || echo "venv-only image stored $(du -sb "$W/venv-only/blobs" | cut -f1) ($(( $(date +%s) - t ))s)"
trs=(); for f in "$traces_in"/*.trace; do trs+=(--trace "$f"); done
t=$(date +%s)
timeout 300 "$cuslim" slim "$W/fat:fat" -o "$W/slim" --tag s --compression zstd "${trs[@]}" --report "$W/slim.report.json" > "$W/slim.out" 2> "$W/slim.err"
echo "slim rc=$? ($(( $(date +%s) - t ))s) stored $(du -sb "$W/slim/blobs" | cut -f1)"; head -24 "$W/slim.out"; grep -v "^cuslim: note\|driver file left out" "$W/slim.err" | head -8 | cut -c1-300
rm -rf "$W/fat" "$W/venv-only"   # disk: the runs below unpack the slimmed image
for wl in $WORKLOADS; do timeout 240 "$cuslim" run "$W/slim:s" -- "$PY" "$W/app_$wl.py" > "$W/$wl.slim" 2> "$W/$wl.slim.err" & done
[ -n "${SKIP_VERIFY_GPU:-}" ] || timeout 300 "$cuslim" verify --gpu --json "$W/slim:s" > "$W/slim.vg.json" 2>/dev/null &
wait
for wl in $WORKLOADS; do
  echo "$wl in slim: same=$([ -s "$W/$wl.slim" ] && same_output "$(oneline "$W/$wl.slim")" "$(oneline "$W/$wl.host")" && echo yes || echo no) : $(oneline "$W/$wl.slim") | host: $(oneline "$W/$wl.host")"
  [ -s "$W/$wl.slim" ] || tail -4 "$W/$wl.slim.err" | cut -c1-300
done
"$cuslim" verify --json "$W/slim:s" > "$W/slim.v.json" 2>/dev/null; echo "slim verify: $(verdict "$W/slim.v.json")"; checks "$W/slim.v.json" | grep -E "fail|jit"
echo "slim verify --gpu: $(verdict "$W/slim.vg.json")"; checks "$W/slim.vg.json" | grep -E "smoke|fail"
echo "total $(( $(date +%s) - t0 ))s"
(cd "$W" && tar czf "$OUT/slim-phase.tgz" ./*.json ./*.err ./*.out)
# The claims: every workload runs in the slimmed image with the host's output; the slimmed image
# passes verify and (unless skipped) verify --gpu with each framework's smoke; no nvcc, no driver.
fails=0
for wl in $WORKLOADS; do
  if [ -s "$W/$wl.slim" ] && same_output "$(oneline "$W/$wl.slim")" "$(oneline "$W/$wl.host")"; then echo "PASS slim $wl same-output"
  else echo "FAIL slim $wl same-output"; fails=$((fails + 1)); fi
done
[ "$(verdict "$W/slim.v.json")" = ok ] && echo "PASS slim verify" || { echo "FAIL slim verify $(verdict "$W/slim.v.json")"; fails=$((fails + 1)); }
if [ -z "${SKIP_VERIFY_GPU:-}" ]; then
  [ "$(verdict "$W/slim.vg.json")" = ok ] && echo "PASS slim verify-gpu" || { echo "FAIL slim verify-gpu $(verdict "$W/slim.vg.json")"; fails=$((fails + 1)); }
  # the smokes of the frameworks the traced workloads use (slim keeps nothing else of theirs)
  for pair in torch:torch compile:torch compile:torch.compile cupy:cupy jax:jax; do
    wl=${pair%%:*}; sm=${pair#*:}
    case " $WORKLOADS " in *" $wl "*) ;; *) continue ;; esac
    smoke_passed "$W/slim.vg.json" "$sm" && echo "PASS slim framework-smoke $sm" || { echo "FAIL slim framework-smoke $sm"; fails=$((fails + 1)); }
  done
fi
"$PY" - "$W/slim.v.json" <<'PY' && echo "PASS slim: no-toolkit-files and no-driver-files pass (no nvcc, no driver file)" || { echo "FAIL slim: toolkit or driver files kept"; fails=$((fails + 1)); }
import json, sys
d = {c["name"]: c["status"] for c in json.load(open(sys.argv[1]))["checks"]}
sys.exit(0 if d.get("no-toolkit-files") == "pass" and d.get("no-driver-files") == "pass" else 1)
PY
echo "$fails failed"
exit $fails
