#!/usr/bin/env bash
# Package-granular keeping for Python: a venv built at test time with real PyPI packages
# (packaging imports its submodules lazily; idna and six are installed but never imported). A
# program is traced on one path, bundled FROM scratch, and run inside the image on a COLD path the
# traced run never took (packaging.specifiers, stdlib bisect): it prints what the host printed,
# under cuslim run and under runc with an empty environment. --python-keep file keeps only what
# the trace opened (the cold path fails there: the difference is real). Stat-only files are not
# packed. The JSON report says what each distribution became and why; a profile names a
# companion. slim --probe of a fat image records file opens and gives an image that runs too.
# A distribution nothing imports whose library a kept package's native module needs on a cold path
# ships as its closure ("closure of extpkg") and the cold path runs.
set -u
cuslim=$(readlink -f "$1")
for tool in umoci runc; do command -v $tool >/dev/null || { echo "skip: $tool missing"; exit 77; }; done
[ "$(id -u)" = 0 ] || { echo "skip: runc needs root"; exit 77; }
py=$(readlink -f /usr/bin/python3); [ -x "$py" ] || { echo "skip: no /usr/bin/python3"; exit 77; }
tmp=$(mktemp -d /var/tmp/cuslim-pypkg-XXXXXX); trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/check_lib.sh"
source "$(dirname "$0")/runc_lib.sh"

"$py" -m venv "$tmp/venv" >/dev/null 2>&1 || { echo "skip: $py -m venv failed (python3-venv missing)"; exit 77; }
"$tmp/venv/bin/pip" install -q --disable-pip-version-check packaging idna six > "$tmp/pip.log" 2>&1 || { cat "$tmp/pip.log"; echo "skip: PyPI not reachable"; exit 77; }
vpy="$tmp/venv/bin/python"
mkdir -p "$tmp/app/data"
echo "read me" > "$tmp/app/data/read.txt"
head -c 3000000 /dev/zero > "$tmp/app/data/stat-only.bin"
# Two distributions made here: extpkg (Python, loads its native _native.so lazily with ctypes)
# and helperlib (only libhelper.so, which _native.so needs through RUNPATH; nothing imports it).
site=$(cd "$tmp/venv/lib/python3"*/site-packages && pwd)
mkdir -p "$site/extpkg" "$site/helperlib_libs" "$site/extpkg-1.0.dist-info" "$site/helperlib-2.0.dist-info"
echo 'int helper_answer(void) { return 42; }' > "$tmp/helper.c"
echo 'int helper_answer(void); int native_answer(void) { return helper_answer() + 1; }' > "$tmp/native.c"
cat > "$site/extpkg/__init__.py" <<'PY'
import ctypes, os
def answer():
    return ctypes.CDLL(os.path.join(os.path.dirname(__file__), "_native.so")).native_answer()
PY
must "build helperlib's libhelper.so" cc -shared -fPIC -o "$site/helperlib_libs/libhelper.so" "$tmp/helper.c"
must "build extpkg's _native.so (needs libhelper.so through \$ORIGIN)" cc -shared -fPIC -o "$site/extpkg/_native.so" "$tmp/native.c" \
  -L"$site/helperlib_libs" -lhelper '-Wl,--enable-new-dtags,-rpath,$ORIGIN/../helperlib_libs'
# extpkg requires lazydep (imported only on the cold path), for an extra only devonly, and for
# Pythons older than this one oldpy (a backport: its marker is false here).
printf 'Metadata-Version: 2.1\nName: extpkg\nVersion: 1.0\nRequires-Dist: LazyDep (>=1.0)\nRequires-Dist: devonly ; extra == "dev"\nRequires-Dist: oldpy ; python_version < "3.0" and sys_platform == "linux"\n' > "$site/extpkg-1.0.dist-info/METADATA"
for dep in lazydep devonly oldpy; do
  mkdir -p "$site/$dep" "$site/$dep-1.0.dist-info"
  echo "NAME = '$dep'" > "$site/$dep/__init__.py"
  printf 'Metadata-Version: 2.1\nName: %s\nVersion: 1.0\n' "$dep" > "$site/$dep-1.0.dist-info/METADATA"
  printf '%s/__init__.py,,\n%s-1.0.dist-info/METADATA,,\n%s-1.0.dist-info/RECORD,,\n' "$dep" "$dep" "$dep" > "$site/$dep-1.0.dist-info/RECORD"
done
# extpkg also carries a copy of a driver library (as some wheels do): it must never ship.
printf 'extpkg/__init__.py,,\nextpkg/_native.so,,\nextpkg/libcuda.so.1,,\nextpkg-1.0.dist-info/METADATA,,\nextpkg-1.0.dist-info/RECORD,,\n' > "$site/extpkg-1.0.dist-info/RECORD"
cp "$site/helperlib_libs/libhelper.so" "$site/extpkg/libcuda.so.1"
printf 'Metadata-Version: 2.1\nName: helperlib\nVersion: 2.0\n' > "$site/helperlib-2.0.dist-info/METADATA"
printf 'helperlib_libs/libhelper.so,,\nhelperlib-2.0.dist-info/METADATA,,\nhelperlib-2.0.dist-info/RECORD,,\n' > "$site/helperlib-2.0.dist-info/RECORD"
# linkonly carries two link-only CUDA libraries (profile cuda's link_only) where the nvidia wheels
# keep theirs (nvidia/*/lib, a slim keep-set): libcusolverMg.so.12, which nothing loads (left out),
# and libcufftw.so.12, which its module _fftw.so links (ships as that module's closure); and
# CUPTI's libnvperf_host.so, which only a profiler loads (profile cuda's profiler_only: left out).
lo=nvidia/linkonly/lib
mkdir -p "$site/linkonly" "$site/$lo" "$site/linkonly-1.0.dist-info"
echo 'X = 1' > "$site/linkonly/__init__.py"
for lib in libcusolverMg.so.12 libcufftw.so.12 libnvperf_host.so; do
  must "build linkonly's $lib" cc -shared -fPIC -Wl,-soname,$lib -o "$site/$lo/$lib" "$tmp/helper.c"
done
must "build linkonly's _fftw.so (links libcufftw.so.12)" cc -shared -fPIC -o "$site/linkonly/_fftw.so" "$tmp/native.c" \
  "$site/$lo/libcufftw.so.12" '-Wl,--enable-new-dtags,-rpath,$ORIGIN/../'"$lo"
printf 'Metadata-Version: 2.1\nName: linkonly\nVersion: 1.0\n' > "$site/linkonly-1.0.dist-info/METADATA"
printf 'linkonly/__init__.py,,\nlinkonly/_fftw.so,,\n%s/libcusolverMg.so.12,,\n%s/libcufftw.so.12,,\n%s/libnvperf_host.so,,\nlinkonly-1.0.dist-info/METADATA,,\nlinkonly-1.0.dist-info/RECORD,,\n' "$lo" "$lo" "$lo" > "$site/linkonly-1.0.dist-info/RECORD"
# hookpkg runs a start-up hook from a .pth file (as numba-cuda's redirector and setuptools'
# _distutils_hack do): the hook ships, the distribution is not "imported" for it.
mkdir -p "$site/hookpkg" "$site/hookpkg-1.0.dist-info"
echo 'import hookpkg_hook' > "$site/hookpkg.pth"
echo 'HOOKED = True' > "$site/hookpkg_hook.py"
echo 'BIG = 1' > "$site/hookpkg/__init__.py"
printf 'Metadata-Version: 2.1\nName: hookpkg\nVersion: 1.0\nRequires-Dist: devonly\nRequires-Dist: packaging\n' > "$site/hookpkg-1.0.dist-info/METADATA"
printf 'hookpkg.pth,,\nhookpkg_hook.py,,\nhookpkg/__init__.py,,\nhookpkg-1.0.dist-info/METADATA,,\nhookpkg-1.0.dist-info/RECORD,,\n' > "$site/hookpkg-1.0.dist-info/RECORD"
# packaging-ext's hook extends packaging, which ships (as numba-cuda's redirects numba.cuda): a
# plugin named after what it requires ships whole with it, or the cold path in the image would
# not import what the host imports. hookpkg requires devonly too, which is not its namesake.
mkdir -p "$site/packext" "$site/packaging_ext-1.0.dist-info"
echo 'import packext_hook' > "$site/packext.pth"
echo 'HOOKED = True' > "$site/packext_hook.py"
echo 'EXT = 1' > "$site/packext/__init__.py"
printf 'Metadata-Version: 2.1\nName: packaging-ext\nVersion: 1.0\nRequires-Dist: packaging\n' > "$site/packaging_ext-1.0.dist-info/METADATA"
printf 'packext.pth,,\npackext_hook.py,,\npackext/__init__.py,,\npackaging_ext-1.0.dist-info/METADATA,,\npackaging_ext-1.0.dist-info/RECORD,,\n' > "$site/packaging_ext-1.0.dist-info/RECORD"
cat > "$tmp/app/main.py" <<'PY'
import os, sys
import packaging
from packaging.version import Version
import extpkg
import linkonly
here = os.path.dirname(os.path.abspath(__file__))
os.path.exists(os.path.join(here, "data", "stat-only.bin"))      # looked at, never read
os.listdir(os.path.join(here, "data"))                             # listed: seen, not a use
data = open(os.path.join(here, "data", "read.txt")).read().strip()
if len(sys.argv) > 1 and sys.argv[1] == "cold":                    # never taken by the traced run
    from packaging.specifiers import SpecifierSet
    import bisect, lazydep
    print("cold", Version("1.2") in SpecifierSet(">=1.0,<2"), bisect.bisect([1, 3], 2), extpkg.answer(), data, lazydep.NAME)
else:
    print("warm", Version("1.2") > Version("1.1"), data)
PY
want_warm=$(env -i LANG=C.UTF-8 "$vpy" "$tmp/app/main.py")
want_cold=$(env -i LANG=C.UTF-8 "$vpy" "$tmp/app/main.py" cold)
must "trace --files the warm path" env -i LANG=C.UTF-8 PATH=/usr/bin:/bin "$cuslim" trace -q --files -o "$tmp/app.trace" -- "$vpy" "$tmp/app/main.py"
check "the trace tells opens from stats" 'grep -q "\"how\":\"stat\"" "$tmp/app.trace" && grep -q "\"how\":\"open\"" "$tmp/app.trace"'
check "the trace tells a listed directory from an opened file (how: list)" 'grep -q "\"path\":\"$tmp/app/data\",\"how\":\"list\"" "$tmp/app.trace" || grep -q "\"how\":\"list\",\"path\":\"$tmp/app/data\"" "$tmp/app.trace" || grep "$tmp/app/data\"" "$tmp/app.trace" | grep -q "\"how\":\"list\""'
check "the traced run never imported packaging.specifiers or lazydep" '! grep -q "packaging/specifiers\|packaging/__pycache__/specifiers\|lazydep" "$tmp/app.trace"'
check "the traced run never loaded extpkg's native module or libhelper.so" '! grep -q "_native.so\|libhelper.so" "$tmp/app.trace"'
check "the cold path on the host uses libhelper ($want_cold)" 'echo "$want_cold" | grep -q " 43 "'

must "bundle FROM scratch (--python-keep package, the default) with --report" \
  "$cuslim" bundle -q "$py" --trace "$tmp/app.trace" --include "$tmp/app" -o "$tmp/img" --tag pkg --report "$tmp/report.json"
out=$("$cuslim" run --gpu off "$tmp/img:pkg" -- "$vpy" "$tmp/app/main.py" 2>&1)
check "cuslim run, traced path: the host's output ($out)" '[ "$out" = "$want_warm" ]'
# An application's own package on PYTHONPATH (no dist-info): one module imported means the package
# ships whole, so a submodule only a cold path imports is there.
mkdir -p "$tmp/ppath/mypkg"; printf 'def hello():\n    return "hello"\n' > "$tmp/ppath/mypkg/__init__.py"; printf 'VALUE = 42\n' > "$tmp/ppath/mypkg/lazy.py"
printf 'SOLO = "solo"\n' > "$tmp/ppath/solo.py"  # a flat module beside the package, imported only on the cold path
printf 'import sys, mypkg\nif len(sys.argv) > 1:\n    import mypkg.lazy, solo\n    print(mypkg.hello(), mypkg.lazy.VALUE, solo.SOLO)\nelse:\n    print(mypkg.hello())\n' > "$tmp/own.py"
must "trace a script on its own package" env -i LANG=C.UTF-8 PYTHONPATH="$tmp/ppath" "$cuslim" trace -q --files -o "$tmp/own.trace" -- "$vpy" "$tmp/own.py"
must "bundle it with the script alone" "$cuslim" bundle -q "$vpy" --trace "$tmp/own.trace" --include "$tmp/own.py" -o "$tmp/img" --tag own
out=$(env -i "$cuslim" run --gpu off "$tmp/img:own" -- "$vpy" "$tmp/own.py" cold 2>&1)
check "the own package ships whole, and the PYTHONPATH dir's flat modules: what the trace never imported is there ($out)" '[ "$out" = "hello 42 solo" ]'
# A namespace package (PEP 420, no __init__.py) beside the script: the same, down to its subpackages.
mkdir -p "$tmp/nsapp/nspkg/sub"; printf 'A = 1\n' > "$tmp/nsapp/nspkg/sub/m1.py"; printf 'B = 5\n' > "$tmp/nsapp/nspkg/sub/m2.py"
printf 'import sys\nimport nspkg.sub.m1 as m\nif len(sys.argv) > 1:\n    import nspkg.sub.m2 as m\n    print("m2", m.B)\nelse:\n    print("m1", m.A)\n' > "$tmp/nsapp/main.py"
must "trace a script on its namespace package" env -i LANG=C.UTF-8 "$cuslim" trace -q --files -o "$tmp/ns.trace" -- "$vpy" "$tmp/nsapp/main.py"
must "bundle it with the script alone" "$cuslim" bundle -q "$vpy" --trace "$tmp/ns.trace" --include "$tmp/nsapp/main.py" -o "$tmp/img" --tag ns
out=$(env -i "$cuslim" run --gpu off "$tmp/img:ns" -- "$vpy" "$tmp/nsapp/main.py" cold 2>&1)
check "a namespace package beside the script ships whole: a module the trace never imported is there ($out)" '[ "$out" = "m2 5" ]'
# The venv's python as the target: its bin/ leads the image's PATH, so `python main.py` runs as typed.
must "bundle the venv's python" "$cuslim" bundle -q "$vpy" --trace "$tmp/app.trace" --include "$tmp/app" -o "$tmp/img" --tag venv
out=$(cd / && env -i "$cuslim" run --gpu off "$tmp/img:venv" -- python "$tmp/app/main.py" 2>&1)
check "the venv's bin/ is first in the image PATH: 'python main.py' gives the host's output ($out)" '[ "$out" = "$want_warm" ]'
vbase=$(basename "$(readlink -f "$vpy")")  # python3.N
out=$(cd / && for n in python python3 "$vbase"; do env -i "$cuslim" run --gpu off "$tmp/img:venv" -- "$tmp/venv/bin/$n" -c 'print("ok")' 2>&1; done)
check "the venv's python, python3 and $vbase are all in the image and run ($(echo $out))" '[ "$(echo "$out" | grep -c "^ok$")" = 3 ]'
# A distribution whose version the program reads (importlib.metadata.version, as transformers'
# is_X_available() does) ships whole, so a cold path that imports it works; one whose metadata only
# an entry-point scan read (pip's entry_points.txt) leaves no metadata behind.
cat > "$tmp/meta.py" <<'PY'
import importlib.metadata as md, sys
print("six", md.version("six"))
md.entry_points(group="console_scripts")  # reads every distribution's entry_points.txt
if len(sys.argv) > 1:
    import six
    print("imported", six.__name__)
PY
must "trace a script that reads six's version" env -i LANG=C.UTF-8 "$cuslim" trace -q --files -o "$tmp/meta.trace" -- "$vpy" "$tmp/meta.py"
must "bundle it" "$cuslim" bundle -q "$vpy" --trace "$tmp/meta.trace" --include "$tmp/meta.py" -o "$tmp/img" --tag meta --report "$tmp/meta.json"
want=$(env -i LANG=C.UTF-8 "$vpy" "$tmp/meta.py" cold)
out=$(env -i "$cuslim" run --gpu off "$tmp/img:meta" -- "$vpy" "$tmp/meta.py" cold 2>&1)
check "a distribution whose version was read ships whole: the cold path imports it ($out)" '[ "$out" = "$want" ]'
umoci unpack --image "$tmp/img:meta" "$tmp/um" >/dev/null 2>&1
check "... its report reason says so; pip (only scanned for entry points) left no dist-info behind" \
  'grep -q "its metadata read by the trace" "$tmp/meta.json" && ls -d "$site"/pip-*.dist-info > /dev/null && ! ls -d "$tmp/um/rootfs$site"/pip-*.dist-info > /dev/null 2>&1'
rm -rf "$tmp/um"
# Traced from the app's directory with relative paths: the image's WorkingDir is that directory
# (it holds it), so the same relative command runs in the image.
must "trace from the app's directory, relative paths" bash -c 'cd "$1" && env -i LANG=C.UTF-8 "$2" trace -q --files -o "$3" -- "$4" main.py > /dev/null' _ "$tmp/app" "$cuslim" "$tmp/rel.trace" "$vpy"
must "bundle with that trace" "$cuslim" bundle -q "$vpy" --trace "$tmp/rel.trace" --include "$tmp/app" -o "$tmp/img" --tag rel
out=$(cd / && env -i "$cuslim" run --gpu off "$tmp/img:rel" -- python main.py 2>&1)
check "WorkingDir is the traced directory: 'python main.py' runs as traced ($out)" '[ "$out" = "$want_warm" ]'
out=$("$cuslim" run --gpu off "$tmp/img:pkg" -- "$vpy" "$tmp/app/main.py" cold 2>&1)
check "cuslim run, cold path (lazy submodule + stdlib module never traced): the host's output ($out)" '[ "$out" = "$want_cold" ]'
out=$(run_image "$tmp/img" pkg "$vpy" "$tmp/app/main.py" cold)
check "runc, empty environment, cold path: the host's output ($out)" '[ "$out" = "$want_cold" ]'
umoci unpack --image "$tmp/img:pkg" "$tmp/u" >/dev/null 2>&1
check "the distribution's copy of libcuda.so.1 is not in the image" '[ -e "$tmp/u/rootfs$site/extpkg/__init__.py" ] && [ ! -e "$tmp/u/rootfs$site/extpkg/libcuda.so.1" ]'
check "a .pth hook ships (the hook module, not its distribution's package)" '[ -f "$tmp/u/rootfs$site/hookpkg.pth" ] && [ -f "$tmp/u/rootfs$site/hookpkg_hook.py" ] && [ ! -e "$tmp/u/rootfs$site/hookpkg/__init__.py" ]'
check "a .pth hook extending a distribution that ships brings its whole distribution" '[ -f "$tmp/u/rootfs$site/packext/__init__.py" ] && [ -f "$tmp/u/rootfs$site/packext_hook.py" ]'
check "a link-only library nothing loads is left out; one a shipped module links ships" '[ -f "$tmp/u/rootfs$site/linkonly/__init__.py" ] && [ ! -e "$tmp/u/rootfs$site/$lo/libcusolverMg.so.12" ] && [ -f "$tmp/u/rootfs$site/$lo/libcufftw.so.12" ]'
check "a profiler-only library is left out" '[ -f "$site/$lo/libnvperf_host.so" ] && [ ! -e "$tmp/u/rootfs$site/$lo/libnvperf_host.so" ]'
check "idna and six (never imported) are not in the image" '[ ! -e "$tmp/u/rootfs$site/idna" ] && [ ! -e "$tmp/u/rootfs$site/six.py" ]'
check "the dist-info of a kept distribution ships (importlib.metadata works)" 'ls -d "$tmp/u/rootfs$site"/packaging-*.dist-info >/dev/null'
check "the report: packaging kept (imported), idna and six dropped (not imported), the stdlib kept, helperlib kept as extpkg's closure" 'python3 - "$tmp/report.json" <<PY
import json, sys
r = json.load(open(sys.argv[1]))
d = {x["name"]: x for x in r["python"]["distributions"]}
assert d["packaging"]["kept"] and d["packaging"]["reason"] == "imported by the trace" and d["packaging"]["bytes"] > 0, d["packaging"]
for n in ("idna", "six", "pip"):
    assert not d[n]["kept"] and d[n]["reason"] == "not imported" and d[n]["bytes"] > 0, d[n]
assert d["python-stdlib"]["kept"] and d["python-stdlib"]["files"] > 100, d["python-stdlib"]
assert d["extpkg"]["kept"] and d["extpkg"]["reason"] == "imported by the trace", d["extpkg"]
assert d["helperlib"]["kept"] and d["helperlib"]["reason"] == "closure of extpkg" and d["helperlib"]["files"] == 1, d["helperlib"]
assert d["lazydep"]["kept"] and d["lazydep"]["reason"] == "required by extpkg", d["lazydep"]
assert "$site/extpkg/libcuda.so.1" in r["left_to_host_driver"], r["left_to_host_driver"]
# The numbers are what ships: the RECORD of extpkg has 5 files, its libcuda.so.1 is left to the host.
assert d["extpkg"]["files"] == 4 and d["extpkg"]["left_out_files"] == 1, d["extpkg"]
import os
assert d["extpkg"]["bytes"] == sum(os.path.getsize("$site/extpkg/" + f) for f in ("__init__.py", "_native.so")) + sum(
    os.path.getsize(os.path.join("$site/extpkg-1.0.dist-info", f)) for f in ("METADATA", "RECORD")), d["extpkg"]
assert any("extpkg/libcuda.so.1" in w for w in r["warnings"]), r["warnings"]
assert not d["devonly"]["kept"] and d["devonly"]["reason"] == "not imported", d["devonly"]
assert not d["oldpy"]["kept"] and d["oldpy"]["reason"] == "not imported", d["oldpy"]  # python_version < "3.0": not a need here
assert d["linkonly"]["kept"] and d["linkonly"]["left_out_files"] == 2, d["linkonly"]
assert any("libcusolverMg.so.12" in w and "link-only" in w and "profile cuda" in w and "libcufftw" not in w for w in r["warnings"]), r["warnings"]
assert any(w.startswith("1 profiler-only file of kept Python distributions left out (libnvperf_host.so)") and w.endswith("(profile cuda)") for w in r["warnings"]), r["warnings"]
assert d["hookpkg"]["reason"].startswith("shipped for another rule") and "pth" in d["hookpkg"]["reason"], d["hookpkg"]  # only its .pth hook ran
assert d["hookpkg"]["files"] <= 3 and not d["devonly"]["kept"], d["hookpkg"]  # the hook, not the package or what it requires
assert d["packaging-ext"]["kept"] and d["packaging-ext"]["reason"] == "its start-up hook (.pth) extends packaging, which ships", d["packaging-ext"]
assert r["bytes"] > 0 and "app" in r["bytes_by_class"] or "system" in r["bytes_by_class"], r["bytes_by_class"]
PY'

# --include of a directory ships what it holds; the stat-only rule is about traced files: trace a
# program outside the included tree to check it.
cp "$tmp/app/main.py" "$tmp/main2.py"; mkdir -p "$tmp/data"; cp "$tmp/app/data/"* "$tmp/data/"
must "trace a program whose data sits outside any --include" env -i LANG=C.UTF-8 "$cuslim" trace -q --files -o "$tmp/t2.trace" -- "$vpy" "$tmp/main2.py"
must "bundle it" "$cuslim" bundle -q "$py" --trace "$tmp/t2.trace" --include "$tmp/main2.py" -o "$tmp/img" --tag t2
rm -rf "$tmp/u2"; umoci unpack --image "$tmp/img:t2" "$tmp/u2" >/dev/null 2>&1
check "the opened data file ships, the stat'ed-only 3 MB file does not" '[ -f "$tmp/u2/rootfs$tmp/data/read.txt" ] && [ ! -e "$tmp/u2/rootfs$tmp/data/stat-only.bin" ]'

must "bundle with --python-keep file" "$cuslim" bundle -q "$py" --trace "$tmp/app.trace" --include "$tmp/app/main.py" --include "$tmp/app/data" -o "$tmp/img" --tag file --python-keep file
out=$("$cuslim" run --gpu off "$tmp/img:file" -- "$vpy" "$tmp/app/main.py" 2>&1)
check "--python-keep file: the traced path runs ($out)" '[ "$out" = "$want_warm" ]'
out=$("$cuslim" run --gpu off "$tmp/img:file" -- "$vpy" "$tmp/app/main.py" cold 2>&1)
check "--python-keep file: the cold path fails (only traced files ship)" 'echo "$out" | grep -q "ModuleNotFoundError"'

cat > "$tmp/companion.yaml" <<'YAML'
name: companion-test
kind: framework
python_companions:
  packaging: [six]
YAML
must "bundle with a profile that names six as packaging's companion" "$cuslim" bundle -q "$py" --profile "$tmp/companion.yaml" --trace "$tmp/app.trace" --include "$tmp/app" -o "$tmp/img" --tag comp --report "$tmp/comp.json"
check "six is kept, named by the profile" 'python3 -c "
import json; d={x[\"name\"]: x for x in json.load(open(\"$tmp/comp.json\"))[\"python\"][\"distributions\"]}
assert d[\"six\"][\"kept\"] and d[\"six\"][\"reason\"] == \"named by profile companion-test (with packaging)\", d[\"six\"]
assert not d[\"idna\"][\"kept\"]"'

# slim --probe of a fat image: the whole venv and standard library in, a running image out.
must "a fat image: the interpreter, its whole stdlib and the whole venv" \
  "$cuslim" bundle -q "$py" --include /usr/lib/python3."$("$py" -c 'import sys;print(sys.version_info[1])')" --include "$tmp/venv" --include "$tmp/app" -o "$tmp/fat" --tag fat --env LANG=C.UTF-8
"$cuslim" slim "$tmp/fat:fat" -o "$tmp/slim" --tag s --report "$tmp/slim.json" --probe -- "$vpy" "$tmp/app/main.py" > "$tmp/slim.out" 2>&1; rc=$?
check "slim --probe exits 0 and says it recorded file opens" '[ $rc = 0 ] && grep -q "files of the image" "$tmp/slim.out"'
out=$("$cuslim" run --gpu off "$tmp/slim:s" -- "$vpy" "$tmp/app/main.py" cold 2>&1)
check "the probed slim image runs the cold path with the host's output ($out)" '[ "$out" = "$want_cold" ]'
rm -rf "$tmp/us"; umoci unpack --image "$tmp/slim:s" "$tmp/us" >/dev/null 2>&1
check "slim --probe: the link-only library nothing loads is dropped (keep-set and package alike), the linked one kept, one warning" \
  '[ ! -e "$tmp/us/rootfs$site/$lo/libcusolverMg.so.12" ] && [ -f "$tmp/us/rootfs$site/$lo/libcufftw.so.12" ] && [ "$(grep -c "link-only.*libcusolverMg" "$tmp/slim.out")" = 1 ]'
# --json with --probe: the probed program prints too, but to stderr; stdout is the one JSON document.
"$cuslim" slim "$tmp/fat:fat" -o "$tmp/slim" --tag sj --json --probe -- "$vpy" "$tmp/app/main.py" > "$tmp/slimj.out" 2> "$tmp/slimj.err"; rc=$?
check "slim --probe --json: stdout parses as JSON, the program's output is on stderr (exit $rc)" \
  '[ $rc = 0 ] && python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$tmp/slimj.out" && grep -qF "$(echo "$want_warm" | head -1)" "$tmp/slimj.err"'
# Without a probe or trace only the keep-sets keep the wheels' libraries: the link-only ones stay out.
"$cuslim" slim "$tmp/fat:fat" -o "$tmp/slim" --tag static > "$tmp/static.out" 2>&1; rc=$?
rm -rf "$tmp/ust"; umoci unpack --image "$tmp/slim:static" "$tmp/ust" >/dev/null 2>&1
check "static slim: the keep-set leaves both link-only libraries out, and says so" \
  '[ $rc = 0 ] && [ ! -e "$tmp/ust/rootfs$site/$lo/libcusolverMg.so.12" ] && [ ! -e "$tmp/ust/rootfs$site/$lo/libcufftw.so.12" ] && grep -q "2 link-only libraries of the keep-sets dropped" "$tmp/static.out"'
check "static slim: the profiler-only one too, in a warning of its own" \
  '[ ! -e "$tmp/ust/rootfs$site/$lo/libnvperf_host.so" ] && grep -q "1 profiler-only file of the keep-sets dropped (libnvperf_host.so): only a profiler" "$tmp/static.out"'
check "slim dropped the distributions the probe never imported" 'python3 -c "
import json; d={x[\"name\"]: x for x in json.load(open(\"$tmp/slim.json\"))[\"python\"][\"distributions\"]}
assert d[\"packaging\"][\"kept\"] and not d[\"idna\"][\"kept\"] and not d[\"pip\"][\"kept\"], d"'
# A console script whose #! line names the venv's python (a link to the interpreter): it ships
# under that name whether the script is a target beside the interpreter itself (one object by
# realpath) or only the traced run executed it (the kernel opened the #! name; no event shows it).
printf '#!%s\nimport packaging\nprint("tool", packaging.__name__)\n' "$tmp/venv/bin/python" > "$tmp/venv/bin/tool"; chmod +x "$tmp/venv/bin/tool"
want=$("$tmp/venv/bin/tool")
must "bundle the interpreter and the script as targets" "$cuslim" bundle -q "$py" "$tmp/venv/bin/tool" -o "$tmp/img" --tag tool1 --include "$site/packaging"
out=$(env -i "$cuslim" run --gpu off "$tmp/img:tool1" -- "$tmp/venv/bin/tool" 2>&1)
check "script and interpreter both targets: the #! link ships, the script runs ($out)" '[ "$out" = "$want" ]'
must "trace the script" env -i LANG=C.UTF-8 "$cuslim" trace -q --files -o "$tmp/tool.trace" -- "$tmp/venv/bin/tool"
must "bundle the interpreter with that trace" "$cuslim" bundle -q "$py" --trace "$tmp/tool.trace" -o "$tmp/img" --tag tool2
out=$(env -i "$cuslim" run --gpu off "$tmp/img:tool2" -- "$tmp/venv/bin/tool" 2>&1)
check "a script the trace executed brings its #! link: it runs ($out)" '[ "$out" = "$want" ]'

# A user site (~/.local/lib/pythonX.Y/site-packages, found through HOME): the image's Env names
# that user base (PYTHONUSERBASE), as its /etc/passwd gives another home.
pyver=$("$py" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
usite=$tmp/uhome/.local/lib/python$pyver/site-packages
mkdir -p "$usite/usermod" "$usite/usermod-1.0.dist-info"
echo 'WHO = "user site"' > "$usite/usermod/__init__.py"
printf 'Metadata-Version: 2.1\nName: usermod\nVersion: 1.0\n' > "$usite/usermod-1.0.dist-info/METADATA"
printf 'usermod/__init__.py,,\nusermod-1.0.dist-info/METADATA,,\n' > "$usite/usermod-1.0.dist-info/RECORD"
echo 'import usermod; print(usermod.WHO)' > "$tmp/user.py"
want=$(env -i HOME="$tmp/uhome" "$py" "$tmp/user.py")
must "trace a script importing from the user site" env -i HOME="$tmp/uhome" LANG=C.UTF-8 "$cuslim" trace -q --files -o "$tmp/user.trace" -- "$py" "$tmp/user.py"
must "bundle it" "$cuslim" bundle -q "$py" --trace "$tmp/user.trace" --include "$tmp/user.py" -o "$tmp/img" --tag user
out=$(env -i "$cuslim" run --gpu off "$tmp/img:user" -- "$py" "$tmp/user.py" 2>&1)
check "the user site imports in the image ($out; host: $want)" '[ "$want" = "user site" ] && [ "$out" = "$want" ]'
check "the Env names the user base" 'python3 -c "import json,sys; i=json.load(open(sys.argv[1])); m=json.load(open(sys.argv[1].replace(\"index.json\", \"blobs/sha256/\")+[x for x in i[\"manifests\"] if x.get(\"annotations\",{}).get(\"org.opencontainers.image.ref.name\")==\"user\"][0][\"digest\"][7:])); c=json.load(open(sys.argv[1].replace(\"index.json\", \"blobs/sha256/\")+m[\"config\"][\"digest\"][7:])); assert \"PYTHONUSERBASE=$tmp/uhome/.local\" in c[\"config\"][\"Env\"], c[\"config\"][\"Env\"]" "$tmp/img/index.json"'
# The user base is the last .local/lib/pythonX.Y/site-packages in a path (a vendored tree holding
# its own .local is the deeper one), as the pattern ^(/.*/\.local)/lib/python\d+\.\d+/site-packages/ says.
nested=$tmp/nest/.local/lib/python$pyver/site-packages/pkg/.local/lib/python$pyver/site-packages
mkdir -p "$nested"; echo 'x = 1' > "$nested/x.py"
printf '{"event":"file","how":"open","path":"%s","pid":1}\n' "$nested/x.py" > "$tmp/nest.trace"
must "bundle with a trace of a nested user site" "$cuslim" bundle -q /bin/true --trace "$tmp/nest.trace" -o "$tmp/nest-img" --tag n
check "the Env names the deeper user base" 'python3 -c "import json,sys; d=sys.argv[1]; i=json.load(open(d+\"/index.json\")); m=json.load(open(d+\"/blobs/sha256/\"+i[\"manifests\"][0][\"digest\"][7:])); c=json.load(open(d+\"/blobs/sha256/\"+m[\"config\"][\"digest\"][7:])); assert \"PYTHONUSERBASE=$tmp/nest/.local/lib/python$pyver/site-packages/pkg/.local\" in c[\"config\"][\"Env\"], c[\"config\"][\"Env\"]" "$tmp/nest-img"'

# Egg-info distributions sharing a namespace package (namespace_packages.txt, as Debian installs
# lazr.uri beside lazr.restfulclient): each owns its own subpackage. A distribution only read
# for its version (its METADATA read) ships whole, and the report's groups say why.
mkdir -p "$site/nsx/alpha" "$site/nsx/beta"
echo 'A = "alpha"' > "$site/nsx/alpha/__init__.py"; echo 'B = "beta"' > "$site/nsx/beta/__init__.py"
for n in alpha beta; do
  mkdir -p "$site/nsx.$n-1.0.egg-info"
  printf 'Metadata-Version: 1.1\nName: nsx.%s\nVersion: 1.0\n' "$n" > "$site/nsx.$n-1.0.egg-info/PKG-INFO"
  echo nsx > "$site/nsx.$n-1.0.egg-info/top_level.txt"; echo nsx > "$site/nsx.$n-1.0.egg-info/namespace_packages.txt"
done
printf 'import importlib.metadata, nsx.alpha\nprint(nsx.alpha.A, importlib.metadata.version("six"))\n' > "$tmp/use_nsx.py"
want=$("$vpy" "$tmp/use_nsx.py")
must "trace a script importing nsx.alpha (and reading six's metadata)" env -i LANG=C.UTF-8 "$cuslim" trace -q --files -o "$tmp/nsx.trace" -- "$vpy" "$tmp/use_nsx.py"
must "bundle it" "$cuslim" bundle -q "$py" --trace "$tmp/nsx.trace" --include "$tmp/use_nsx.py" -o "$tmp/rootfs-nsx" --format dir --report "$tmp/nsx.json"
out=$("$cuslim" run --gpu off "$tmp/rootfs-nsx" -- "$vpy" "$tmp/use_nsx.py" 2>&1)
check "the image prints the host's output ($out)" '[ "$out" = "$want" ]'
check "nsx.alpha kept (imported), nsx.beta not: its subpackage stays out" 'python3 - "$tmp/nsx.json" <<PY
import json, sys
d = {x["name"]: x for x in json.load(open(sys.argv[1]))["python"]["distributions"]}
assert d["nsx.alpha"]["kept"] and d["nsx.alpha"]["reason"] == "imported by the trace", d["nsx.alpha"]
assert not d["nsx.beta"]["kept"] and d["nsx.beta"]["reason"] == "not imported", d["nsx.beta"]
PY
[ -f "$tmp/rootfs-nsx$site/nsx/alpha/__init__.py" ] && [ ! -e "$tmp/rootfs-nsx$site/nsx/beta" ]'
check "the groups never call a distribution that is not kept a kept Python distribution" 'python3 - "$tmp/nsx.json" <<PY
import json, sys
r = json.load(open(sys.argv[1]))
bad = [g for g in r["groups"] if g["kept"] and g["reason"] == "Python distribution: not imported"]
six = [g for g in r["groups"] if g["kept"] and g["group"].startswith("six ")]
assert not bad and six and "its metadata read by the trace" in six[0]["reason"], (bad, six)
PY'
rm -rf "$site/nsx" "$site"/nsx.*-1.0.egg-info "$tmp/rootfs-nsx"
finish
