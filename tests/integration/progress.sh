#!/usr/bin/env bash
# Progress lines: on a TTY (util-linux `script` gives one) slim, verify, report and run show unpacking and
# packing with bytes, share and rate, and the summary starts on a line of its own; without a TTY
# nothing of the kind is printed. A gzip pack over 1 GB says once that zstd is faster (a 1.1 GB
# sparse file packs in seconds); zstd does not.
set -u
cuslim=$(readlink -f "$1")
source "$(dirname "$0")/check_lib.sh"
command -v script > /dev/null || { echo "skip: no script (util-linux)"; exit 77; }
tmp=$(mktemp -d /var/tmp/cuslim-progress-XXXXXX); trap 'rm -rf "$tmp"' EXIT
dd if=/dev/urandom of="$tmp/data.bin" bs=1M count=48 status=none
must "bundle a small image" "$cuslim" bundle -q /bin/true --include "$tmp/data.bin" -o "$tmp/img" --tag t
script -qec "'$cuslim' slim '$tmp/img:t' -o '$tmp/slim' --keep '$tmp/*'" /dev/null > "$tmp/tty.out" 2>&1; rc=$?
check "slim on a TTY exits 0" '[ $rc = 0 ]' || tail -5 "$tmp/tty.out"
check "slim on a TTY shows unpacking and packing with bytes and share" 'grep -aq "unpacking [0-9.]* [kMG]B / [0-9.]* [kMG]B ([0-9]*%)" "$tmp/tty.out" && grep -aq "packing [0-9.]* [kMG]\?B / " "$tmp/tty.out"'
check "the last packing line says 100% (the end is drawn, not left at the last throttled redraw)" 'tr "\r" "\n" < "$tmp/tty.out" | grep -a "packing" | tail -1 | grep -q "(100%)"'
check "the summary starts on a line of its own" 'python3 -c "
import sys; t = open(sys.argv[1], \"rb\").read().decode(\"utf-8\", \"replace\")
lines = t.replace(\"\\r\\n\", \"\\n\").split(\"\\n\")
assert any(l.startswith(\"slim: \") for l in lines), lines[:5]" "$tmp/tty.out"'
script -qec "'$cuslim' verify '$tmp/slim'" /dev/null > "$tmp/vtty.out" 2>&1
check "verify on a TTY shows unpacking, then its report from a new line" 'grep -aq "unpacking" "$tmp/vtty.out" && tr "\r" "\n" < "$tmp/vtty.out" | grep -aq "^verify "'
script -qec "'$cuslim' report '$tmp/img:t'" /dev/null > "$tmp/rtty.out" 2>&1
check "report on a TTY shows unpacking, then its summary from a new line" 'grep -aq "unpacking [0-9.]* [kMG]B / " "$tmp/rtty.out" && tr "\r" "\n" < "$tmp/rtty.out" | grep -aq "^report "'
layers=$(python3 -c "import json,sys; d=sys.argv[1]; m=json.load(open(d+'/index.json'))['manifests'][0]['digest'][7:]; print(len(json.load(open(d+'/blobs/sha256/'+m))['layers']))" "$tmp/img")
totals=$(tr "\r" "\n" < "$tmp/rtty.out" | grep -ao "unpacking [0-9.]* [kMG]\?B / [0-9.]* [kMG]\?B" | sed "s/.* \/ //" | sort -u | tr "\n" " ")
check "one total for the whole image of $layers layers, from the first line on ($totals)" '[ "$layers" -ge 2 ] && [ "$(echo $totals | wc -w)" = 2 ]'
# An archive is read twice (unpacked, then its layers): still one total, said from the first line.
for fmt in oci-archive docker-archive; do
  must "bundle a small $fmt" "$cuslim" bundle -q /bin/true --include "$tmp/data.bin" -o "$tmp/img.$fmt.tar" --format $fmt
  script -qec "'$cuslim' report '$tmp/img.$fmt.tar'" /dev/null > "$tmp/atty.out" 2>&1
  totals=$(tr "\r" "\n" < "$tmp/atty.out" | grep -ao "unpacking [0-9.]* [kMG]\?B / [0-9.]* [kMG]\?B" | sed "s/.* \/ //" | sort -u | tr "\n" " ")
  check "a $fmt: one total for unpacking it and its layers ($totals)" '[ -n "$totals" ] && [ "$(echo $totals | wc -w)" = 2 ]'
done
script -qec "CUSLIM_CACHE_DIR='$tmp/cache' '$cuslim' run --gpu off '$tmp/img:t' -- /bin/true" /dev/null > "$tmp/runtty.out" 2>&1; rc=$?
check "run on a TTY (first start) shows unpacking and exits 0" '[ $rc = 0 ] && grep -aq "unpacking" "$tmp/runtty.out"' || tail -3 "$tmp/runtty.out"
"$cuslim" slim "$tmp/img:t" -o "$tmp/slim2" --keep "$tmp/*" > "$tmp/pipe.out" 2> "$tmp/pipe.err"
check "without a TTY no progress line (no carriage return, no 'unpacking')" '! grep -aq $'"'"'\r'"'"' "$tmp/pipe.err" && ! grep -aq unpacking "$tmp/pipe.err"'
# The gzip note: once, above 1 GB, not with zstd, not with -q.
truncate -s 1100M "$tmp/sparse.bin"
"$cuslim" bundle /bin/true --include "$tmp/sparse.bin" -o "$tmp/big" > /dev/null 2> "$tmp/gz.err"
check "a 1.1 GB gzip pack says once that --compression zstd is faster" '[ "$(grep -c "compression zstd is several times faster" "$tmp/gz.err")" = 1 ]' || cat "$tmp/gz.err"
rm -rf "$tmp/big"
"$cuslim" bundle /bin/true --include "$tmp/sparse.bin" -o "$tmp/big" --compression zstd > /dev/null 2> "$tmp/zs.err"
check "... and zstd does not" '! grep -q "compression zstd" "$tmp/zs.err"'
finish
