#!/usr/bin/env bash
# GPU machine: what the reports show for the PyTorch image (issue 20). The training step of
# apps/app_torch.py is run on the host, traced, bundled FROM scratch with `--report` (HTML), the
# image's own report written as HTML and JSON (`cuslim report`), and `verify --gpu --report`
# run on it; the files land in $OUT for a browser elsewhere (this machine has none). Prints the
# JSON's headline numbers: bytes by class, the largest groups, layers.
# usage: tests/gpu/report_torch.sh DIR   (DIR: cuslim, libcuslim-audit.so, kernels/)
set -u
dir=$(readlink -f "$1"); cuslim=$dir/cuslim
export NCCL_NVLS_ENABLE=0 PYTHONUNBUFFERED=1
PY=${PY:-/opt/torch/.venv/bin/python3}
OUT=${OUT:-/var/tmp/cuslim-report-torch}; mkdir -p "$OUT"
W=/opt/cuslim-report; rm -rf "$W"; mkdir -p "$W"   # not /tmp: `cuslim run` mounts a fresh tmpfs there
cp "$(dirname "$0")/apps/app_torch.py" "$W/app_torch.py"
fails=0
claim() { if eval "$2"; then echo "PASS $1"; else echo "FAIL $1"; fails=$((fails + 1)); fi; }
"$PY" "$W/app_torch.py" > "$W/host.out" 2>&1; echo "host: $(tail -1 "$W/host.out")"
"$cuslim" trace -q --files -o "$W/t.trace" -- "$PY" "$W/app_torch.py" > /dev/null 2> "$W/trace.err"
claim "trace" '[ -s "$W/t.trace" ]'
"$cuslim" bundle "$PY" --trace "$W/t.trace" --include "$W/app_torch.py" -o "$W/img" --tag app --compression zstd \
  --report "$OUT/torch-bundle.html" > "$OUT/bundle.txt" 2> "$OUT/bundle.err"
claim "bundle --report torch-bundle.html (rc $?)" '[ -s "$OUT/torch-bundle.html" ]'
"$cuslim" report "$W/img" -o "$OUT/torch-image.json" > "$OUT/report.txt" 2>&1
claim "report -o torch-image.json" '[ -s "$OUT/torch-image.json" ]'
"$cuslim" report "$W/img" -o "$OUT/torch-image.html" > /dev/null 2>&1
claim "report -o torch-image.html" '[ -s "$OUT/torch-image.html" ]'
timeout 300 "$cuslim" verify --gpu "$W/img" --report "$OUT/torch-verify.html" > "$OUT/verify.txt" 2>&1; rc=$?
claim "verify --gpu --report torch-verify.html (rc $rc)" '[ $rc = 0 ] && [ -s "$OUT/torch-verify.html" ]'
timeout 300 "$cuslim" run "$W/img" -- "$PY" "$W/app_torch.py" > "$W/image.out" 2>&1
echo "image: $(tail -1 "$W/image.out")"
claim "the image prints the host's numbers" '[ "$(tail -1 "$W/image.out")" = "$(tail -1 "$W/host.out")" ]'
cat "$OUT/report.txt"; tail -25 "$OUT/bundle.txt"; tail -20 "$OUT/verify.txt"
ls -l "$OUT"
echo "$fails failed"
exit "$fails"
