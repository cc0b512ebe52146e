#!/usr/bin/env bash
# A Python program from a minimal image: traced under C.UTF-8 with --files, bundled FROM scratch,
# run with an EMPTY environment under runc (and under cuslim run) -- it prints what it printed on
# the host (its interpreter start-up finds every codec: the whole encodings package ships, and
# LANG/LC_ALL default to C.UTF-8 in the config). A traced program that maps a driver-class
# library: the library is left to the host driver, never packed. Cold caches: a trace runs with
# fresh JIT cache dirs unless --warm-cache.
set -u
cuslim=$(readlink -f "$1")
for tool in umoci runc cc; do command -v $tool >/dev/null || { echo "skip: $tool missing"; exit 77; }; done
[ "$(id -u)" = 0 ] || { echo "skip: runc needs root"; exit 77; }
py=$(readlink -f /usr/bin/python3); [ -x "$py" ] || { echo "skip: no /usr/bin/python3"; exit 77; }
tmp=$(mktemp -d /var/tmp/cuslim-pyapp-XXXXXX); trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/check_lib.sh"
source "$(dirname "$0")/runc_lib.sh"

mkdir -p "$tmp/app"
cat > "$tmp/app/main.py" <<'PY'
import json, sys, os
print(json.dumps({"text": "Főtanúsítvány ✓", "fs": sys.getfilesystemencoding(), "stdout": sys.stdout.encoding.lower(),
                  "cache": "TRITON_CACHE_DIR" in os.environ and os.path.isdir(os.environ["TRITON_CACHE_DIR"])
                           and not os.listdir(os.environ["TRITON_CACHE_DIR"])}, ensure_ascii=False))
PY
want=$(env -i LANG=C.UTF-8 "$py" "$tmp/app/main.py")
must "trace --files under C.UTF-8" env -i LANG=C.UTF-8 PATH=/usr/bin:/bin TORCH_SHOW_CPP_STACKTRACES=1 CUDA_VISIBLE_DEVICES=3 \
  NVIDIA_VISIBLE_DEVICES=GPU-1234abcd HF_TOKEN=hf_secret123 TF_VAR_db_password=hunter2 TORCH_hub_token=tok123 \
  CUDA_APIKEY=s2cret TF_CPP_MIN_LOG_LEVEL=2 SSL_CERT_FILE=/etc/ssl/nowhere/ca.pem PYTHONPATH="$tmp/app" "$cuslim" trace -q --files -o "$tmp/py.trace" -- "$py" "$tmp/app/main.py" > "$tmp/traced.out"
check "the traced run had a fresh TRITON_CACHE_DIR, there and empty (cold caches)" 'grep -q "\"cache\": true" "$tmp/traced.out"'
# A #!/usr/bin/env python3 script traced with another python3 first on PATH (a venv's bin/): the
# image runs the python3 the trace ran, not the first one of the default PATH.
mkdir -p "$tmp/pybin" && ln -s "$py" "$tmp/pybin/python3"
printf '#!/usr/bin/env python3\nimport sys\nprint(sys.executable)\n' > "$tmp/envapp.py" && chmod +x "$tmp/envapp.py"
must "trace the env script" env -i LANG=C.UTF-8 PATH="$tmp/pybin:/usr/bin:/bin" "$cuslim" trace -q --files -o "$tmp/envapp.trace" -- "$tmp/envapp.py"
"$cuslim" bundle -q "$tmp/envapp.py" --trace "$tmp/envapp.trace" -o "$tmp/envapp-img" 2> /dev/null
out=$("$cuslim" run --gpu off "$tmp/envapp-img" 2>&1)
check "a #!/usr/bin/env python3 script runs the python3 the trace ran ($out)" '[ "$out" = "$tmp/pybin/python3" ]'
must "trace without --files" env -i LANG=C.UTF-8 PATH=/usr/bin:/bin "$cuslim" trace -q -o "$tmp/nofiles.trace" -- "$py" "$tmp/app/main.py" > /dev/null
"$cuslim" bundle -q "$py" --trace "$tmp/nofiles.trace" -o "$tmp/nofiles.tar" 2> "$tmp/nofiles.err"; rc=$?
check "bundle of a Python interpreter with a trace made without --files warns that the imports are unknown (exit $rc)" \
  '[ $rc = 0 ] && grep -q "a --trace made without --files: which modules the run imported is unknown" "$tmp/nofiles.err"' || cat "$tmp/nofiles.err"
must "trace --warm-cache" env -i LANG=C.UTF-8 PATH=/usr/bin:/bin "$cuslim" trace -q --warm-cache -o "$tmp/warm.trace" -- "$py" "$tmp/app/main.py" > "$tmp/warm.out"
check "--warm-cache leaves the environment's caches alone" 'grep -q "\"cache\": false" "$tmp/warm.out"'
check "the trace records the locale of the run" 'grep -q "\"event\":\"env\",\"name\":\"LANG\",\"value\":\"C.UTF-8\"" "$tmp/py.trace"'
check "the cache dirs are not recorded into the trace" '! grep -q "\"name\":\"TRITON_CACHE_DIR\"" "$tmp/py.trace"'
check "secrets are never recorded (HF_TOKEN, TF_VAR_db_password, TORCH_hub_token, CUDA_APIKEY)" '! grep -qE "hf_secret123|hunter2|tok123|s2cret|TF_VAR" "$tmp/py.trace"'
check "the device selection is recorded (what the run had)" 'grep -q "\"name\":\"CUDA_VISIBLE_DEVICES\"" "$tmp/py.trace"'
"$cuslim" bundle -q "$py" --trace "$tmp/py.trace" --include "$tmp/app/main.py" -o "$tmp/img" --tag py 2> "$tmp/err"
check "bundle the interpreter FROM scratch with the trace (exit $?)" '[ -f "$tmp/img/index.json" ]'
check "... warns that SSL_CERT_FILE names a file the image lacks" 'grep -q "SSL_CERT_FILE=/etc/ssl/nowhere/ca.pem (from the trace): /etc/ssl/nowhere/ca.pem is not in the image" "$tmp/err"'
out=$(run_image "$tmp/img" py "$py" "$tmp/app/main.py")
check "runc, empty environment: the same output as the host ($out)" '[ "$out" = "$want" ]'
out=$("$cuslim" run --gpu off "$tmp/img" -- "$py" "$tmp/app/main.py" 2>&1)
check "cuslim run: the same output ($out)" '[ "$out" = "$want" ]'
config_env() { python3 - "$1" <<'PY'
import json, sys
d = sys.argv[1]
i = json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]
m = json.load(open(d + "/blobs/sha256/" + i))
print("\n".join(json.load(open(d + "/blobs/sha256/" + m["config"]["digest"][7:]))["config"]["Env"]))
PY
}
check "the config says the recorded LANG (C.UTF-8), and no LC_ALL over it" 'config_env "$tmp/img" | grep -qx "LANG=C.UTF-8" && ! config_env "$tmp/img" | grep -q "^LC_ALL="'
out=$("$cuslim" run --gpu off "$tmp/img" -- "$py" -c 'import locale; print(locale.setlocale(locale.LC_ALL, ""))' 2>&1)
check "the locale the Env names ships whole: setlocale(LC_ALL, \"\") works in the image ($out)" '[ "$out" = C.UTF-8 ]'
# A trace with no locale at all: LANG and LC_ALL default to C.UTF-8 (its data ships). A trace with
# another locale keeps it, without an LC_ALL that would override it.
env -i PATH=/usr/bin:/bin "$cuslim" trace -q -o "$tmp/noloc.trace" -- "$py" -c pass
"$cuslim" bundle -q "$py" --trace "$tmp/noloc.trace" -o "$tmp/noloc" --tag n
check "no locale in the trace: LANG and LC_ALL default to C.UTF-8" 'config_env "$tmp/noloc" | grep -qx "LANG=C.UTF-8" && config_env "$tmp/noloc" | grep -qx "LC_ALL=C.UTF-8"'
env -i PATH=/usr/bin:/bin LANG=xx_XX.UTF-8 "$cuslim" trace -q -o "$tmp/de.trace" -- "$py" -c pass 2>/dev/null
"$cuslim" bundle "$py" --trace "$tmp/de.trace" -o "$tmp/de" --tag d > /dev/null 2> "$tmp/de.err"
check "LANG=xx_XX.UTF-8 in the trace: kept, no LC_ALL over it; its missing data is said" \
  'config_env "$tmp/de" | grep -qx "LANG=xx_XX.UTF-8" && ! config_env "$tmp/de" | grep -q "^LC_ALL=" && { [ -e /usr/lib/locale/locale-archive ] || grep -q "locale xx_XX.UTF-8.*no data" "$tmp/de.err"; }'
check "the config carries the framework knob, not this host's devices or secrets" 'python3 - "$tmp/img" <<PY
import json, sys
d = sys.argv[1]
i = json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]
m = json.load(open(d + "/blobs/sha256/" + i))
env = json.load(open(d + "/blobs/sha256/" + m["config"]["digest"][7:]))["config"]["Env"]
assert "TORCH_SHOW_CPP_STACKTRACES=1" in env and "TF_CPP_MIN_LOG_LEVEL=2" in env, env
assert not [e for e in env if e.startswith(("CUDA_VISIBLE_DEVICES=", "HF_TOKEN=", "SSL_CERT_FILE=", "TF_VAR", "CUDA_APIKEY"))], env
assert "PYTHONPATH=$tmp/app" in env, env  # it names a dir the image holds
assert "NVIDIA_VISIBLE_DEVICES=GPU-1234abcd" not in env, env
PY'
pyver=$("$py" -c 'import sys;print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
check "the whole encodings package ships (ascii and latin_1 too, never imported on the host)" 'umoci unpack --image "$tmp/img:py" "$tmp/u" >/dev/null 2>&1 && [ -f "$tmp/u/rootfs/usr/lib/python$pyver/encodings/ascii.py" ] && [ -f "$tmp/u/rootfs/usr/lib/python$pyver/encodings/latin_1.py" ]'

# --- no trace: the interpreter alone still starts (its encodings, landmarks, site's modules) ------
must "bundle the bare interpreter, no trace" "$cuslim" bundle -q "$py" -o "$tmp/bare" --tag b
out=$(run_image "$tmp/bare" b "$py" -c 'import sys, encodings.latin_1; print("started", sys.prefix, sys.getfilesystemencoding())' 2>&1)
check "runc, empty environment: the untraced interpreter starts ($out)" '[ "$out" = "started /usr utf-8" ]'
"$cuslim" bundle "$py" -o "$tmp/bare-warn" --format dir > /dev/null 2> "$tmp/bare.err"
"$cuslim" bundle "$py" --include "/usr/lib/python$("$py" -c 'import sys;print(f"{sys.version_info[0]}.{sys.version_info[1]}")')" -o "$tmp/bare-stdlib" --format dir > /dev/null 2> "$tmp/stdlib.err"
check "no trace: a warning says only the start-up part of the standard library ships (none when it is --include'd)" \
  'grep -q "a Python interpreter with no --trace: .*only the start-up part of the standard library ship" "$tmp/bare.err" && ! grep -q "no --trace" "$tmp/stdlib.err" && [ -f "$tmp/bare-stdlib/usr/lib/python$("$py" -c "import sys;print(f\"{sys.version_info[0]}.{sys.version_info[1]}\")")/json/__init__.py" ]'
# an image of it built from a root that has lost its encodings (bundle --root of such a tree)
must "bare interpreter as a rootfs dir" "$cuslim" bundle -q "$py" -o "$tmp/bare-dir" --format dir
delete_inside "$tmp/bare-dir" "usr/lib/python3*/encodings"
must "bundle it from that root" "$cuslim" bundle -q --root "$tmp/bare-dir" "$py" -o "$tmp/noenc" --tag n
v=$("$cuslim" verify --json "$tmp/noenc:n" 2>/dev/null | python3 -c "import json,sys; d={c['name']: c for c in json.load(sys.stdin)['checks']}; print(d['entrypoint']['status'], d['entrypoint']['detail'])")
check "verify fails an image whose Python cannot start, naming encodings ($v)" 'echo "$v" | grep -q "^fail .*a Python interpreter without .*encodings"'
printf '#!%s\nimport sys\nprint("script", sys.getfilesystemencoding())\n' "$py" > "$tmp/app/tool.py"; chmod +x "$tmp/app/tool.py"
must "bundle a #! python script, no trace" "$cuslim" bundle -q "$tmp/app/tool.py" -o "$tmp/script-img" --tag s
out=$(run_image "$tmp/script-img" s "$tmp/app/tool.py" 2>&1)
check "runc, empty environment: the script's interpreter starts ($out)" '[ "$out" = "script utf-8" ]'
if "$py" -m venv --without-pip "$tmp/venv" 2>/dev/null; then
  vsite=$(echo "$tmp"/venv/lib/python3*/site-packages)
  # As numba-cuda's redirector: the hook imports standard modules site itself never needs.
  cat > "$vsite/pthmod.py" <<'PY'
import builtins
import importlib
import importlib.abc
import pathlib
import warnings
from fractions import Fraction
try:
    import json
except ImportError:
    json = None
def later():
    import sqlite3  # runs only when called: not an import-time need
builtins.PTH_RAN = "yes" if json and pathlib.Path("/").is_dir() and Fraction(1, 2) else "partly"
PY
  echo 'import pthmod' > "$vsite/zz-demo.pth"
  must "bundle a venv's python, no trace" "$cuslim" bundle -q "$tmp/venv/bin/python" -o "$tmp/venv-img" --tag v
  out=$(run_image "$tmp/venv-img" v "$tmp/venv/bin/python" -c 'import sys, builtins; print(sys.prefix, getattr(builtins, "PTH_RAN", "no"))' 2>&1)
  check "the venv's python runs as the venv's (pyvenv.cfg ships), its .pth hook and the standard modules it imports run: $out" '[ "$out" = "$tmp/venv yes" ]'
  (for b in "$tmp"/venv-img/blobs/sha256/*; do tar -tzf "$b" 2>/dev/null; done) > "$tmp/venv-img.list"
  check "... what the hook imports only inside a function is not shipped (sqlite3; pathlib and fractions are)" \
    'grep -q "/pathlib.py$" "$tmp/venv-img.list" && grep -q "/fractions.py$" "$tmp/venv-img.list" && ! grep -q "/sqlite3/" "$tmp/venv-img.list"'
else
  echo "note: no venv module here; the venv case was not run"
fi

# --- a driver-class library the traced program maps ------------------------------------------------
mkdir -p "$tmp/drv/lib"
echo 'int nvmlInit(void){return 0;}' > "$tmp/n.c"
cc -shared -fPIC -Wl,-soname,libnvidia-ml.so.1 -o "$tmp/drv/lib/libnvidia-ml.so.580.65.06" "$tmp/n.c" && ln -s libnvidia-ml.so.580.65.06 "$tmp/drv/lib/libnvidia-ml.so.1"
cat > "$tmp/drv/app.c" <<'C'
#include <dlfcn.h>
#include <stdio.h>
int main(void){ void* h = dlopen("libnvidia-ml.so.1", RTLD_NOW); puts(h ? "nvml loaded" : "no nvml"); return 0; }
C
cc -o "$tmp/drv/app" "$tmp/drv/app.c" -ldl -Wl,--enable-new-dtags,-rpath,"$tmp/drv/lib"
for mode in "" "--files"; do
  must "trace the program ($mode)" "$cuslim" trace -q $mode -o "$tmp/drv.trace" -- "$tmp/drv/app"
  check "the trace saw the driver library mapped ($mode)" 'grep -q "libnvidia-ml.so" "$tmp/drv.trace"'
  rm -rf "$tmp/drv-img"
  "$cuslim" bundle "$tmp/drv/app" --trace "$tmp/drv.trace" -o "$tmp/drv-img" --tag d > "$tmp/drv.out" 2>&1; rc=$?
  check "bundle --trace exits 0 and says the driver library is left to the host ($mode)" '[ $rc = 0 ] && grep -q "libnvidia-ml.so" "$tmp/drv.out" && grep -qi "host driver" "$tmp/drv.out"'
  "$cuslim" verify --json "$tmp/drv-img" > "$tmp/drv.json" 2>&1
  check "no driver file in the image ($mode)" 'python3 -c "import json,sys; d=json.load(open(\"$tmp/drv.json\")); c=[x for x in d[\"checks\"] if x[\"name\"]==\"no-driver-files\"][0]; assert c[\"status\"]==\"pass\", c"'
done
"$cuslim" bundle /bin/true --include "$tmp/drv/lib/libnvidia-ml.so.1" -o "$tmp/drv-inc.tar" > "$tmp/drv-inc.out" 2>&1; rc=$?
check "a driver library named by --include: left out with a warning naming it" \
  '[ $rc = 0 ] && grep -q "^cuslim: warning: .*libnvidia-ml.so.*driver file left out" "$tmp/drv-inc.out" && ! tar -tf "$tmp/drv-inc.tar" | grep -q libnvidia-ml'

# --- a launcher that runs its interpreter by name, from the run's PATH ------------------------------
# `exec pyrun` found pyrun in a directory of the traced run's PATH that no default PATH holds: the
# image's PATH has that directory, so the entrypoint script runs as it did (not exit 127).
mkdir -p "$tmp/launch/mybin" && ln -s "$py" "$tmp/launch/mybin/pyrun"
printf '#!/bin/sh\nexec pyrun -c "import json; print(json.dumps({\\"launched\\": 1}))"\n' > "$tmp/launch/start.sh"; chmod +x "$tmp/launch/start.sh"
want=$(PATH="$tmp/launch/mybin:/usr/bin:/bin" "$tmp/launch/start.sh")
must "trace the launcher" env PATH="$tmp/launch/mybin:/usr/bin:/bin" "$cuslim" trace -q --files -o "$tmp/launch.trace" -- "$tmp/launch/start.sh"
must "bundle the launcher" "$cuslim" bundle -q "$tmp/launch/start.sh" --trace "$tmp/launch.trace" -o "$tmp/launch-img" --tag t
got=$("$cuslim" run --gpu off "$tmp/launch-img:t" 2>&1); rc=$?
check "the launcher runs in the image as on the host ($got; host: $want)" '[ $rc = 0 ] && [ "$got" = "$want" ] && [ "$want" = "{\"launched\": 1}" ]'

# --- an application's own code beside its script, on a path the trace did not take ------------------
# A namespace package (no __init__.py) and flat modules beside the script ship whole: the untraced
# `python3 m.py x` imports nsp.b, nsp.inner.c and util_b in the image too.
mkdir -p "$tmp/nsapp/nsp/inner"
echo 'X = "a"' > "$tmp/nsapp/nsp/a.py"; echo 'Y = "b"' > "$tmp/nsapp/nsp/b.py"; echo 'Z = "c"' > "$tmp/nsapp/nsp/inner/c.py"
echo 'U = "ua"' > "$tmp/nsapp/util_a.py"; echo 'V = "ub"' > "$tmp/nsapp/util_b.py"
printf 'import sys\nfrom nsp import a\nimport util_a\nprint(a.X, util_a.U)\nif len(sys.argv) > 1:\n    from nsp import b\n    from nsp.inner import c\n    import util_b\n    print(b.Y, c.Z, util_b.V)\n' > "$tmp/nsapp/m.py"
want=$(cd "$tmp/nsapp" && "$py" m.py x | tr '\n' ' ')
must "trace the app without its lazy path" sh -c "cd '$tmp/nsapp' && '$cuslim' trace -q --files -o '$tmp/ns.trace' -- '$py' m.py"
must "bundle the interpreter with that trace" "$cuslim" bundle -q "$py" --trace "$tmp/ns.trace" -o "$tmp/ns-img" --tag t
got=$("$cuslim" run --gpu off "$tmp/ns-img:t" -- "$py" m.py x 2>&1 | tr '\n' ' '); rc=$?
check "the lazy path runs in the image: namespace package and flat modules shipped ($got; host: $want)" '[ $rc = 0 ] && [ "$got" = "$want" ] && [ "$want" = "a ua b c ub " ]'

# --- time zones: looked up by name at run time ---------------------------------------------------
# A run that read one zone ships the zone database: another zone named later works in the image.
printf 'import sys, datetime, zoneinfo\nz = zoneinfo.ZoneInfo(sys.argv[1])\nprint(datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc).astimezone(z).isoformat())\n' > "$tmp/app/tz.py"
must "trace a run in Europe/Paris" "$cuslim" trace -q --files -o "$tmp/tz.trace" -- "$py" "$tmp/app/tz.py" Europe/Paris
must "bundle it" "$cuslim" bundle -q "$py" --trace "$tmp/tz.trace" --include "$tmp/app/tz.py" -o "$tmp/tz-img" --tag t
want=$("$py" "$tmp/app/tz.py" America/New_York)
got=$("$cuslim" run --gpu off "$tmp/tz-img:t" -- "$py" "$tmp/app/tz.py" America/New_York 2>&1); rc=$?
check "another zone than the traced one works in the image ($got; host: $want)" '[ $rc = 0 ] && [ "$got" = "$want" ] && [ "$want" = "2019-12-31T19:00:00-05:00" ]'

# --- locale data from LOCPATH -----------------------------------------------------------------------
# A run whose locale lives under LOCPATH (glibc then looks there only): LOCPATH is recorded and
# set in the image, the locale's data ships from there, the output is the host's.
if command -v localedef >/dev/null && [ -e /usr/share/i18n/locales/de_DE ]; then
  mkdir -p "$tmp/loc" && localedef -i de_DE -f UTF-8 "$tmp/loc/de_DE.UTF-8" 2>/dev/null
  cat > "$tmp/loc/de.c" <<'C'
#include <locale.h>
#include <stdio.h>
#include <time.h>
int main(void) {
  if (!setlocale(LC_ALL, "")) { puts("setlocale failed"); return 1; }
  struct tm t = {0}; t.tm_mday = 1; t.tm_year = 70; t.tm_wday = 4;
  char b[64]; strftime(b, sizeof b, "%A %B", &t); printf("%s %'.2f\n", b, 1234567.89); return 0;
}
C
  cc -o "$tmp/loc/de" "$tmp/loc/de.c"
  want=$(env -i LOCPATH="$tmp/loc" LANG=de_DE.UTF-8 "$tmp/loc/de")
  must "trace under LOCPATH" env -i LOCPATH="$tmp/loc" LANG=de_DE.UTF-8 "$cuslim" trace -q --files -o "$tmp/loc.trace" -- "$tmp/loc/de"
  "$cuslim" bundle "$tmp/loc/de" --trace "$tmp/loc.trace" -o "$tmp/loc-img" --tag t > "$tmp/loc.out" 2>&1; rc=$?
  got=$("$cuslim" run --gpu off "$tmp/loc-img:t" 2>&1)
  check "a LOCPATH locale: the image prints the host's ($got; host: $want), no lacking-locale warning" \
    '[ $rc = 0 ] && [ "$got" = "$want" ] && [ "$want" = "Donnerstag Januar 1.234.567,89" ] && ! grep -q "no data for it" "$tmp/loc.out"'
else
  check "localedef and the de_DE locale source (package locales) are installed" false
fi

finish
