#!/usr/bin/env bash
# JIT frameworks (CPU only). Part 1, real wheels from PyPI unpacked into a site-packages tree:
# the profiles classify each framework's run-time files as jit (Triton's ptxas, XLA's
# ptxas/nvlink/libdevice, the CUDA headers for CuPy's NVRTC, libNVVM for Numba) and nvcc as
# toolkit; verify passes jit files of frameworks present, fails them when the framework is not
# there, fails a stray nvcc, and names what each framework lacks. Part 2, a venv with Triton:
# traced, bundled FROM scratch -- the bundle brings Triton's toolchain (ptxas, the C compiler,
# ldconfig, Python.h) and the image compiles and links Triton's real launcher source with the
# bundled compiler inside `cuslim run --gpu off`; --no-jit and a compiler removed fail verify
# with the consequence named.
set -u
cuslim=$(readlink -f "$1")
py=$(readlink -f /usr/bin/python3); [ -x "$py" ] || { echo "skip: no /usr/bin/python3"; exit 77; }
command -v unzip >/dev/null || { echo "skip: unzip missing"; exit 77; }
tmp=$(mktemp -d /var/tmp/cuslim-jit-XXXXXX); trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/check_lib.sh"

# ---- part 1: real wheels ---------------------------------------------------------------------------
wheels=$tmp/wheels; mkdir -p "$wheels"
"$py" -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: --python-version 3.12 \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
  -d "$wheels" triton==3.6.0 nvidia-cuda-nvcc==13.0.88 nvidia-nvvm==13.0.88 cupy-cuda13x==14.0.1 jax-cuda13-plugin==0.8.1 numba-cuda==0.22.0 numba==0.62.1 \
  > "$tmp/pip.log" 2>&1 || { tail -3 "$tmp/pip.log"; echo "skip: PyPI not reachable"; exit 77; }
R=$tmp/root; site=/opt/venv/lib/python3.12/site-packages
mkdir -p "$R$site" "$R/usr/lib/python3.12" "$R/usr/bin"
for w in "$wheels"/*.whl; do
  # the metadata and the parts the profiles speak of (the rest of each wheel is not needed here)
  unzip -qo "$w" '*.dist-info/*' 'triton/backends/nvidia/*' 'nvidia/*' 'cupy/_core/include/cupy/*.h' 'jax_cuda13_plugin/__init__.py' 'jax_cuda13_plugin/version.py' 'numba_cuda/numba/cuda/__init__.py' 'numba_cuda/numba/cuda/include/*' 'numba/__init__.py' -d "$R$site" 2>/dev/null
done
echo > "$R/usr/lib/python3.12/os.py"
find "$R$site" -name '*_static.a' -delete   # static libraries stay toolkit: bundle never ships them
classify() { "$cuslim" profiles classify "$@" | cut -f2; }
check "Triton's ptxas (triton wheel) is jit" '[ "$(classify $site/triton/backends/nvidia/bin/ptxas)" = jit ]'
check "XLA's ptxas and nvlink (nvidia-cuda-nvcc wheel) are jit" '[ "$(classify $site/nvidia/cu13/bin/ptxas)" = jit ] && [ "$(classify $site/nvidia/cu13/bin/nvlink)" = jit ]'
check "libdevice (nvidia-nvvm wheel) is jit, for JAX and Numba" '"$cuslim" profiles classify $site/nvidia/cu13/nvvm/libdevice/libdevice.10.bc | grep -q "jit.*jax-cuda13-plugin.* numba-cuda;"'
check "the CUDA headers CuPy compiles against are jit (for cupy)" '"$cuslim" profiles classify $site/nvidia/cu13/include/cuda_fp16.h | grep -q "jit.*cupy-cuda13x"'
check "libNVVM is jit (for numba's CUDA target)" '[ "$(classify $site/nvidia/cu13/lib/libnvvm.so.4)" = jit ]'
check "libNVVM of a toolkit laid out as its wheels (lib/, not nvvm/lib64) and Debian's are jit too" \
  '[ "$(classify /usr/local/cuda-13.0/lib/libnvvm.so.4)" = jit ] && [ "$(classify /usr/lib/x86_64-linux-gnu/libnvvm.so.4)" = jit ] && [ "$(classify /usr/local/cuda/nvvm/lib64/libnvvm.so.4)" = jit ]'
check "numba-cuda's own cuda_fp16.h/cuda_bf16.h (compiled with NVRTC at run time) are jit, for numba-cuda" \
  'ls "$R$site"/numba_cuda/numba/cuda/include/*/cuda_fp16.h >/dev/null && for h in "$R$site"/numba_cuda/numba/cuda/include/*/cuda_*.h; do "$cuslim" profiles classify "${h#$R}" | grep -q "jit.*numba-cuda" || exit 1; done'
check "nvcc, cicc and fatbinary stay toolkit" '[ "$(classify $site/nvidia/cu13/bin/nvcc)" = toolkit ] && [ "$(classify $site/nvidia/cu13/nvvm/bin/cicc)" = toolkit ] && [ "$(classify $site/nvidia/cu13/bin/fatbinary)" = toolkit ]'
check "the files the wheels hold are there (the profiles name real paths)" '[ -f "$R$site/triton/backends/nvidia/bin/ptxas" ] && [ -f "$R$site/nvidia/cu13/bin/nvlink" ] && [ -f "$R$site/nvidia/cu13/nvvm/libdevice/libdevice.10.bc" ] && [ -f "$R$site/nvidia/cu13/lib/libnvvm.so.4" ]'
check "deps shows ptxas as class jit" '"$cuslim" deps --root "$R" --format json $site/nvidia/cu13/bin/ptxas 2>/dev/null | python3 -c "import json,sys; d=json.load(sys.stdin); o=[x for x in d[\"objects\"] if x[\"path\"].endswith(\"/ptxas\")]; assert o and o[0][\"class\"]==\"jit\", o"'

verdict() { "$cuslim" verify --json "$R" 2>/dev/null | python3 -c "import json,sys; d={c['name']: c for c in json.load(sys.stdin)['checks']}; c=d.get('$1'); print(c['status'] if c else 'absent', c['detail'] if c else '')"; }
delete_inside "$R" "${site#/}/nvidia/cu13/bin/"{nvcc,nvcc.profile,fatbinary,cudafe++,bin2c,__nvcc_device_query,crt} "${site#/}/nvidia/cu13/nvvm/bin/cicc"
rm -rf "$R$site"/nvidia/cu13/include/fatbinary_section.h "$R$site"/nvidia/cu13/include/nvvm.h
check "with triton, jax, cupy and numba present: no toolkit-class file (their jit files pass)" '[ "$(verdict no-toolkit-files | cut -d" " -f1)" = pass ]'
v=$(verdict jit-ready:triton)
check "jit-ready:triton fails naming the consequence and every missing piece ($v)" 'echo "$v" | grep -q "^fail Triton kernels (and torch.compile, whose first compiled region builds one) will fail at their first launch: triton needs a C compiler, ldconfig and Python.h (none in the image)"'
check "jit-ready:jax passes (ptxas, nvlink, libdevice from the wheels)" '[ "$(verdict jit-ready:jax | cut -d" " -f1)" = pass ]'
check "jit-ready:numba-cuda passes (libNVVM, libdevice)" '[ "$(verdict jit-ready:numba-cuda | cut -d" " -f1)" = pass ]'
# libNVVM where a toolkit laid out as its wheels keeps it (/usr/local/cuda-13.0/lib), not the wheel's
mkdir -p "$tmp/nvvm-save" "$R/usr/local/cuda-13.0/lib" && mv "$R$site"/nvidia/cu13/lib/libnvvm.so* "$tmp/nvvm-save/"
check "without any libNVVM: jit-ready:numba-cuda fails naming it" 'verdict jit-ready:numba-cuda | grep -q "^fail.*libNVVM"'
cp -P "$tmp"/nvvm-save/libnvvm.so* "$R/usr/local/cuda-13.0/lib/"
check "libNVVM in /usr/local/cuda-13.0/lib (no nvvm/lib64): jit-ready:numba-cuda passes" '[ "$(verdict jit-ready:numba-cuda | cut -d" " -f1)" = pass ]'
rm -rf "$R/usr/local/cuda-13.0" && mv "$tmp"/nvvm-save/libnvvm.so* "$R$site"/nvidia/cu13/lib/
# numba alone (CPU): no CUDA target, nothing to judge, no smoke to run
N=$tmp/numba-only; mkdir -p "$N$site" "$N/usr/lib/python3.12"; echo > "$N/usr/lib/python3.12/os.py"
(cd "$R$site" && cp -r numba numba-*.dist-info "$N$site/")
check "a CPU-only numba image: no jit-ready:numba-cuda check" '! "$cuslim" verify --json "$N" 2>/dev/null | grep -q "jit-ready:numba-cuda"'
# numba-cuda without numba (its .pth redirector imports it at every start; it cannot run alone)
N2=$tmp/numba-cuda-only; mkdir -p "$N2$site" "$N2/usr/lib/python3.12"; echo > "$N2/usr/lib/python3.12/os.py"
(cd "$R$site" && cp -r numba_cuda numba_cuda-*.dist-info "$N2$site/")
check "numba-cuda without numba: no jit-ready:numba-cuda check (requires: [numba])" '! "$cuslim" verify --json "$N2" 2>/dev/null | grep -q "jit-ready:numba-cuda"'
check "numba-cuda and numba together: the check is there" '"$cuslim" verify --json "$R" 2>/dev/null | grep -q "jit-ready:numba-cuda"'
v=$(verdict jit-ready:cupy)
check "jit-ready:cupy fails naming what CuPy compiles with, absent here (NVRTC, cuda_fp16.h) ($v)" \
  'echo "$v" | grep -q "^fail CuPy kernels will fail to compile: cupy needs NVRTC and the CUDA headers NVRTC compiles against (cuda_fp16.h) (none in the image)"'
mkdir -p "$R$site/nvidia/cu13/lib" "$R$site/nvidia/cu13/include"
[ ! -e "$R$site/nvidia/cu13/lib/libnvrtc.so.13" ] && [ ! -e "$R$site/nvidia/cu13/include/cuda_fp16.h" ] &&  # (the wheels above hold neither)
  cc -shared -fPIC -Wl,-soname,libnvrtc.so.13 -o "$R$site/nvidia/cu13/lib/libnvrtc.so.13" -x c /dev/null && echo > "$R$site/nvidia/cu13/include/cuda_fp16.h"
v=$(verdict jit-ready:cupy)
check "with NVRTC and cuda_fp16.h in the wheel dirs (stand-ins), jit-ready:cupy passes ($v)" 'echo "$v" | grep -q "^pass"'
rm -f "$R$site/nvidia/cu13/lib/libnvrtc.so.13" "$R$site/nvidia/cu13/include/cuda_fp16.h"
mv "$R$site"/nvidia/cu13/bin/ptxas "$tmp/ptxas"
v=$(verdict jit-ready:jax)
check "without ptxas, jit-ready:jax fails: jax.jit will fail ($v)" 'echo "$v" | grep -q "^fail jax.jit will fail: jax needs ptxas (none in the image)"'
mv "$tmp/ptxas" "$R$site"/nvidia/cu13/bin/ptxas
cp "$wheels"/nvidia_cuda_nvcc*.whl "$tmp/n.zip"; (cd "$tmp" && unzip -qo n.zip nvidia/cu13/bin/nvcc -d "$R$site")
v=$(verdict no-toolkit-files)
check "a stray nvcc fails no-toolkit-files ($v)" 'echo "$v" | grep -q "^fail.*bin/nvcc (cuda:compiler)"'
delete_inside "$R" "${site#/}/nvidia/cu13/bin/nvcc"
rm -rf "$R$site"/jax_cuda13_plugin   # its dist-info stays: metadata alone (importlib.metadata reads it) is not jax
check "jax's files gone, its dist-info kept: no jit-ready:jax check (metadata alone is not the distribution)" '[ "$(verdict jit-ready:jax | cut -d" " -f1)" = absent ]' 
v=$(verdict no-toolkit-files)
check "without jax (and numba keeps only libdevice), nvlink is a stray toolkit file, named by its toolkit rule, not the absent framework's ($v)" \
  'echo "$v" | grep -q "^fail.*nvidia/cu13/bin/nvlink (cuda:compiler; jax:jit-jax[^)]* when its framework ships, not in this image)"'
"$cuslim" bundle -q /bin/true --include "$R$site/nvidia/cu13/bin/nvlink" -o "$tmp/stray.tar" --json --report "$tmp/stray-bundle-report.json" > "$tmp/stray.json" 2> /dev/null
check "bundle of that stray jit file alone counts it as toolkit, as verify does, not jit" \
  'python3 -c "import json,sys; b=json.load(open(sys.argv[1]))[\"bytes_by_class\"]; assert \"jit\" not in b and b[\"toolkit\"] > 0, b" "$tmp/stray.json"'

"$cuslim" report "$tmp/stray.tar" --json > "$tmp/stray-report.json" 2> /dev/null
"$cuslim" slim "$tmp/stray.tar" --target /bin/true -o "$tmp/stray-slim.tar" --json > "$tmp/stray-slim.json" 2> /dev/null
check "report and slim of that image say toolkit too (one class in every command)" \
  'python3 -c "import json,sys; r=json.load(open(sys.argv[1])); s=json.load(open(sys.argv[2])); b=r[\"bytes_by_class\"]; assert \"jit\" not in b and b[\"toolkit\"] > 0, b; assert \"jit\" not in json.dumps(s[\"before\"]) and \"toolkit\" in s[\"before\"], s[\"before\"]" "$tmp/stray-report.json" "$tmp/stray-slim.json"'
check "report names that group by its toolkit rule (cuda:compiler), bundle by its wheel; neither by the absent framework (jax:jit-jax)" \
  'python3 -c "import json,sys; gs=[[g[\"group\"] for g in json.load(open(f))[\"groups\"] if g[\"class\"] == \"toolkit\"] for f in sys.argv[1:]]; assert \"cuda:compiler\" in gs[0] and [g for g in gs[1] if g.startswith(\"nvidia-cuda-nvcc \")] and not [g for x in gs for g in x if \"jax\" in g], gs" "$tmp/stray-report.json" "$tmp/stray-bundle-report.json"'

# slim's keep-sets keep the nvidia wheels' lib dirs, but not the static libraries in them; --keep does
S=$tmp/wheel-root; mkdir -p "$S$site/nvidia/cu13/lib" "$S/usr/lib/python3.12"; echo > "$S/usr/lib/python3.12/os.py"
for f in libfoo.so.1 libcudart_static.a libcudadevrt.a; do echo "not an ELF: $f" > "$S$site/nvidia/cu13/lib/$f"; done
must "slim the wheel tree (keep-sets only, plus --keep of one static library)" \
  "$cuslim" slim "$S" -o "$tmp/slimmed" --format dir --keep /usr/lib/python3.12/os.py --keep '*/libcudadevrt.a' -q
check "the keep-set kept the wheel's lib dir" '[ -f "$tmp/slimmed$site/nvidia/cu13/lib/libfoo.so.1" ]'
check "the keep-set left the static library out; the user's --keep kept the other" '[ ! -e "$tmp/slimmed$site/nvidia/cu13/lib/libcudart_static.a" ] && [ -f "$tmp/slimmed$site/nvidia/cu13/lib/libcudadevrt.a" ]'

# ---- part 2: a venv with Triton, bundled and compiling inside the image ------------------------------
[ -f "$(dirname "$py")/../include/python3.$("$py" -c 'import sys;print(sys.version_info[1])')/Python.h" ] || { echo "skip: Python.h missing (python3-dev)"; finish; exit $?; }
command -v gcc >/dev/null || { echo "skip: gcc missing"; finish; exit $?; }
"$py" -m venv "$tmp/venv" >/dev/null 2>&1 || { echo "skip: python3 -m venv failed"; exit 77; }
"$tmp/venv/bin/pip" install -q --disable-pip-version-check triton==3.6.0 > "$tmp/pip2.log" 2>&1 || { tail -3 "$tmp/pip2.log"; echo "skip: triton not installable"; exit 77; }
mkdir -p "$tmp/app"
echo 'import triton; print("triton", triton.__version__)' > "$tmp/app/main.py"
cat > "$tmp/app/build_launcher.py" <<'PY'
# What Triton does at its first compile, without a GPU: build its launcher module (the real
# driver.c of the wheel) with the C compiler it finds, against Python.h and its cuda.h; find
# libcuda through /sbin/ldconfig -p.
import os, shutil, subprocess, tempfile
import triton
from triton.runtime import build
d = os.path.join(os.path.dirname(triton.__file__), "backends", "nvidia")
work = tempfile.mkdtemp(dir="/var/tmp")
src = os.path.join(work, "main.c")
open(src, "w").write(open(os.path.join(d, "driver.c")).read())
so = build._build("cuda_utils", src, work, [], [os.path.join(d, "include")], [], [])
data = open(so, "rb").read()
shutil.rmtree(work)
print("launcher built:", data[:4] == b"\x7fELF" and b"PyInit_cuda_utils" in data)
print("ldconfig -p runs:", subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True).returncode == 0)
PY
want=$("$tmp/venv/bin/python" "$tmp/app/build_launcher.py")
check "on the host the launcher builds ($want)" 'echo "$want" | grep -q "launcher built: True"'
must "trace the app (imports triton, compiles nothing)" env -i LANG=C.UTF-8 PATH=/usr/bin:/bin "$cuslim" trace -q --files -o "$tmp/t.trace" -- "$tmp/venv/bin/python" "$tmp/app/main.py"
must "bundle FROM scratch with the trace" "$cuslim" bundle -q "$py" --trace "$tmp/t.trace" --include "$tmp/app" -o "$tmp/img" --tag jit --report "$tmp/r.json"
check "the report names Triton's toolchain: ptxas, a C compiler, ldconfig, Python.h, with its size" 'python3 - "$tmp/r.json" <<PY
import json, sys
j = json.load(open(sys.argv[1]))["jit"]
t = [x for x in j if x["framework"] == "triton"][0]
assert not t["missing"] and t["added_bytes"] > 10_000_000, t
assert any(f.startswith("a C compiler: ") for f in t["found"]) and any(f.startswith("Python.h: ") for f in t["found"]), t
PY'
check "the report says why the compiler ships: the JIT toolchain, not a DT_NEEDED edge" 'python3 - "$tmp/r.json" <<PY
import json, sys
r = json.load(open(sys.argv[1]))
why = {f["path"]: g["reason"] for g in r["groups"] for f in g["largest"]}
cc1 = [p for p in why if p.endswith("/cc1")]
assert cc1 and all(why[p].startswith("run-time toolchain of a JIT framework that ships (triton") for p in cc1), [(p, why[p]) for p in cc1]
PY'
out=$("$cuslim" run --gpu off "$tmp/img:jit" -- "$tmp/venv/bin/python" "$tmp/app/build_launcher.py" 2>&1)
check "inside the image: Triton's launcher compiles and links with the bundled compiler, ldconfig runs ($out)" '[ "$out" = "$want" ]'
v=$("$cuslim" verify --json "$tmp/img:jit" 2>/dev/null | python3 -c "import json,sys; d={c['name']: c['status'] for c in json.load(sys.stdin)['checks']}; print(d.get('jit-ready:triton'), d.get('no-toolkit-files'))")
check "verify: jit-ready:triton and no-toolkit-files pass ($v)" '[ "$v" = "pass pass" ]'
"$cuslim" bundle "$py" --trace "$tmp/t.trace" --include "$tmp/app" -o "$tmp/img" --tag nojit --no-jit > /dev/null 2> "$tmp/nojit.err"; rc=$?
check "bundle with --no-jit: a framework shipped without its toolchain is warned about ($(grep -m1 "without its run-time" "$tmp/nojit.err"))" \
  '[ $rc = 0 ] && grep -q "^cuslim: warning: triton ships without its run-time toolchain (--no-jit: ptxas, .*a C compiler" "$tmp/nojit.err"'
v=$("$cuslim" verify --json "$tmp/img:nojit" 2>/dev/null | python3 -c "import json,sys; d={c['name']: c for c in json.load(sys.stdin)['checks']}; print(d['jit-ready:triton']['status'], d['jit-ready:triton']['detail'])")
check "--no-jit: verify fails jit-ready:triton, naming ptxas and the C compiler ($v)" 'echo "$v" | grep -q "^fail Triton kernels (and torch.compile, whose first compiled region builds one) will fail at their first launch: triton needs ptxas, a C compiler"'
# Profiler-only files (profile triton's profiler_only): Proton, the CUPTI copy it alone loads and the
# instrumentation plug-ins stay out of a kept triton, named in one warning; a traced run that
# imported Proton ships it with what it loads when it profiles (its CUPTI copy).
tsite=$("$tmp/venv/bin/python" -c 'import os, triton; print(os.path.dirname(os.path.dirname(triton.__file__)))')
prof=("$tsite/triton/_C/libproton.so" "$tsite/triton/backends/nvidia/lib/cupti/libcupti.so" "$tsite/triton/instrumentation/libPrintLoadStoreMemSpaces.so")
check "the triton wheel holds Proton, its CUPTI copy and the instrumentation plug-ins" 'for f in "${prof[@]}"; do [ -f "$f" ] || exit 1; done'
must "bundle the triton app as a rootfs" "$cuslim" bundle "$py" --trace "$tmp/t.trace" --include "$tmp/app" -o "$tmp/rootfs-p" --format dir --report "$tmp/rp.json" > /dev/null 2> "$tmp/p.err"
check "triton ships, without Proton, its CUPTI copy or the instrumentation plug-ins" \
  '[ -f "$tmp/rootfs-p$tsite/triton/_C/libtriton.so" ] && for f in "${prof[@]}"; do [ ! -e "$tmp/rootfs-p$f" ] || exit 1; done'
check "one warning names them, with the profile" \
  '[ "$(grep -c "profiler-only files of kept Python distributions left out (.*libproton.so.*): only a profiler or an instrumentation pass loads them, and no traced run did; --include ships them (profile triton)" "$tmp/p.err")" = 1 ]'
check "the report counts them as left out of triton" 'python3 -c "import json,sys; d={x[\"name\"]: x for x in json.load(open(sys.argv[1]))[\"python\"][\"distributions\"]}; t=d[\"triton\"]; assert t[\"kept\"] and t[\"left_out_files\"] >= 3, t" "$tmp/rp.json"'
echo 'import triton.profiler; print("proton", triton.profiler.__name__)' > "$tmp/app/prof.py"
must "trace an app that imports Proton" env -i LANG=C.UTF-8 PATH=/usr/bin:/bin "$cuslim" trace -q --files -o "$tmp/tp.trace" -- "$tmp/venv/bin/python" "$tmp/app/prof.py"
must "bundle it" "$cuslim" bundle -q "$py" --trace "$tmp/tp.trace" --include "$tmp/app" -o "$tmp/img" --tag prof
out=$("$cuslim" run --gpu off "$tmp/img:prof" -- "$tmp/venv/bin/python" "$tmp/app/prof.py" 2>&1)
check "a traced run that loaded Proton ships it, and it imports in the image ($out)" '[ "$out" = "proton triton.profiler" ]'
must "the Proton image as a rootfs" "$cuslim" bundle -q "$py" --trace "$tmp/tp.trace" --include "$tmp/app" -o "$tmp/rootfs-p2" --format dir
check "... with its CUPTI copy (what Proton loads when it profiles)" '[ -f "$tmp/rootfs-p2${prof[1]}" ] && [ -f "$tmp/rootfs-p2${prof[0]}" ]'
# --no-jit: a JIT framework's distribution that only another requires (Requires-Dist) or a profile
# names, the traced run never importing it, stays out, said with the consequence; without
# --no-jit it ships ("required by").
mkdir -p "$tsite/jituser" "$tsite/jituser-1.0.dist-info"
echo 'VALUE = 42' > "$tsite/jituser/__init__.py"
printf 'Metadata-Version: 2.1\nName: jituser\nVersion: 1.0\nRequires-Dist: triton\n' > "$tsite/jituser-1.0.dist-info/METADATA"
printf 'jituser/__init__.py,,\njituser-1.0.dist-info/METADATA,,\njituser-1.0.dist-info/RECORD,,\n' > "$tsite/jituser-1.0.dist-info/RECORD"
echo 'import jituser; print("jituser", jituser.VALUE)' > "$tmp/app/user.py"
must "trace an app that imports jituser only" env -i LANG=C.UTF-8 PATH=/usr/bin:/bin "$cuslim" trace -q --files -o "$tmp/tu.trace" -- "$tmp/venv/bin/python" "$tmp/app/user.py"
must "bundle it (JIT on)" "$cuslim" bundle -q "$py" --trace "$tmp/tu.trace" --include "$tmp/app" -o "$tmp/rootfs-u1" --format dir --report "$tmp/u1.json"
check "JIT on: triton ships, required by jituser" '[ -f "$tmp/rootfs-u1$tsite/triton/_C/libtriton.so" ] && grep -q "\"reason\": \"required by jituser\"" "$tmp/u1.json"'
must "bundle it with --no-jit" "$cuslim" bundle "$py" --trace "$tmp/tu.trace" --include "$tmp/app" -o "$tmp/rootfs-u2" --format dir --report "$tmp/u2.json" --no-jit > /dev/null 2> "$tmp/u2.err"
check "--no-jit: triton stays out, and the warning says what fails" '[ ! -e "$tmp/rootfs-u2$tsite/triton" ] && [ -f "$tmp/rootfs-u2$tsite/jituser/__init__.py" ] && grep -q "triton 3.6.0 left out (--no-jit, and the traced run did not use it): Triton kernels (and torch.compile, whose first compiled region builds one) will fail at their first launch in this image" "$tmp/u2.err"'
check "--no-jit: the report says why triton is not kept" 'python3 -c "import json,sys; d={x[\"name\"]: x for x in json.load(open(sys.argv[1]))[\"python\"][\"distributions\"]}; t=d[\"triton\"]; assert not t[\"kept\"] and t[\"reason\"].startswith(\"not kept: --no-jit\") and \"required by jituser\" in t[\"reason\"], t" "$tmp/u2.json"'
out=$("$cuslim" run --gpu off "$tmp/rootfs-u2" -- "$tmp/venv/bin/python" "$tmp/app/user.py" 2>&1)
check "--no-jit: the app runs in that image ($out)" '[ "$out" = "jituser 42" ]'
# --no-jit and an optional import (profile triton's optional_for: torch imports triton only when it
# is there): a traced run that imported triton through torch, and ran none of its toolchain, gets
# an image without triton that still runs; an app importing triton itself keeps it (above).
mkdir -p "$tsite/torch" "$tsite/torch-9.9.dist-info"
printf 'try:\n    import triton\nexcept ImportError:\n    triton = None\nVALUE = 7\n' > "$tsite/torch/__init__.py"
printf 'Metadata-Version: 2.1\nName: torch\nVersion: 9.9\nRequires-Dist: triton\n' > "$tsite/torch-9.9.dist-info/METADATA"
printf 'torch/__init__.py,,\ntorch-9.9.dist-info/METADATA,,\ntorch-9.9.dist-info/RECORD,,\n' > "$tsite/torch-9.9.dist-info/RECORD"
echo 'import torch; print("torch-like", torch.VALUE)' > "$tmp/app/opt.py"
must "trace an app whose torch imports triton (only when there)" env -i LANG=C.UTF-8 PATH=/usr/bin:/bin "$cuslim" trace -q --files -o "$tmp/to.trace" -- "$tmp/venv/bin/python" "$tmp/app/opt.py"
check "the traced run imported triton" 'grep -q "triton/__init__.py" "$tmp/to.trace"'
must "bundle it (JIT on)" "$cuslim" bundle -q "$py" --trace "$tmp/to.trace" --include "$tmp/app" -o "$tmp/rootfs-o1" --format dir
check "JIT on: triton ships" '[ -f "$tmp/rootfs-o1$tsite/triton/_C/libtriton.so" ]'
must "bundle it with --no-jit" "$cuslim" bundle "$py" --trace "$tmp/to.trace" --include "$tmp/app" -o "$tmp/rootfs-o2" --format dir --report "$tmp/o2.json" --no-jit > /dev/null 2> "$tmp/o2.err"
check "--no-jit: triton left out although imported, the warning names the optional import and the consequence" \
  '[ ! -e "$tmp/rootfs-o2$tsite/triton" ] && [ -f "$tmp/rootfs-o2$tsite/torch/__init__.py" ] && grep -q "triton 3.6.0 left out (--no-jit): torch imports it only when it is there and runs without it, and the traced run ran none of its toolchain; Triton kernels" "$tmp/o2.err"'
check "--no-jit: the report says why triton is not kept; one warning, not two" 'python3 -c "import json,sys; d={x[\"name\"]: x for x in json.load(open(sys.argv[1]))[\"python\"][\"distributions\"]}; t=d[\"triton\"]; assert not t[\"kept\"] and \"import(s) it only when it is there\" in t[\"reason\"], t" "$tmp/o2.json" && [ $(grep -c "triton 3.6.0 left out" "$tmp/o2.err") = 1 ]'
out=$("$cuslim" run --gpu off "$tmp/rootfs-o2" -- "$tmp/venv/bin/python" "$tmp/app/opt.py" 2>&1)
check "--no-jit: the app runs without triton, with the host output ($out)" '[ "$out" = "torch-like 7" ]'
v=$("$cuslim" verify --json "$tmp/rootfs-o2" 2>/dev/null | python3 -c "import json,sys; d={c['name']: c['status'] for c in json.load(sys.stdin)['checks']}; print(d.get('jit-ready:triton', 'absent'))")
check "--no-jit: verify has no Triton to check ($v)" '[ "$v" = absent ]'
rm -rf "$tsite/torch" "$tsite/torch-9.9.dist-info" "$tmp/rootfs-o1" "$tmp/rootfs-o2"
rm -rf "$tsite/jituser" "$tsite/jituser-1.0.dist-info" "$tmp/rootfs-p" "$tmp/rootfs-p2" "$tmp/rootfs-u1" "$tmp/rootfs-u2"
must "the jit image as a rootfs dir" "$cuslim" bundle -q "$py" --trace "$tmp/t.trace" --include "$tmp/app" -o "$tmp/rootfs" --format dir
delete_inside "$tmp/rootfs" usr/bin/gcc "usr/bin/gcc-*" "usr/bin/x86_64-linux-gnu-gcc*" usr/bin/cc usr/bin/clang
v=$("$cuslim" verify --json "$tmp/rootfs" 2>/dev/null | python3 -c "import json,sys; d={c['name']: c for c in json.load(sys.stdin)['checks']}; print(d['jit-ready:triton']['status'], d['jit-ready:triton']['detail'])")
check "the C compiler removed: 'Triton kernels (and torch.compile, whose first compiled region builds one) will fail at their first launch: triton needs a C compiler (none in the image)' ($v)" \
  '[ "$v" = "fail Triton kernels (and torch.compile, whose first compiled region builds one) will fail at their first launch: triton needs a C compiler (none in the image)" ]'
must "the jit image as a rootfs dir, again" "$cuslim" bundle -q "$py" --trace "$tmp/t.trace" --include "$tmp/app" -o "$tmp/rootfs2" --format dir
delete_inside "$tmp/rootfs2" "usr/lib/gcc/*/cc1" "usr/libexec/gcc/*/cc1" usr/include/stdio.h
v=$("$cuslim" verify --json "$tmp/rootfs2" 2>/dev/null | python3 -c "import json,sys; d={c['name']: c for c in json.load(sys.stdin)['checks']}; print(d['jit-ready:triton']['status'], d['jit-ready:triton']['detail'])")
check "a compiler without cc1 and stdio.h is no compiler: jit-ready:triton names them ($v)" \
  '[ "$v" = "fail Triton kernels (and torch.compile, whose first compiled region builds one) will fail at their first launch: triton needs the compiler'"'"'s cc1 and the C library'"'"'s headers (none in the image)" ]'
out=$("$cuslim" run --gpu off "$tmp/rootfs2" -- "$tmp/venv/bin/python" "$tmp/app/build_launcher.py" 2>&1)
check "... and indeed the launcher does not build there" '! echo "$out" | grep -q "launcher built: True"'
# The rest of what gcc -shared reads: each missing part is named, and the launcher does not build.
for part in "usr/lib/gcc/*/*/crtbeginS.o|start files for shared objects" "usr/lib/gcc/*/*/include/stddef.h|own headers" \
            "usr/lib/x86_64-linux-gnu/libc.so|link script" "usr/lib/gcc/*/*/libgcc_s.so|libgcc_s"; do
  rm -rf "$tmp/rootfs3"; must "the jit image as a rootfs dir ($part)" "$cuslim" bundle -q "$py" --trace "$tmp/t.trace" --include "$tmp/app" -o "$tmp/rootfs3" --format dir
  delete_inside "$tmp/rootfs3" "${part%%|*}"
  v=$("$cuslim" verify --json "$tmp/rootfs3" 2>/dev/null | python3 -c "import json,sys; d={c['name']: c for c in json.load(sys.stdin)['checks']}; print(d['jit-ready:triton']['status'], d['jit-ready:triton']['detail'])")
  check "${part%%|*} removed: jit-ready:triton fails naming it ($v)" 'echo "$v" | grep -q "^fail .*${part#*|}"'
  out=$("$cuslim" run --gpu off "$tmp/rootfs3" -- "$tmp/venv/bin/python" "$tmp/app/build_launcher.py" 2>&1)
  check "... and the launcher does not build there" '! echo "$out" | grep -q "launcher built: True"'
done
finish
