#!/usr/bin/env bash
# slim keeps the runtime config of its input: ExposedPorts, Volumes and StopSignal (set by umoci
# on a bundled image) survive slim into OCI and docker-archive outputs, as skopeo reads them, and
# a bundle on that image as --base.
# bundle and build --json print their summaries as JSON.
set -u
cuslim=$(readlink -f "$1")
source "$(dirname "$0")/check_lib.sh"
command -v umoci > /dev/null && command -v skopeo > /dev/null || { echo "skip: umoci or skopeo missing"; exit 77; }
tmp=$(mktemp -d /var/tmp/cuslim-config-XXXXXX); trap 'rm -rf "$tmp"' EXIT
must "bundle /bin/true" "$cuslim" bundle -q /bin/true -o "$tmp/img" --tag t
umoci config --image "$tmp/img:t" --config.exposedports 8080/tcp --config.volume /data --config.stopsignal SIGINT > /dev/null 2>&1
check "umoci sets ports, a volume and a stop signal" '[ $? = 0 ]'
must "slim to OCI" "$cuslim" slim -q "$tmp/img:t" -o "$tmp/slim" --tag s
"$cuslim" slim -q "$tmp/img:t" /bin/true -o "$tmp/slim-pos" 2> "$tmp/pos.err"; rc=$?
check "a program after IMAGE without --probe: exit 2 naming --target, nothing written" '[ $rc = 2 ] && grep -q "only with --probe; --target PROGRAM" "$tmp/pos.err" && [ ! -e "$tmp/slim-pos" ]'
# A layout missing a layer blob: said as missing, zstd as gzip (not "its mediaType says zstd").
for c in zstd gzip; do
  "$cuslim" bundle -q /bin/true -o "$tmp/miss-$c" --tag t --compression $c
  blob=$(python3 -c "import json,sys; d=sys.argv[1]; i=json.load(open(d+'/index.json')); m=json.load(open(d+'/blobs/sha256/'+i['manifests'][0]['digest'][7:])); print(m['layers'][0]['digest'][7:])" "$tmp/miss-$c")
  rm "$tmp/miss-$c/blobs/sha256/$blob"
  "$cuslim" verify "$tmp/miss-$c" > /dev/null 2> "$tmp/miss-$c.err"; rc=$?
  check "a $c layout without its layer blob: exit 3, the blob named as missing ($(head -c 200 "$tmp/miss-$c.err"))" '[ $rc = 3 ] && grep -q "$blob.*No such file or directory" "$tmp/miss-$c.err" && ! grep -q mediaType "$tmp/miss-$c.err"'
done
# A library named by --keep is a kept path in the report, not "a program" (it is also a target for its closure).
must "slim --keep of libc with a JSON report" "$cuslim" slim -q "$tmp/img:t" -o "$tmp/slim-keep" --tag k --keep "*/libc.so.6" --report "$tmp/keep.json"
check "the report gives libc.so.6 the reason of a kept path" 'python3 - "$tmp/keep.json" <<PY
import json, sys
j = json.load(open(sys.argv[1]))
why = [g["reason"] for g in j["groups"] if any(f["path"].endswith("/libc.so.6") for f in g["largest"])]
assert why and all(w.startswith("a kept path") for w in why), why
PY'
# A directory link inside an included tree brings the directory (app/models -> ../models); slim
# --keep of a directory keeps its tree; a --keep that matches nothing is said.
t="$tmp/dl"; mkdir -p "$t/app" "$t/models/sub"; echo w > "$t/models/w.bin"; echo s > "$t/models/sub/s"; echo c > "$t/app/cfg"; ln -s "$t/models" "$t/app/models"
ln -s .. "$t/app/up"  # a link to a directory the walk is inside: shipped as the link, not walked again
must "bundle --include a tree with a directory link (dir)" "$cuslim" bundle -q /bin/true --include "$t/app" -o "$tmp/dl-dir" --format dir
check "the linked directory ships with its files (it shipped empty)" '[ -f "$tmp/dl-dir$t/models/sub/s" ] && [ -f "$tmp/dl-dir$t/models/w.bin" ] && [ -L "$tmp/dl-dir$t/app/models" ] && [ -L "$tmp/dl-dir$t/app/up" ]'
must "bundle the same to OCI" "$cuslim" bundle -q /bin/true --include "$t/app" -o "$tmp/dl-oci" --tag t
rm -rf "$t/models"  # slim reads the image, not the host
"$cuslim" slim -q "$tmp/dl-oci:t" -o "$tmp/dl-slim" --format dir --keep "$t/app" --keep /no/such/path 2> "$tmp/dl-slim.err"; rc=$?
check "slim --keep DIR keeps its tree and the directory its link names (exit $rc)" '[ $rc = 0 ] && [ -f "$tmp/dl-slim$t/app/cfg" ] && [ -f "$tmp/dl-slim$t/models/sub/s" ]'
"$cuslim" slim -q "$tmp/dl-oci:t" -o "$tmp/dl-slim2" --format dir --keep "$t//app/./" 2> "$tmp/dl-slim2.err"; rc=$?
check "slim --keep written as a path with a trailing slash (DIR//./) keeps the same tree (exit $rc)" '[ $rc = 0 ] && [ -f "$tmp/dl-slim2$t/app/cfg" ] && [ -f "$tmp/dl-slim2$t/models/sub/s" ] && ! grep -q "matches nothing" "$tmp/dl-slim2.err"'
check "... and says that --keep /no/such/path matched nothing ($(cat "$tmp/dl-slim.err" | head -c 200))" 'grep -q "\-\-keep .*/no/such/path.* matches nothing in the image" "$tmp/dl-slim.err"'
# Slimming slim's output gives the same image, also for an input without ld.so.cache whose
# glibc is in a default dir reached through /lib -> usr/lib (the second slim found it through
# the first one's cache and listed the dir in cuslim.conf: a new layer each time).
ri="$tmp/reslim"; mkdir -p "$ri"
umoci init --layout "$ri/img" > /dev/null && umoci new --image "$ri/img:a" > /dev/null && umoci unpack --image "$ri/img:a" "$ri/b" > /dev/null 2>&1
R="$ri/b/rootfs"; mkdir -p "$R/usr/lib/x86_64-linux-gnu" "$R/usr/lib64" "$R/usr/bin"; ln -s usr/lib "$R/lib"; ln -s usr/lib64 "$R/lib64"
cp /lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$R/usr/lib/x86_64-linux-gnu/"
ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$R/usr/lib64/"; cp /usr/bin/dash "$R/usr/bin/"
umoci repack --image "$ri/img:a" "$ri/b" > /dev/null && umoci config --image "$ri/img:a" --config.entrypoint /usr/bin/dash > /dev/null
digest_of() { python3 -c "import json,sys; print(json.load(open(sys.argv[1] + '/index.json'))['manifests'][0]['digest'])" "$1"; }
must "slim it" "$cuslim" slim -q "$ri/img:a" -o "$ri/s1" --tag s
must "slim the slim" "$cuslim" slim -q "$ri/s1:s" -o "$ri/s2" --tag s
must "and again" "$cuslim" slim -q "$ri/s2:s" -o "$ri/s3" --tag s
check "slim of slim's output: the same digest ($(digest_of "$ri/s1") $(digest_of "$ri/s2") $(digest_of "$ri/s3"))" \
  '[ "$(digest_of "$ri/s1")" = "$(digest_of "$ri/s2")" ] && [ "$(digest_of "$ri/s2")" = "$(digest_of "$ri/s3")" ]'
# A trace that matches little of the image (another tree's run) is said; the image's own program's is not.
must "trace python on the host" "$cuslim" trace -q --files -o "$tmp/py.trace" -- python3 -c pass
must "trace /bin/true on the host" "$cuslim" trace -q --files -o "$tmp/true.trace" -- /bin/true
"$cuslim" slim "$tmp/img:t" -o "$tmp/slim-tr1" --tag x --trace "$tmp/py.trace" > /dev/null 2> "$tmp/tr1.err"; rc=$?
check "slim --trace of another tree: a warning says how much is not in the image ($(grep -m1 "not in the image" "$tmp/tr1.err" | cut -c1-160))" \
  '[ $rc = 0 ] && grep -q "py.trace: [0-9]* of the [0-9]* files the traced run used are not in the image" "$tmp/tr1.err"'
"$cuslim" slim "$tmp/img:t" -o "$tmp/slim-tr2" --tag x --trace "$tmp/true.trace" > /dev/null 2> "$tmp/tr2.err"; rc=$?
check "slim --trace of the image's own program: no such warning" '[ $rc = 0 ] && ! grep -q "files the traced run used are not in the image" "$tmp/tr2.err"'
must "slim to docker-archive" "$cuslim" slim -q "$tmp/img:t" -o "$tmp/slim.docker.tar" --tag s:1
# The runtime config skopeo reads from REF: ports, volume and stop signal as umoci set them, and
# the Entrypoint when one is given.
keeps_config() {
  local ref=$1 entry=${2:-}
  skopeo inspect --config "$ref" > "$tmp/cfg.json" 2> "$tmp/err" || cat "$tmp/err"
  python3 - "$tmp/cfg.json" "$entry" <<PY
import json, sys
c = json.load(open(sys.argv[1]))["config"]
assert list(c.get("ExposedPorts", {})) == ["8080/tcp"], c
assert list(c.get("Volumes", {})) == ["/data"], c
assert c.get("StopSignal") == "SIGINT", c
assert not sys.argv[2] or c["Entrypoint"][0].endswith(sys.argv[2]), c
PY
}
for ref in "oci:$tmp/slim:s" "docker-archive:$tmp/slim.docker.tar"; do
  check "$ref keeps ExposedPorts, Volumes and StopSignal" "keeps_config $ref"
done
# bundle on that image as --base keeps them too (the base's runtime config, its program replaced).
must "bundle /bin/ls on the image as --base" "$cuslim" bundle -q /bin/ls --base "$tmp/img:t" -o "$tmp/onbase" --tag b
check "bundle --base keeps the base's ExposedPorts, Volumes and StopSignal" 'keeps_config "oci:$tmp/onbase:b" /ls'
# A dangling symlink the keep-set names (/etc/localtime without tzdata) and one in a kept dir are
# kept as the links they are, not an error.
if umoci unpack --image "$tmp/img:t" "$tmp/ub" > /dev/null 2>&1; then
  mkdir -p "$tmp/ub/rootfs/etc/ssl/certs"
  ln -s /usr/share/zoneinfo/Etc/Nowhere "$tmp/ub/rootfs/etc/localtime"
  ln -s ../nowhere.pem "$tmp/ub/rootfs/etc/ssl/certs/gone.pem"
  umoci repack --image "$tmp/img:dl" "$tmp/ub" > /dev/null 2>&1
  "$cuslim" slim -q "$tmp/img:dl" -o "$tmp/sdl" --tag s 2> "$tmp/err"; rc=$?
  check "slim of an image with dangling links exits 0 ($(head -c 200 "$tmp/err"))" '[ $rc = 0 ]'
  umoci unpack --image "$tmp/sdl:s" "$tmp/sdl-ub" > /dev/null 2>&1
  check "... and keeps both links as they were" '[ "$(readlink "$tmp/sdl-ub/rootfs/etc/localtime")" = /usr/share/zoneinfo/Etc/Nowhere ] && [ "$(readlink "$tmp/sdl-ub/rootfs/etc/ssl/certs/gone.pem")" = ../nowhere.pem ]'
  # Links named by --keep are kept as links, whatever they point at (a program, a library).
  umoci unpack --image "$tmp/img:t" "$tmp/lk" > /dev/null 2>&1 && mkdir -p "$tmp/lk/rootfs/etc/alt" &&
    ln -s /bin/true "$tmp/lk/rootfs/etc/alt/abs" && ln -s ../../bin/true "$tmp/lk/rootfs/etc/alt/rel" &&
    umoci repack --image "$tmp/img:lk" "$tmp/lk" > /dev/null 2>&1
  "$cuslim" slim -q "$tmp/img:lk" -o "$tmp/slk" --format dir --keep /etc/alt/abs --keep '/etc/alt/r*' 2> "$tmp/err"; rc=$?
  check "slim --keep of symlinks (to a program) keeps them as links (exit $rc: $(head -c 200 "$tmp/err"))" \
    '[ $rc = 0 ] && [ "$(readlink "$tmp/slk/etc/alt/abs")" = /bin/true ] && [ "$(readlink "$tmp/slk/etc/alt/rel")" = ../../bin/true ]'
  ln -s "$tmp/nowhere" "$tmp/dangling"
  "$cuslim" bundle -q /bin/true --include "$tmp/dangling" -o "$tmp/dl.tar" 2> "$tmp/err"; rc=$?
  check "bundle --include of a dangling link ships the link" '[ $rc = 0 ] && tar -tvf "$tmp/dl.tar" | grep -q "dangling -> $tmp/nowhere"'
  # A link to a dangling link (b -> a -> nowhere), in an --include'd dir and named by slim --keep.
  mkdir -p "$tmp/chain" && ln -s nowhere "$tmp/chain/a" && ln -s a "$tmp/chain/b"
  "$cuslim" bundle -q /bin/true --include "$tmp/chain" -o "$tmp/chain.tar" 2> "$tmp/err"; rc=$?
  check "bundle --include of a dir with a link to a dangling link ships both links (exit $rc: $(head -c 200 "$tmp/err"))" \
    '[ $rc = 0 ] && tar -tvf "$tmp/chain.tar" | grep -q "chain/b -> a" && tar -tvf "$tmp/chain.tar" | grep -q "chain/a -> nowhere"'
  "$cuslim" slim -q "$tmp/chain.tar" -o "$tmp/chain-slim" --format dir --target /bin/true --keep "$tmp/chain/b" 2> "$tmp/err"; rc=$?
  check "slim --keep of a link to a dangling link keeps the chain (exit $rc: $(head -c 200 "$tmp/err"))" \
    '[ $rc = 0 ] && [ "$(readlink "$tmp/chain-slim$tmp/chain/b")" = a ] && [ "$(readlink "$tmp/chain-slim$tmp/chain/a")" = nowhere ]'
else
  check "umoci unpack works here (root)" false
fi
"$cuslim" slim -q "$tmp/img:t" -o "$tmp/nt" --target /no/such/prog 2> "$tmp/err"; rc=$?
check "slim --target of a missing program names the image, not a staging dir" '[ $rc = 3 ] && grep -q "/no/such/prog: not found in image $tmp/img:t" "$tmp/err" && ! grep -q cuslim-run "$tmp/err"'
"$cuslim" slim -q "$tmp/img:t" -o "$tmp/np" --platform foo 2> "$tmp/err"; rc=$?
check "slim --platform not OS/ARCH: usage error before any work ($rc: $(cat "$tmp/err"))" '[ $rc = 2 ] && [ ! -e "$tmp/np" ] && grep -q "OS/ARCH" "$tmp/err"'
# --platform matches index entries as docker does: linux/arm64/v8 and linux/aarch64 are an arm64
# entry written without a variant; linux/arm is arm/v7 and takes arm/v6 before arm/v5 when there
# is no v7 (the first entry of the index is not simply taken). The entries not to be taken name a
# blob that is not there, so taking one fails.
mkplat() {  # DIR ENTRIES...: a copy of img with index.json -> an image index of ENTRIES ("os/arch[/variant]=real|missing")
  local d=$1; shift; cp -r "$tmp/img" "$d"
  python3 - "$d" "$@" <<'PY'
import hashlib, json, sys
d = sys.argv[1]
idx = json.load(open(d + "/index.json")); real = idx["manifests"][0]
ms = []
for spec in sys.argv[2:]:
    plat, which = spec.split("=")
    parts = plat.split("/"); p = {"os": parts[0], "architecture": parts[1]}
    if len(parts) > 2: p["variant"] = parts[2]
    dig = real["digest"] if which == "real" else "sha256:" + hashlib.sha256(plat.encode()).hexdigest()
    ms.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": dig, "size": real["size"], "platform": p})
blob = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": ms}).encode()
h = hashlib.sha256(blob).hexdigest(); open(d + "/blobs/sha256/" + h, "wb").write(blob)
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + h,
           "size": len(blob), "annotations": {"org.opencontainers.image.ref.name": "t"}}]}, open(d + "/index.json", "w"))
PY
}
mkplat "$tmp/p64" linux/amd64=missing linux/arm64=real
for want in linux/arm64/v8 linux/aarch64 linux/arm64; do
  "$cuslim" slim -q "$tmp/p64:t" -o "$tmp/p64-out-${want//\//_}" --keep '*' --platform "$want" 2> "$tmp/err"; rc=$?
  check "--platform $want takes the index's linux/arm64 entry ($rc: $(head -c 300 "$tmp/err"))" '[ $rc = 0 ]'
done
mkplat "$tmp/parm" linux/arm/v5=missing linux/arm/v6=real linux/amd64=missing
"$cuslim" slim -q "$tmp/parm:t" -o "$tmp/parm-out" --keep '*' --platform linux/arm 2> "$tmp/err"; rc=$?
check "--platform linux/arm (v7) takes arm/v6 before arm/v5 ($rc: $(head -c 300 "$tmp/err"))" '[ $rc = 0 ]'
"$cuslim" slim -q "$tmp/parm:t" -o "$tmp/parm-out6" --keep '*' --platform linux/arm/v5 2> "$tmp/err"; rc=$?
check "--platform linux/arm/v5 takes the v5 entry, not a newer one (here: missing, exit 3) ($rc)" '[ $rc = 3 ] && [ ! -e "$tmp/parm-out6" ]'
"$cuslim" slim -q "$tmp/p64:t" -o "$tmp/p64-no" --keep '*' --platform linux/s390x 2> "$tmp/err"; rc=$?
check "--platform of an arch the index lacks: exit 3 listing what it has ($(cat "$tmp/err"))" '[ $rc = 3 ] && grep -q "it has: linux/amd64, linux/arm64" "$tmp/err"'
# slim --trace of a host run under C.UTF-8: the image has no data for that locale, so LANG stays out
# of its Env (setlocale() would fail where the input ran without it), with a warning.
[ -d /usr/lib/locale/C.utf8 ] || [ -f /usr/lib/locale/locale-archive ] || echo "note: this host has no C.UTF-8 data"
env -i LANG=C.UTF-8 PATH=/usr/bin:/bin "$cuslim" trace -q --files -o "$tmp/loc.trace" -- /bin/true
"$cuslim" slim -q "$tmp/img:t" -o "$tmp/sloc" --tag s --trace "$tmp/loc.trace" 2> "$tmp/err"; rc=$?
check "slim --trace under C.UTF-8 of an image without locale data: no LANG in its Env, a warning ($rc: $(head -c 300 "$tmp/err"))" \
  '[ $rc = 0 ] && ! skopeo inspect --config "oci:$tmp/sloc:s" | grep -q "LANG=" && grep -q "LANG=C.UTF-8 (from the trace): the image has no data for that locale" "$tmp/err"'
# --json summaries of bundle and build: JSON alone on stdout, with the summary's fields.
"$cuslim" bundle /bin/true -o "$tmp/j" --json > "$tmp/bundle.json" 2> /dev/null
printf 'name: t\ntargets: [/bin/true]\nout: %s\nformat: oci\ntag: t\nbase: scratch\n' "$tmp/b" > "$tmp/spec.yaml"
"$cuslim" build "$tmp/spec.yaml" --json > "$tmp/build.json" 2> /dev/null
for cmd in bundle build; do
  check "$cmd --json prints the summary as JSON (files, classes, layers with digests, manifest, left to base/driver, warnings)" 'python3 - "$tmp/$cmd.json" "$cmd" <<PY
import json, sys
j = json.load(open(sys.argv[1]))
assert j["command"] == sys.argv[2] and j["files"] > 0 and j["bytes"] == sum(j["bytes_by_class"].values())
assert j["layers"] and all(l["digest"].startswith("sha256:") and l["stored_bytes"] > 0 for l in j["layers"])
assert j["manifest"].startswith("sha256:") and isinstance(j["left_to_host_driver"], list)
assert isinstance(j["left_to_base"], int) and isinstance(j["warnings"], list)
PY'
done
"$cuslim" bundle /bin/true -o "$tmp/j.tar.gz" --json > "$tmp/tar.json" 2> /dev/null
check "bundle --json of a tar output lists its one layer, stored_bytes its size" 'python3 - "$tmp/tar.json" <<PY
import json, sys
j = json.load(open(sys.argv[1]))
assert len(j["layers"]) == 1 and j["stored_bytes"] == j["layers"][0]["stored_bytes"] == j["layer"]["stored_bytes"] > 0, j
PY'
# A profile base: what it provides is left to it, counted and listed
"$cuslim" bundle /bin/ls --base debian12 -o "$tmp/pb" --json > "$tmp/pbase.json" 2> /dev/null
check "bundle --base debian12 --json: libc is left to the base, counted and listed" 'python3 - "$tmp/pbase.json" <<PY
import json, sys
j = json.load(open(sys.argv[1]))
assert j["left_to_base"] == len(j["left_to_base_files"]) > 0, j
assert any(f.endswith("/libc.so.6") for f in j["left_to_base_files"]), j["left_to_base_files"]
PY'
# A library that needs the driver: libcuda.so.1 is left to the host driver, named even where this
# machine has none (then by its name, else by its path)
mkdir -p "$tmp/stub" "$tmp/app"; echo 'int cuInit(unsigned f){return 0;}' > "$tmp/stub.c"; echo 'int cuInit(unsigned); int go(void){return cuInit(0);}' > "$tmp/app.c"
cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$tmp/stub/libcuda.so" "$tmp/stub.c" && cc -shared -fPIC -o "$tmp/app/libapp.so" "$tmp/app.c" -L"$tmp/stub" -lcuda
rm -rf "$tmp/stub"
"$cuslim" bundle "$tmp/app/libapp.so" -o "$tmp/drv" --json > "$tmp/drv.json" 2> /dev/null
check "bundle --json names libcuda.so.1 among left_to_host_driver, once" 'python3 - "$tmp/drv.json" <<PY
import json, sys, os
j = json.load(open(sys.argv[1]))["left_to_host_driver"]
assert [os.path.basename(x) for x in j].count("libcuda.so.1") == 1, j
PY'
out_of() { [ "$1" = bundle ] && echo "$tmp/j" || echo "$tmp/b"; }
for cmd in bundle build; do
  check "$cmd --json layers are the manifest's layers, in order, each with its group (--layers auto by default)" 'python3 - "$tmp/$cmd.json" "$(out_of $cmd)" <<PY
import json, sys
j, d = json.load(open(sys.argv[1])), sys.argv[2]
m = json.load(open(d + "/blobs/sha256/" + json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]))
assert [l["digest"] for l in j["layers"]] == [l["digest"] for l in m["layers"]], (j["layers"], m["layers"])
assert [l["group"] for l in j["layers"]] == ["system", "app"], j["layers"]
assert j["stored_bytes"] == sum(l["size"] for l in m["layers"])
PY'
done
# slim --keep '*' of an image whose program finds its library through the image's ld.so.cache
# (no RUNPATH): the library is kept as a --keep root, and the regenerated ld.so.cache must still
# name it (it was written empty over the input's: the program no longer loaded).
mkdir -p "$tmp/lc/opt/foo/lib"
printf 'int f(void){return 7;}\n' > "$tmp/lc/f.c" && cc -shared -fPIC -Wl,-soname,libfoo.so.1 -o "$tmp/lc/opt/foo/lib/libfoo.so.1" "$tmp/lc/f.c"
printf '#include <stdio.h>\nint f(void);\nint main(void){printf("f=%%d\\n", f());return 0;}\n' > "$tmp/lc/m.c" && cc -o "$tmp/lc/m" "$tmp/lc/m.c" "$tmp/lc/opt/foo/lib/libfoo.so.1"
"$cuslim" bundle -q "$tmp/lc/m" --ld-library-path "$tmp/lc/opt/foo/lib" -o "$tmp/lc/img" --tag t 2> /dev/null
out=$("$cuslim" run --gpu off "$tmp/lc/img:t" -- "$tmp/lc/m" 2>&1)
check "a program finding its library through ld.so.cache runs in its bundle ($out)" '[ "$out" = "f=7" ]'
"$cuslim" slim -q "$tmp/lc/img:t" -o "$tmp/lc/all" --keep '*' --json > "$tmp/lc/all.json" 2> "$tmp/lc/err"; rc=$?
out=$("$cuslim" run --gpu off "$tmp/lc/all" -- "$tmp/lc/m" 2>&1)
check "slim --keep '*': the cache still names the kept library, the program runs ($rc: $out)" '[ $rc = 0 ] && [ "$out" = "f=7" ]'
# Two libraries of one soname that the input's cache (written by the real ldconfig, /opt/z before
# /opt/a in ld.so.conf) lists in that order: the loader takes /opt/z's; after slim --keep '*' too
# (the kept entries were sorted by path: /opt/a's won, and the program printed another number).
rm -rf "$tmp/lc/dup" && "$cuslim" bundle -q "$tmp/lc/m" --ld-library-path "$tmp/lc/opt/foo/lib" --format dir -o "$tmp/lc/dup"
mkdir -p "$tmp/lc/dup/opt/z" "$tmp/lc/dup/opt/a"
printf 'int f(void){return 9;}\n' > "$tmp/lc/f9.c" && cc -shared -fPIC -Wl,-soname,libfoo.so.1 -o "$tmp/lc/dup/opt/z/libfoo.so.1" "$tmp/lc/f9.c"
cp "$tmp/lc/opt/foo/lib/libfoo.so.1" "$tmp/lc/dup/opt/a/libfoo.so.1"
rm -f "$tmp/lc/dup/etc/ld.so.conf.d/"*; printf '/opt/z\n/opt/a\n' > "$tmp/lc/dup/etc/ld.so.conf"; ldconfig -r "$tmp/lc/dup"
out_in=$("$cuslim" run --gpu off "$tmp/lc/dup" -- "$tmp/lc/m" 2>&1)
"$cuslim" slim -q "$tmp/lc/dup" -o "$tmp/lc/dup-slim" --keep '*' 2> "$tmp/lc/err"; rc=$?
out=$("$cuslim" run --gpu off "$tmp/lc/dup-slim" -- "$tmp/lc/m" 2>&1)
check "a soname in two cache dirs: the input runs /opt/z's (f=9: $out_in), and so does its slim (exit $rc: $out)" '[ "$out_in" = "f=9" ] && [ $rc = 0 ] && [ "$out" = "f=9" ]'
# Slimmed twice more, the same way: the last has nothing to write, every layer is the input's.
"$cuslim" slim -q "$tmp/lc/all" -o "$tmp/lc/all2" --keep '*' 2> /dev/null
"$cuslim" slim -q "$tmp/lc/all2" -o "$tmp/lc/all3" --keep '*' --json > "$tmp/lc/all3.json" 2> /dev/null
check "slim --json of an image whose every layer is kept whole: stored_bytes is still the whole image's" 'python3 - "$tmp/lc/all3.json" "$tmp/lc/all3" <<PY
import json, sys
j, d = json.load(open(sys.argv[1])), sys.argv[2]
m = json.load(open(d + "/blobs/sha256/" + json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]))
assert all(l["from"] == "input" for l in j["layers"]) and "layer" not in j, j["layers"]
assert j["stored_bytes"] == sum(l["size"] for l in m["layers"]), j.get("stored_bytes")
PY'
check "slim --json of it: stored_bytes is the whole image's (the input layers kept whole too)" 'python3 - "$tmp/lc/all.json" "$tmp/lc/all" <<PY
import json, sys
j, d = json.load(open(sys.argv[1])), sys.argv[2]
m = json.load(open(d + "/blobs/sha256/" + json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]))
assert any(l["from"] == "input" for l in j["layers"]), j["layers"]
assert [l["digest"] for l in j["layers"]] == [l["digest"] for l in m["layers"]], (j["layers"], m["layers"])
assert j["stored_bytes"] == sum(l["size"] for l in m["layers"]), j.get("stored_bytes")
PY'
finish
