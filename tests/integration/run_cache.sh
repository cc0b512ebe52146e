#!/usr/bin/env bash
# `cuslim run`'s image cache: the second run of an image reuses its unpacked copy; runs never
# write into it; a changed image (re-bundled layout, touched archive) is a new entry; a layout is
# keyed by its manifest digest (a copy shares the entry, an altered copy is refused); a damaged
# entry is unpacked again; a cache dir that cannot be used is a warning; --no-cache
# leaves the cache alone; past CUSLIM_RUN_CACHE_MAX the least recently used entries go; two runs
# racing to unpack the same image both run and leave one entry; only the image's own blobs are
# checked; a removal a dead run left is finished; dir: is never cached.
set -u
cuslim=$(readlink -f "$1")
[ "$(id -u)" = 0 ] || { echo "skip: the sandbox test needs root"; exit 77; }
tmp=$(mktemp -d /var/tmp/cuslim-rc-XXXXXX); chmod 755 "$tmp"; trap 'rm -rf "$tmp"' EXIT   # not /tmp: the sandbox mounts a tmpfs there
source "$(dirname "$0")/check_lib.sh"
export CUSLIM_CACHE_DIR=$tmp/cache
entries() { ls "$tmp/cache/images" 2>/dev/null | grep -v '^\.' | wc -l; }

mkdir -p "$tmp/data"; echo one > "$tmp/data/v"
"$cuslim" bundle -q /bin/bash /bin/cat --include "$tmp/data" -o "$tmp/img" --tag t
first=$("$cuslim" run -v --gpu off "$tmp/img" -- /bin/cat "$tmp/data/v" 2>"$tmp/err1"); rc=$?
check "first run unpacks into the cache and runs ($first)" '[ $rc = 0 ] && [ "$first" = one ] && grep -q "unpacked into the image cache" "$tmp/err1" && [ "$(entries)" = 1 ]'
second=$("$cuslim" run -v --gpu off "$tmp/img" -- /bin/cat "$tmp/data/v" 2>"$tmp/err2"); rc=$?
check "second run is a cache hit ($second)" '[ $rc = 0 ] && [ "$second" = one ] && grep -q "image cache hit" "$tmp/err2"'

"$cuslim" run --gpu off "$tmp/img" -- /bin/bash -c "echo changed > $tmp/data/v; echo new > /etc/written" ; rc=$?
again=$("$cuslim" run --gpu off "$tmp/img" -- /bin/bash -c "cat $tmp/data/v; test -e /etc/written && echo leaked || echo clean")
check "a run's writes never reach the next run ($(echo $again))" '[ $rc = 0 ] && [ "$(echo $again)" = "one clean" ]'
check "nor the cache entry" '[ -z "$(find "$tmp/cache/images" -name written)" ] && ! grep -rqx changed "$tmp/cache/images" && grep -rqx one "$tmp/cache/images"'

# The /dev links every container runtime makes: /dev/stdout and /dev/stderr are the program's own
# streams (not files on the sandbox's /dev tmpfs), /dev/stdin its input, /dev/fd bash's process substitution.
out=$(echo piped | "$cuslim" run --gpu off "$tmp/img" -- /bin/bash -c 'echo to-out > /dev/stdout; echo to-err > /dev/stderr; cat /dev/stdin; cat <(echo subst)' 2>"$tmp/dev.err"); rc=$?
check "/dev/stdout, /dev/stderr, /dev/stdin and /dev/fd are the streams ($(echo $out) / $(cat "$tmp/dev.err"))" '[ $rc = 0 ] && [ "$(echo $out)" = "to-out piped subst" ] && [ "$(cat "$tmp/dev.err")" = to-err ]'

echo two > "$tmp/data/v"
"$cuslim" bundle -q /bin/bash /bin/cat --include "$tmp/data" -o "$tmp/img" --tag t
third=$("$cuslim" run -v --gpu off "$tmp/img" -- /bin/cat "$tmp/data/v" 2>"$tmp/err3")
check "a re-bundled layout is a new entry with the new content ($third)" '[ "$third" = two ] && grep -q "unpacked into the image cache" "$tmp/err3" && [ "$(entries)" = 2 ]'

"$cuslim" bundle -q /bin/bash /bin/cat --include "$tmp/data" -o "$tmp/img.docker.tar" --tag t:1
"$cuslim" run --gpu off "$tmp/img.docker.tar" -- /bin/bash -c true; n1=$(entries)
"$cuslim" run -v --gpu off "$tmp/img.docker.tar" -- /bin/bash -c true 2>"$tmp/err4"
check "an archive is cached too (entries $n1)" '[ "$n1" = 3 ] && grep -q "image cache hit" "$tmp/err4"'
touch "$tmp/img.docker.tar"
"$cuslim" run -v --gpu off "$tmp/img.docker.tar" -- /bin/bash -c true 2>"$tmp/err5"
check "a touched archive is unpacked again" 'grep -q "unpacked into the image cache" "$tmp/err5"'

before=$(entries)
"$cuslim" bundle -q /bin/bash -o "$tmp/other.tar.gz"
out=$("$cuslim" run --no-cache --gpu off "$tmp/other.tar.gz" -- /bin/bash -c 'echo ok')
check "--no-cache runs without touching the cache ($out)" '[ "$out" = ok ] && [ "$(entries)" = "$before" ]'

CUSLIM_RUN_CACHE_MAX=1 "$cuslim" run --gpu off "$tmp/other.tar.gz" -- /bin/bash -c true; rc=$?
check "past CUSLIM_RUN_CACHE_MAX only the entry in use stays (entries $(entries))" '[ $rc = 0 ] && [ "$(entries)" = 1 ]'

"$cuslim" bundle -q /bin/bash -o "$tmp/race.tar.zst"
"$cuslim" run --gpu off "$tmp/race.tar.zst" -- /bin/bash -c 'echo a' > "$tmp/ra" 2>&1 & p1=$!
"$cuslim" run --gpu off "$tmp/race.tar.zst" -- /bin/bash -c 'echo b' > "$tmp/rb" 2>&1 & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
check "two runs racing to unpack the same image both run ($(cat "$tmp/ra" "$tmp/rb" | tr '\n' ' '))" '[ $r1 = 0 ] && [ $r2 = 0 ] && grep -qx a "$tmp/ra" && grep -qx b "$tmp/rb"'
check "and leave no temp dir behind" '! ls -a "$tmp/cache/images" | grep -q "^\.unpacking"'

# Keyed by the manifest digest: a copy of the layout elsewhere is the same entry (its blobs hashed
# once); a copy whose blob was altered is refused, not served from the entry.
"$cuslim" run --gpu off "$tmp/img" -- /bin/cat "$tmp/data/v" > /dev/null
n=$(entries); cp -a "$tmp/img" "$tmp/img-copy"
out=$("$cuslim" run -v --gpu off "$tmp/img-copy" -- /bin/cat "$tmp/data/v" 2>"$tmp/errk"); rc=$?
check "a copy of a layout is a cache hit of the same entry ($out; entries $n -> $(entries))" '[ $rc = 0 ] && [ "$out" = two ] && grep -q "image cache hit" "$tmp/errk" && [ "$(entries)" = $n ]' || cat "$tmp/errk"
cp -a "$tmp/img" "$tmp/img-bad"
m=$(python3 -c "import json,sys; d=sys.argv[1]; m=json.load(open(d+'/index.json'))['manifests'][0]['digest'][7:]; print(json.load(open(d+'/blobs/sha256/'+m))['layers'][0]['digest'][7:])" "$tmp/img-bad")
printf 'XXXX' | dd of="$tmp/img-bad/blobs/sha256/$m" bs=1 seek=100 conv=notrunc status=none
"$cuslim" run --gpu off "$tmp/img-bad" -- /bin/cat "$tmp/data/v" > /dev/null 2>"$tmp/errb"; rc=$?
check "a copy with an altered blob is not served from the entry: exit 3, digest mismatch" '[ $rc = 3 ] && grep -q "digest mismatch" "$tmp/errb"' || cat "$tmp/errb"

# A damaged entry (its record or its rootfs gone) is removed and unpacked again, not an error forever.
"$cuslim" run --gpu off "$tmp/img" -- /bin/bash -c true
for part in image.json unpacked/rootfs; do
  rm -rf "$tmp"/cache/images/*/"$part"
  out=$("$cuslim" run -v --gpu off "$tmp/img" -- /bin/cat "$tmp/data/v" 2>"$tmp/errd"); rc=$?
  check "an entry without its $part is unpacked again ($out, exit $rc)" '[ $rc = 0 ] && [ "$out" = two ] && grep -q "unpacked into the image cache" "$tmp/errd"' || cat "$tmp/errd"
done
# A relative CUSLIM_CACHE_DIR is from the working directory; one that cannot be used is warned about.
out=$(cd "$tmp" && CUSLIM_CACHE_DIR=relcache "$cuslim" run --gpu off "$tmp/img" -- /bin/cat "$tmp/data/v" 2>"$tmp/errr"); rc=$?
check "a relative CUSLIM_CACHE_DIR works ($out, exit $rc)" '[ $rc = 0 ] && [ "$out" = two ] && [ -d "$tmp/relcache/images" ]' || cat "$tmp/errr"
echo file > "$tmp/notadir"
out=$(CUSLIM_CACHE_DIR=$tmp/notadir "$cuslim" run --gpu off "$tmp/img" -- /bin/cat "$tmp/data/v" 2>"$tmp/errn"); rc=$?
check "a cache dir that cannot be made: a warning, and the image runs unpacked without it ($out, exit $rc)" \
  '[ $rc = 0 ] && [ "$out" = two ] && grep -q "warning: the image cache .*notadir/images is not usable" "$tmp/errn"' || cat "$tmp/errn"
CUSLIM_RUN_CACHE_MAX=abc "$cuslim" run --gpu off "$tmp/img" -- /bin/bash -c true 2>"$tmp/errm"; rc=$?
check "CUSLIM_RUN_CACHE_MAX=abc: exit 2 naming it" '[ $rc = 2 ] && grep -q "CUSLIM_RUN_CACHE_MAX=.abc.: not a size" "$tmp/errm"'
"$cuslim" run --gpu off "$tmp/other.tar.gz" -- /bin/bash -c true
n=$(entries); CUSLIM_RUN_CACHE_MAX=1K "$cuslim" run --gpu off "$tmp/img" -- /bin/cat "$tmp/data/v" > /dev/null; rc=$?
check "CUSLIM_RUN_CACHE_MAX=1K is a size: only the entry in use stays (entries $n -> $(entries))" '[ $rc = 0 ] && [ $n = 2 ] && [ "$(entries)" = 1 ]'

# A layout whose blob is rewritten in place (same index.json) is not served from the cache: it is
# unpacked again and its digest check refuses it.
"$cuslim" bundle -q /bin/bash /bin/cat --include "$tmp/data" -o "$tmp/img-c" --tag t
"$cuslim" run --gpu off "$tmp/img-c" -- /bin/cat "$tmp/data/v" > /dev/null 2>&1
for b in $(python3 -c "import json,sys; d=sys.argv[1]; m=json.load(open(d+'/index.json'))['manifests'][0]['digest'][7:]; print(' '.join(l['digest'][7:] for l in json.load(open(d+'/blobs/sha256/'+m))['layers']))" "$tmp/img-c"); do
  printf 'XXXX' | dd of="$tmp/img-c/blobs/sha256/$b" bs=1 seek=100 conv=notrunc status=none
done
out=$("$cuslim" run --gpu off "$tmp/img-c" -- /bin/cat "$tmp/data/v" 2>"$tmp/errc"); rc=$?
check "a layer blob rewritten in place: not a cache hit, the digest check fails it (exit $rc: $(head -c 200 "$tmp/errc"))" \
  '[ $rc = 3 ] && [ -z "$out" ] && grep -q "digest mismatch" "$tmp/errc"'
# Only the image's own blobs are checked: a stray damaged blob beside them does not fail a copy.
cp -a "$tmp/img" "$tmp/img-stray"; printf junk > "$tmp/img-stray/blobs/sha256/$(printf '0%.0s' $(seq 64))"
out=$("$cuslim" run -v --gpu off "$tmp/img-stray" -- /bin/cat "$tmp/data/v" 2>"$tmp/errs"); rc=$?
check "a stray damaged blob beside the image: still a cache hit ($out, exit $rc)" '[ $rc = 0 ] && [ "$out" = two ] && grep -q "image cache hit" "$tmp/errs"' || cat "$tmp/errs"

# A record written without stamps (an older cuslim) is still a hit for an archive.
"$cuslim" run --gpu off "$tmp/img.docker.tar" -- /bin/bash -c true
python3 -c "
import json,glob
for f in glob.glob('$tmp/cache/images/*/image.json'):
    j=json.load(open(f)); j.pop('stamps',None); json.dump(j,open(f,'w'))"
"$cuslim" run -v --gpu off "$tmp/img.docker.tar" -- /bin/bash -c true 2>"$tmp/erra"; rc=$?
check "an archive entry recorded without stamps is still a hit (exit $rc)" '[ $rc = 0 ] && grep -q "image cache hit" "$tmp/erra"' || cat "$tmp/erra"

# A removal cut off (its run gone) is finished by the next run.
mkdir -p "$tmp/cache/images/0123456789abcdef0123456789abcdef.removing-999999/unpacked"; echo x > "$tmp/cache/images/0123456789abcdef0123456789abcdef.removing-999999/unpacked/f"
"$cuslim" run --gpu off "$tmp/img" -- /bin/bash -c true; rc=$?
check "a cut-off removal of a dead run is finished (exit $rc)" '[ $rc = 0 ] && [ ! -e "$tmp/cache/images/0123456789abcdef0123456789abcdef.removing-999999" ]'

# dir: is a rootfs used in place, never cached, even when it holds an index.json and blobs/.
root=$(ls -d "$tmp"/cache/images/*/unpacked/rootfs | head -1)
cp -a "$root" "$tmp/webroot"; mkdir -p "$tmp/webroot/blobs/sha256"; echo '{"manifests":[]}' > "$tmp/webroot/index.json"
echo served > "$tmp/webroot/page"
n=$(entries); out=$("$cuslim" run -v --gpu off "dir:$tmp/webroot" -- /bin/cat /page 2>"$tmp/errw"); rc=$?
check "dir: with index.json and blobs runs as a rootfs, uncached ($out, exit $rc; entries $n -> $(entries))" \
  '[ $rc = 0 ] && [ "$out" = served ] && [ "$(entries)" = $n ] && ! grep -q "image cache" "$tmp/errw"' || cat "$tmp/errw"
# The cache removes only what it wrote: a CUSLIM_CACHE_DIR that is a project (its own images/
# dir, specs and a loose file in it, an entry-like dir without a record) keeps all of it.
mkdir -p "$tmp/proj/images/notmine"; echo 'name: app' > "$tmp/proj/images/app.yaml"; echo keep > "$tmp/proj/images/loose"; echo x > "$tmp/proj/images/notmine/f"
out=$(CUSLIM_CACHE_DIR=$tmp/proj "$cuslim" run --gpu off "$tmp/img" -- /bin/cat "$tmp/data/v" 2>&1); rc=$?
out2=$(CUSLIM_CACHE_DIR=$tmp/proj CUSLIM_RUN_CACHE_MAX=1 "$cuslim" run --gpu off "$tmp/img" -- /bin/cat "$tmp/data/v" 2>&1)
check "a cache dir holding the user's files: runs, and none of them is removed ($out)" \
  '[ $rc = 0 ] && [ "$out" = two ] && [ "$out2" = two ] && [ -f "$tmp/proj/images/app.yaml" ] && [ -f "$tmp/proj/images/loose" ] && [ -f "$tmp/proj/images/notmine/f" ]'
# A cached run reads index.json as a fresh one does: an edited index (a size that is not a number,
# a tag that is not a string) is refused, exit 3, cache or not.
"$cuslim" run --gpu off "$tmp/img" -- /bin/bash -c true
cp -r "$tmp/img" "$tmp/img-bad"
sed -i 's/"size":[0-9]*/"size":"oops"/' "$tmp/img-bad/index.json"
"$cuslim" run --gpu off "$tmp/img-bad:t" -- /bin/bash -c true 2> "$tmp/errbad"; rc=$?
"$cuslim" run --no-cache --gpu off "$tmp/img-bad:t" -- /bin/bash -c true 2> /dev/null; rc2=$?
check "an edited index.json: exit 3 from the cache too ($rc, --no-cache $rc2)" '[ $rc = 3 ] && [ $rc2 = 3 ] && grep -q "index.json: manifests\[0\]" "$tmp/errbad"'
rm -rf "$tmp/img-bad"
finish
