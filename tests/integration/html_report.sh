#!/usr/bin/env bash
# The HTML reports in a real browser: a fat CUDA image (the smoke with CUDA's runtime, unused
# CUDA libraries, the toolkit's compiler drivers, a driver library added by umoci) is slimmed with
# --gpu-arch and --report, verified with --report, and reported with `cuslim report`; a bundle with
# --report bundle.html. Each page
# is loaded by headless Chromium from file:// with the network off: its DOM must hold the
# named elements (treemap boxes, kept and dropped groups with reasons, checks, per-arch pruning),
# and a screenshot must not be blank. The JSON twins are checked against the files on disk.
# Exits 77 with the reason when Chromium, umoci or the CUDA toolkit is missing.
set -u
cuslim=$(readlink -f "$1"); here=$(cd "$(dirname "$0")" && pwd)
kernels=$(dirname "$cuslim")/kernels
source "$here/check_lib.sh"
chromium=$(command -v chromium || command -v chromium-browser) || { echo "skip: no chromium (scripts/test installs Debian's)"; exit 77; }
command -v umoci > /dev/null || { echo "skip: no umoci"; exit 77; }
cuda=/usr/local/cuda/lib64
smoke=$kernels/smoke-runtime
[ -x "$smoke" ] && [ -e "$cuda/libcudart.so.13" ] || { echo "skip: no smoke-runtime or CUDA 13 toolkit here"; exit 77; }
tmp=$(mktemp -d /var/tmp/cuslim-html-XXXXXX); trap 'rm -rf "$tmp"' EXIT

# The fat image: what a CUDA "devel" image holds, in miniature.
mkdir -p "$tmp/cuda/bin" "$tmp/drv" "$tmp/extra"
for t in nvcc ptxas fatbinary; do cp /usr/local/cuda/bin/$t "$tmp/cuda/bin/"; done
for l in libnvrtc.so.13 libcufft.so.12; do [ -e "$cuda/$l" ] && cp -L "$cuda/$l" "$tmp/extra/"; done
echo 'int cuInit(void){return 0;}' > "$tmp/d.c"; cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$tmp/drv/libcuda.so.580.65.06" "$tmp/d.c"
"$cuslim" bundle -q "$smoke" --include "$tmp/cuda/bin" --include "$tmp/extra" -o "$tmp/fat" --tag fat --entrypoint "$smoke" 2> /dev/null
check "bundle the fat image" "[ -f $tmp/fat/index.json ]"
umoci unpack --image "$tmp/fat:fat" "$tmp/fatb" > /dev/null 2>&1 && mkdir -p "$tmp/fatb/rootfs$tmp/drv" &&
  cp "$tmp/drv/libcuda.so.580.65.06" "$tmp/fatb/rootfs$tmp/drv/" && umoci repack --image "$tmp/fat:fat" "$tmp/fatb" > /dev/null 2>&1
check "umoci adds a driver library to the fat image" '[ $? = 0 ]'

"$cuslim" slim "$tmp/fat" --from-tag fat -o "$tmp/slim" --tag slim --gpu-arch 90 --report "$tmp/slim.html" -q 2> "$tmp/slim.err"; rc=$?
check "slim --report slim.html exits 0" '[ $rc = 0 ]' || cat "$tmp/slim.err"
"$cuslim" slim "$tmp/fat" --from-tag fat -o "$tmp/slim" --tag slim --gpu-arch 90 --report "$tmp/slim.json" -q 2> /dev/null
"$cuslim" slim "$tmp/fat" --from-tag fat -o "$tmp/slim2" --tag slim --json 2> /dev/null > "$tmp/slim-summary.json"
"$cuslim" slim "$tmp/fat" --from-tag fat -o "$tmp/slim4" --tag slim --json --report "$tmp/slim4.json" 2> /dev/null > "$tmp/slim4-summary.json"
check "--json with --report: the summary on stdout has the same fields as without (no groups), the report file has groups" \
  'python3 - "$tmp/slim-summary.json" "$tmp/slim4-summary.json" "$tmp/slim4.json" <<PY
import json, sys
a, b, r = (json.load(open(f)) for f in sys.argv[1:])
assert "groups" not in a and "groups" not in b and r["groups"], (sorted(a), sorted(b))
assert sorted(a) == sorted(b), (sorted(a), sorted(b))
PY'
"$cuslim" bundle -q "$smoke" --include "$tmp/extra" -o "$tmp/bundled" --tag b --report "$tmp/bundle.html" 2> "$tmp/bundle.err"; rc=$?
check "bundle --report bundle.html exits 0" '[ $rc = 0 ] && [ -s "$tmp/bundle.html" ]' || cat "$tmp/bundle.err"
"$cuslim" verify "$tmp/slim:slim" --report "$tmp/verify.html" --driver-version 580.65.06 > /dev/null 2>&1
check "verify --report verify.html writes the page" '[ -s "$tmp/verify.html" ]'
"$cuslim" verify "$tmp/fat:fat" --report "$tmp/verify-fat.json" --driver-version 580.65.06 > /dev/null 2>&1
must "cuslim report fat -o fat.html" "$cuslim" report "$tmp/fat:fat" -o "$tmp/fat.html"
"$cuslim" report "$tmp/fat:fat" -o "$tmp/fat.txt" > /dev/null 2>&1; rc=$?
check "cuslim report -o FILE.txt is a usage error (exit 2)" '[ $rc = 2 ]'
"$cuslim" slim "$tmp/fat" --from-tag fat -o "$tmp/slim3" --report "$tmp/r.xml" -q > /dev/null 2>&1; rc=$?
check "slim --report FILE.xml is a usage error before any work (exit 2, no output)" '[ $rc = 2 ] && [ ! -e "$tmp/slim3" ]'
mkdir -p "$tmp/emptydir"; "$cuslim" report "$tmp/emptydir" > /dev/null 2> "$tmp/empty.err"; rc=$?
check "cuslim report of an empty directory: exit 3, not an image" '[ $rc = 3 ] && grep -q "not an image" "$tmp/empty.err"'
"$cuslim" deps -x /bin/true 2> "$tmp/x.err"; rc=$?
check "an unknown option is named as one (exit 2)" '[ $rc = 2 ] && grep -q "unknown option -x" "$tmp/x.err"'
"$cuslim" bundle -q "$smoke" -o "$tmp/nodir-img" --report "$tmp/no-such-dir/r.html" > /dev/null 2> "$tmp/nodir.err"; rc=$?
check "bundle --report into a missing directory: exit 2 before any work, naming the directory (no image written)" \
  '[ $rc = 2 ] && [ ! -e "$tmp/nodir-img" ] && grep -q "no-such-dir.*No such file or directory" "$tmp/nodir.err"'

# The JSON: the same data the pages draw, checked against the image on disk.
check "slim.json: kept groups sum to the kept bytes, dropped groups to dropped_bytes; toolkit, driver and unused libraries dropped with reasons" \
  'python3 - "$tmp/slim.json" "$tmp/slim-summary.json" <<PY
import json, sys
r = json.load(open(sys.argv[1])); s = json.load(open(sys.argv[2]))
kept = [g for g in r["groups"] if g["kept"]]; dropped = [g for g in r["groups"] if not g["kept"]]
assert sum(g["bytes"] for g in kept) == r["bytes"], (sum(g["bytes"] for g in kept), r["bytes"])
assert sum(g["bytes"] for g in dropped) == r["dropped_bytes"] > 0
by = {(g["class"], g["kept"]): g for g in r["groups"]}
assert by[("toolkit", False)]["reason"].startswith("toolkit"), by[("toolkit", False)]
assert by[("driver", False)]["reason"].startswith("driver library"), by[("driver", False)]
assert any(g["group"] == "cuda:cudart" and g["kept"] and "loaded by the programs: needed by $smoke " in g["reason"] for g in r["groups"]), [g["reason"] for g in r["groups"] if g["group"] == "cuda:cudart"]
assert any(g["group"] == "cuda:nvrtc" and not g["kept"] and g["reason"].startswith("unused") for g in r["groups"])
assert all(g["reason"] for g in r["groups"]), [g for g in r["groups"] if not g["reason"]]
gen = [g for g in r["groups"] if g["group"] == "cuslim (generated)"]
assert gen and any(e["path"] == "/etc/ld.so.cache" for e in gen[0]["largest"]), [g["group"] for g in r["groups"]]
assert not any(e["path"] in ("/etc/ld.so.cache", "/etc/ld.so.conf") for g in r["groups"] if g["group"].startswith("deb:") for e in g["largest"])
assert r["layers"] and r["layers"][-1]["digest"].startswith("sha256:") and r["manifest"].startswith("sha256:")
assert r["gpu_prune"]["zeroed_by_arch"] and all(not a.startswith("sm_90") for a in r["gpu_prune"]["zeroed_by_arch"])
assert sum(r["gpu_prune"]["zeroed_by_arch"].values()) == r["gpu_prune"]["bytes_zeroed"]
for k in ("files", "bytes", "bytes_by_class", "layers", "manifest", "left_to_host_driver", "left_to_base", "warnings", "before"):
    assert k in s, k
assert "groups" not in s
assert any("libcuda.so.580.65.06: driver library in the input, dropped" in w for w in s["warnings"]), s["warnings"]
PY'
check "slim.html: the archs removed are listed by number (sm_80 before sm_100), as inspect lists them" 'python3 - "$tmp/slim.html" <<PY
import re, sys
t = open(sys.argv[1]).read().split("id=\"gpu-prune-archs\"", 1)[1].split("</table>", 1)[0]
archs = re.findall(r"<tr><td>((?:sm|compute)_[0-9]+[af]?)</td>", t)
key = lambda a: (int(re.sub(r"[^0-9]", "", a.split("_")[1])), a.startswith("compute"))
assert len(archs) > 1 and archs == sorted(archs, key=key), archs
PY'
check "verify-fat.json: {ok, checks} plus the image's groups; the toolkit check fails" 'python3 - "$tmp/verify-fat.json" <<PY
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ok"] is False and any(c["status"] == "fail" for c in r["checks"])
assert sum(g["bytes"] for g in r["groups"]) == r["bytes"] and r["bytes_by_class"]["toolkit"] > 0
# layers cuslim did not write (umoci repacked one): their unpacked size read while unpacking
import gzip, os
d = "$tmp/fat/blobs/sha256/"
for l in r["layers"]:
    assert l["uncompressed_bytes"] == len(gzip.open(d + l["digest"][7:]).read()) > 0, l
idx = json.load(open("$tmp/fat/index.json"))
assert r["manifest"] in [m["digest"] for m in idx["manifests"]], r.get("manifest")
PY'

# One image, one classification: report and verify of slim's output give the bytes per class
# slim said it wrote (report and verify classed libc as system, slim as app), and name its
# layers' groups as slim did (they said null), with stored_bytes the layers' sum.
"$cuslim" report "$tmp/slim:slim" --json > "$tmp/slim-report.json" 2> /dev/null
"$cuslim" verify "$tmp/slim:slim" --report "$tmp/slim-verify.json" --driver-version 580.65.06 > /dev/null 2>&1
for r in report verify; do
  check "$r of slim's output: bytes_by_class and layer groups as slim said them" 'python3 - "$tmp/slim.json" "$tmp/slim-$r.json" <<PY
import json, sys
s, r = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert r["bytes_by_class"] == s["bytes_by_class"], (r["bytes_by_class"], s["bytes_by_class"])
assert [(l["digest"], l["group"]) for l in r["layers"]] == [(l["digest"], l["group"]) for l in s["layers"]], (r["layers"], s["layers"])
assert all(l["group"] for l in r["layers"]) and r["stored_bytes"] == s["stored_bytes"] == sum(l["stored_bytes"] for l in r["layers"])
PY'
done

check "verify.html names each layer's group in its layers table" 'python3 - "$tmp/verify.html" <<PY
import sys
t = open(sys.argv[1]).read().split("id=\"layers\"", 1)[1].split("</table>", 1)[0]
assert "<th>group</th>" in t and "<td class=\"group\">system</td>" in t and "<td class=\"group\">cuda-cudart</td>" in t, t[:600]
PY'

# The pages: self-contained, then what a browser makes of them.
for page in slim verify fat; do
  check "$page.html is written and loads nothing from elsewhere (no src=/href=/url()/@import)" '[ -s "$tmp/$page.html" ] && ! grep -Eiq "(src|href)=|url\(|@import" "$tmp/$page.html"'
done
browse() {  # page width height: DOM after scripts, and a screenshot
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --user-data-dir="$tmp/profile" \
    --proxy-server=127.0.0.1:9 --window-size="$2,$3" --virtual-time-budget=3000 --dump-dom "file://$tmp/$1.html" > "$tmp/$1.dom" 2> "$tmp/$1.chromium.log"
  timeout 120 "$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --user-data-dir="$tmp/profile" \
    --proxy-server=127.0.0.1:9 --window-size="$2,$3" --virtual-time-budget=3000 --screenshot="$tmp/$1.png" "file://$tmp/$1.html" >> "$tmp/$1.chromium.log" 2>&1
}
count() { grep -o "$1" "$tmp/$2.dom" | wc -l; }
browse slim 1400 1800
check "slim page: the kept treemap is drawn (class, group and file boxes)" '[ $(count "tm-node tm-class" slim) -ge 2 ] && [ $(count "tm-node tm-file" slim) -ge 5 ]' || tail -5 "$tmp/slim.chromium.log"
check "slim page: the dropped treemap is drawn, with a toolkit box" 'grep -q "id=\"dropped-treemap\"[^>]*data-drawn=\"[1-9]" "$tmp/slim.dom" && grep -q "data-cls=\"toolkit\"" "$tmp/slim.dom"'
check "slim page: groups table with kept and dropped rows and reasons" '[ $(count "<tr class=\"dropped\">" slim) -ge 3 ] && grep -q "toolkit: for building only" "$tmp/slim.dom" && grep -q "loaded by the programs" "$tmp/slim.dom"'
check "slim page: GPU pruning per arch (sm_80 removed, the per-arch table)" 'grep -q "id=\"gpu-prune-archs\"" "$tmp/slim.dom" && grep -q "<td>sm_80</td>" "$tmp/slim.dom"'
check "slim page: summary, classes and layers" 'grep -q "id=\"summary\"" "$tmp/slim.dom" && grep -q "id=\"classes\"" "$tmp/slim.dom" && grep -q "id=\"layers\"" "$tmp/slim.dom"'
read -r frac colours w h < <(python3 "$here/png_stats.py" "$tmp/slim.png" 2>&1) || true
echo "     slim.png: ${w:-?}x${h:-?}, ${frac:-?} of it not white, ${colours:-?} colours"
check "slim page screenshot is not blank (>20% non-white, >20 colours)" 'python3 -c "import sys; sys.exit(0 if float(\"${frac:-0}\") > 0.2 and int(\"${colours:-0}\") > 20 else 1)"'
browse bundle 1200 1000
check "bundle page: the treemap is drawn with the cuda class, and the layers table" '[ $(count "tm-node tm-file" bundle) -ge 3 ] && grep -q "data-cls=\"cuda\"" "$tmp/bundle.dom" && grep -q "id=\"layers\"" "$tmp/bundle.dom"' || tail -5 "$tmp/bundle.chromium.log"
check "bundle page: boxes give unpacked and (estimated) stored sizes" 'grep -q "unpacked, ≈ [0-9.]* [kMG]\?B stored" "$tmp/bundle.dom"'
read -r frac colours w h < <(python3 "$here/png_stats.py" "$tmp/bundle.png" 2>&1) || true
check "bundle page screenshot is not blank" 'python3 -c "import sys; sys.exit(0 if float(\"${frac:-0}\") > 0.2 and int(\"${colours:-0}\") > 20 else 1)"'
browse verify 1200 1000
check "verify page: a row per check, pass/fail/skip" '[ $(count "<tr class=\"check check-" verify) -ge 5 ] && grep -q "class=\"status-pass\"" "$tmp/verify.dom"'
check "verify page: the image treemap is drawn" '[ $(count "tm-node tm-class" verify) -ge 1 ]'
browse fat 1200 1000
check "report page: the fat image's toolkit and cuda classes in the treemap" 'grep -q "data-cls=\"toolkit\"" "$tmp/fat.dom" && grep -q "data-cls=\"cuda\"" "$tmp/fat.dom"'
read -r frac colours w h < <(python3 "$here/png_stats.py" "$tmp/fat.png" 2>&1) || true
check "report page screenshot is not blank" 'python3 -c "import sys; sys.exit(0 if float(\"${frac:-0}\") > 0.2 and int(\"${colours:-0}\") > 20 else 1)"'
# A screenshot of a page whose script failed would still show tables: the control is a page with the
# data removed, whose treemap must stay empty (the checks above can fail).
sed 's/id="report-data">.*<\/script>/id="report-data">{}<\/script>/' "$tmp/slim.html" > "$tmp/empty.html"
browse empty 800 600
check "control: a page without data draws no treemap boxes" '[ $(count "class=\"tm-node" empty) = 0 ] && grep -q "id=\"treemap\"" "$tmp/empty.dom"'
# On a base image, the cards say which scope each number is: cuslim's files, the whole image's
# stored size with the base's share.
"$cuslim" bundle -q /usr/bin/true -o "$tmp/tbase" --tag b
"$cuslim" bundle -q /usr/bin/env --base "$tmp/tbase:b" -o "$tmp/onbase" --tag o --report "$tmp/onbase.html"; rc=$?
browse onbase 1200 1000
check "bundle --base page: the stored card names the base's share, the files card cuslim's layers ($rc)" \
  '[ $rc = 0 ] && grep -q "of it the base.s layers" "$tmp/onbase.dom" && grep -q "files (cuslim.s layers; the base.s files apart)" "$tmp/onbase.dom"'
# Files shipped only because kept links lead to them (Debian's /etc/ssl/certs -> /usr/share/ca-certificates).
if ls /etc/ssl/certs/*.pem > /dev/null 2>&1 && [ -L "$(ls /etc/ssl/certs/*.pem | head -1)" ]; then
  "$cuslim" bundle -q /usr/bin/true --include /etc/ssl/certs -o "$tmp/certs.tar" --report "$tmp/certs.json"; rc=$?
  check "report: the targets of --include'd links say where kept links lead, not 'loaded by the programs' ($rc)" 'python3 - "$tmp/certs.json" <<PY
import json, sys
g = [x for x in json.load(open(sys.argv[1]))["groups"] if x["kept"] and x["group"] == "deb:ca-certificates"]
assert g and g[0]["reason"] == "where kept links lead (from /etc/ssl/certs)", g and g[0]["reason"]
PY'
else
  echo "skip-part: no ca-certificates links in /etc/ssl/certs"
fi
[ -z "${CUSLIM_KEEP_SCREENSHOTS:-}" ] || cp "$tmp"/*.png "$tmp"/*.html "$CUSLIM_KEEP_SCREENSHOTS/" 2>/dev/null
finish
