#!/usr/bin/env bash
# GPU machine: CUDA forward compatibility (issue 21). The host runs driver 580.x with the CUDA 13.0
# toolkit in /usr/local/cuda, whose compat/ dir (the cuda-compat-13-0 set) is the input:
#   * smoke-runtime and smoke-cublas are bundled with the set (--forward-compat always) and without
#     it (--forward-compat never); the image with it carries the set and the hook's loader entry;
#   * `cuslim run` of both runs the smokes; with the set, run must pick the HOST driver (580 is not
#     older than the set) and say so on stderr;
#   * `verify --gpu` passes on both;
#   * verify's verdicts for the CUDA 13 images against drivers 535, 570, 580 (GA) and the host's,
#     with and without the set, as a table (expected: with the set 535/570 pass through forward
#     compatibility, without it they fail naming cuda-compat-13-0; 580 passes either way).
# usage: tests/gpu/forward_compat.sh DIR   (DIR: cuslim, libcuslim-audit.so, kernels/)
# Exit: 0 when every required check passed; 1 otherwise (the table says which).
set -u
[ $# -ge 1 ] && [ -x "$1/cuslim" ] || { echo "usage: $0 DIR (DIR holds cuslim, libcuslim-audit.so, kernels/)" >&2; exit 2; }
dir=$(readlink -f "$1"); cuslim=$dir/cuslim
PY=${PY:-python3}; command -v "$PY" >/dev/null || PY=/opt/torch/.venv/bin/python3
W=${W:-/var/tmp/cuslim-fwd-compat}; rm -rf "$W"; mkdir -p "$W"   # not /tmp: `cuslim run` mounts a fresh tmpfs there
fails=0; results=()
ok() { results+=("PASS  $1"); echo "PASS  $1"; }
bad() { results+=("FAIL  $1"); echo "FAIL  $1"; fails=$((fails + 1)); }
req() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
# status and detail of one check of a verify --json report
check_of() {
  "$PY" -c 'import json,sys
try: d = json.load(open(sys.argv[1]))
except Exception as e: print("unreadable", e); sys.exit(0)
c = [c for c in d["checks"] if c["name"] == sys.argv[2]]
print((c[0]["status"].upper() + " " + c[0]["detail"][:int(sys.argv[3])]) if c else "absent")' "$1" "$2" "${3:-400}"
}
failing() { "$PY" -c 'import json,sys
d = json.load(open(sys.argv[1]))
for c in d["checks"]:
    if c["status"] == "fail": print("    FAIL", c["name"] + ":", c["detail"][:400])' "$1" 2>/dev/null; }

echo "== host"
nvidia-smi --query-gpu=name,compute_cap,driver_version --format=csv,noheader 2>/dev/null | head -2
"$cuslim" driver --json > "$W/driver.json" 2>&1
host_driver=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("version") or "")' "$W/driver.json" 2>/dev/null)
echo "host driver (cuslim driver): ${host_driver:-none found}"
ls -ld /usr/local/cuda /usr/local/cuda-*/compat 2>/dev/null
compat_lib=$(ls /usr/local/cuda/compat/libcuda.so.*.* /usr/local/cuda-*/compat/libcuda.so.*.* 2>/dev/null | head -1)
if [ -z "$compat_lib" ]; then
  bad "a cuda-compat set on this machine (/usr/local/cuda*/compat/libcuda.so.<version>): none -- install cuda-compat-13-0 to run the rest"
  exit 1
fi
echo "compat set: $(dirname "$compat_lib")"; ls -l "$(dirname "$compat_lib")"
"$cuslim" inspect --json "$compat_lib" > "$W/inspect.json" 2>&1
echo "inspect: class $("$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); j=j[0] if isinstance(j,list) else j; print(j["class"], j["driver_version"], json.dumps(j["fwd_compat"]))' "$W/inspect.json" 2>/dev/null)"
req "inspect classifies the compat libcuda as forward-compat" 'grep -q "\"class\": \"forward-compat\"" "$W/inspect.json"'

smokes=()
for s in runtime cublas; do [ -x "$dir/kernels/smoke-$s" ] && smokes+=("$s"); done
[ ${#smokes[@]} -gt 0 ] || { bad "smoke-runtime or smoke-cublas in $dir/kernels"; printf '%s\n' "${results[@]}"; exit 1; }

for s in "${smokes[@]}"; do
  echo "== smoke-$s"
  "$cuslim" bundle -q "$dir/kernels/smoke-$s" -o "$W/$s-compat" --tag s --forward-compat always --report "$W/$s-compat.json" 2> "$W/$s-compat.err"
  req "smoke-$s: bundle --forward-compat always (rc $?)" '[ -f "$W/$s-compat/index.json" ]' || cat "$W/$s-compat.err"
  "$cuslim" bundle -q "$dir/kernels/smoke-$s" -o "$W/$s-plain" --tag s --forward-compat never 2> "$W/$s-plain.err"
  req "smoke-$s: bundle --forward-compat never (rc $?)" '[ -f "$W/$s-plain/index.json" ]' || cat "$W/$s-plain.err"
  echo "  shipped: $("$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print([(f["dir"], f["package"], f["version"], f["files"], f["bytes"]) for f in r["forward_compat"]], "forward-compat bytes:", r["bytes_by_class"].get("forward-compat"))' "$W/$s-compat.json" 2>&1)"
  req "smoke-$s: the image carries the cuda-compat set under its own class" \
    '"$PY" -c "import json,sys; r=json.load(open(sys.argv[1])); assert r[\"forward_compat\"] and r[\"bytes_by_class\"][\"forward-compat\"] > 0" "$W/$s-compat.json" 2>/dev/null'

  timeout 180 "$cuslim" run "$W/$s-compat" > "$W/$s-compat.out" 2> "$W/$s-compat.run.err"; rc=$?
  echo "  run (with the set) rc=$rc: $(tail -1 "$W/$s-compat.out" | cut -c1-240)"
  echo "  run says: $(grep "forward compat" "$W/$s-compat.run.err" | head -1)"
  req "smoke-$s: cuslim run with the set succeeds" '[ $rc = 0 ]' || tail -5 "$W/$s-compat.run.err"
  req "smoke-$s: ... on the HOST driver (580 is not older than the set), and run says so" \
    'grep -q "forward compat: .*using the host driver" "$W/$s-compat.run.err"'
  timeout 180 "$cuslim" run "$W/$s-plain" > "$W/$s-plain.out" 2> "$W/$s-plain.run.err"; rc=$?
  echo "  run (without) rc=$rc: $(tail -1 "$W/$s-plain.out" | cut -c1-240)"
  req "smoke-$s: cuslim run without the set succeeds" '[ $rc = 0 ]' || tail -5 "$W/$s-plain.run.err"
  [ "$(tail -1 "$W/$s-compat.out")" = "$(tail -1 "$W/$s-plain.out")" ] && echo "  same output with and without the set: yes" || echo "  same output with and without the set: NO (smokes print fresh random data; compare by eye)"

  for img in compat plain; do
    timeout 600 "$cuslim" verify --gpu --json "$W/$s-$img" > "$W/$s-$img.verify.json" 2> "$W/$s-$img.verify.err"; rc=$?
    echo "  verify --gpu ($img): rc=$rc; forward-compat: $(check_of "$W/$s-$img.verify.json" forward-compat 300)"
    failing "$W/$s-$img.verify.json"
    req "smoke-$s: verify --gpu passes ($img image)" '[ $rc = 0 ]'
  done
done

echo "== verify's verdicts for the CUDA 13 images (static; exit, forward-compat, cuda-compat)"
s=${smokes[0]}
drivers=(535.230.02 570.172.08 580.65.06)
[ -n "$host_driver" ] && drivers+=("$host_driver")
for d in "${drivers[@]}"; do
  for img in compat plain; do
    "$cuslim" verify --json --driver-version "$d" "$W/$s-$img" > "$W/v-$img-$d.json" 2>&1; rc=$?
    printf '  driver %-11s %-20s rc=%s\n      forward-compat: %s\n      cuda-compat:    %s\n' "$d" \
      "$([ $img = compat ] && echo "with cuda-compat" || echo "without cuda-compat")" "$rc" \
      "$(check_of "$W/v-$img-$d.json" forward-compat 260)" "$(check_of "$W/v-$img-$d.json" cuda-compat 260)"
    eval "rc_${img}_${d//./_}=$rc"
  done
done
req "verdict: 535 with the set passes" '[ "$rc_compat_535_230_02" = 0 ]'
req "verdict: 535 without the set fails naming cuda-compat-13-0" '[ "$rc_plain_535_230_02" = 1 ] && grep -q "cuda-compat-13-0" "$W/v-plain-535.230.02.json"'
req "verdict: 570 with the set passes" '[ "$rc_compat_570_172_08" = 0 ]'
req "verdict: 570 without the set fails" '[ "$rc_plain_570_172_08" = 1 ]'
req "verdict: 580.65.06 passes with and without the set" '[ "$rc_compat_580_65_06" = 0 ] && [ "$rc_plain_580_65_06" = 0 ]'

echo "== summary"
printf '%s\n' "${results[@]}"
echo "$fails failed; outputs in $W"
[ "$fails" = 0 ]
