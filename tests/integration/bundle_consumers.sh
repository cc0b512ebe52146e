#!/usr/bin/env bash
# `cuslim bundle` judged by real consumers: skopeo reads the OCI image, umoci unpacks it, runc
# runs the bundled program FROM scratch with an empty environment, a real registry takes it,
# the docker-archive meets what moby's loader checks, and two runs give the same digests.
# Needs root (runc) and the test packages; exits 77 with the reason when they are missing.
set -u
cuslim=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
for tool in skopeo umoci runc docker-registry; do
  command -v "$tool" >/dev/null || { echo "skip: $tool not installed (scripts/test installs it)"; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "skip: runc run needs root"; exit 77; }
tmp=$(mktemp -d /tmp/cuslim-bundle-XXXXXX); trap 'cleanup' EXIT
reg_pid=""
cleanup() { [ -n "$reg_pid" ] && kill "$reg_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
source "$(dirname "$0")/check_lib.sh"
source "$here/runc_lib.sh"


# --- ssh, FROM scratch -----------------------------------------------------------------
"$cuslim" bundle -q /usr/bin/ssh -o "$tmp/ssh" --format oci --tag ssh; rc=$?
check "bundle /usr/bin/ssh exits 0" '[ $rc = 0 ]'
check "skopeo inspect oci:OUT:ssh reads the image" 'skopeo inspect "oci:$tmp/ssh:ssh" > "$tmp/ssh.inspect"'
check "--layers auto by default: two layers, base system (glibc) then the application" 'python3 - "$tmp/ssh" <<PY
import json, sys, tarfile
d = sys.argv[1]
m = json.load(open(d + "/blobs/sha256/" + json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]))
names = [tarfile.open(d + "/blobs/sha256/" + l["digest"][7:]).getnames() for l in m["layers"]]
assert len(names) == 2, len(names)
assert any("/libc.so.6" in n for n in names[0]) and not any("/usr/bin/ssh" in n for n in names[0]), names[0]
assert any(n.endswith("usr/bin/ssh") for n in names[1]) and not any("/libc.so.6" in n for n in names[1]), names[1]
PY'
out=$(run_image "$tmp/ssh" ssh /usr/bin/ssh -V)
check "runc runs ssh -V from the scratch image with no environment ($out)" '[[ "$out" == OpenSSH_* ]]'
# One history entry per layer, as docker history and umoci pair them (umoci stat lists a layer per
# non-empty entry; a missing one hides layers and shifts the next umoci insert onto the wrong one).
check "config history: one non-empty entry per layer, naming its group" 'python3 - "$tmp/ssh" <<PY
import json, sys
d = sys.argv[1]
m = json.load(open(d + "/blobs/sha256/" + json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]))
c = json.load(open(d + "/blobs/sha256/" + m["config"]["digest"][7:]))
h = [e for e in c["history"] if not e.get("empty_layer")]
assert len(h) == len(m["layers"]) == 2, (c["history"], len(m["layers"]))
assert h[0]["created_by"].endswith(": layer system") and h[1]["created_by"].endswith(": layer app"), h
PY'
check "umoci stat lists both layers" '[ "$(umoci stat --json --image "$tmp/ssh:ssh" | python3 -c "import json,sys; print(sum(1 for e in json.load(sys.stdin)[\"history\"] if not e.get(\"empty_layer\")))")" = 2 ]'
"$cuslim" bundle -q /usr/bin/ssh -o "$tmp/ssh-single" --tag ssh --layers single; rc=$?
check "--layers single: one layer, as before" '[ $rc = 0 ] && skopeo inspect "oci:$tmp/ssh-single:ssh" | python3 -c "import json,sys;assert len(json.load(sys.stdin)[\"Layers\"])==1"'
out=$(run_image "$tmp/ssh-single" ssh /usr/bin/ssh -V)
check "runc runs ssh -V from the one-layer image ($out)" '[[ "$out" == OpenSSH_* ]]'
"$cuslim" bundle -q /usr/bin/ssh -o "$tmp/ssh.tar" --format tar; rc=$?
check "a rootfs tar is one tree whatever --layers says (no layer blobs inside)" '[ $rc = 0 ] && tar -tf "$tmp/ssh.tar" | grep -q "usr/bin/ssh$" && ! tar -tf "$tmp/ssh.tar" | grep -q "^blobs/"'

# --- a library found only through ld.so.conf on the source side ---------------------------
root="$tmp/root"; mkdir -p "$root/usr/lib/x86_64-linux-gnu" "$root/lib64" "$root/opt/vendor/lib" "$root/etc/ld.so.conf.d" "$root/app"
for l in libc.so.6 ld-linux-x86-64.so.2; do cp "$(readlink -f /lib/x86_64-linux-gnu/$l)" "$root/usr/lib/x86_64-linux-gnu/$l"; done
ln -s /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$root/lib64/ld-linux-x86-64.so.2"
echo '#include <stdio.h>
void fix(void){puts("hello from a library found through ld.so.conf");}' > "$tmp/fix.c"
cc -shared -fPIC -Wl,-soname,libfix.so.1 -o "$root/opt/vendor/lib/libfix.so.1" "$tmp/fix.c"
echo 'void fix(void); int main(void){fix();return 0;}' > "$tmp/app.c"
cc -o "$root/app/app" "$tmp/app.c" -L"$root/opt/vendor/lib" -l:libfix.so.1
printf 'include /etc/ld.so.conf.d/*.conf\n' > "$root/etc/ld.so.conf"; echo /opt/vendor/lib > "$root/etc/ld.so.conf.d/vendor.conf"
ldconfig -r "$root"
"$cuslim" deps --root "$root" --format json /app/app > "$tmp/fix.deps"
check "source side: libfix found through the root's cache" 'grep -q "\"how\": \"ld.so.cache\"" "$tmp/fix.deps"'
"$cuslim" bundle -q --root "$root" /app/app -o "$tmp/fix" --tag fix; rc=$?
out=$(run_image "$tmp/fix" fix)
check "runc runs the fixture app; libfix found through the generated ld.so.cache ($out)" '[ "$out" = "hello from a library found through ld.so.conf" ]'

# --- determinism: other umask, TZ and file mtimes -> same digests --------------------------
d1=$(python3 -c "import json;print(json.load(open('$tmp/fix/index.json'))['manifests'][0]['digest'])")
touch -d '2001-02-03 04:05:06' "$root/app/app" "$root/opt/vendor/lib/libfix.so.1"
sleep 1  # a different second too: nothing may depend on the clock
(umask 077; TZ=Asia/Tokyo "$cuslim" bundle -q --root "$root" /app/app -o "$tmp/fix2" --tag fix)
d2=$(python3 -c "import json;print(json.load(open('$tmp/fix2/index.json'))['manifests'][0]['digest'])")
check "two runs (umask, TZ, mtimes changed) give the same manifest digest $d1" '[ "$d1" = "$d2" ]'
SOURCE_DATE_EPOCH=1700000000 "$cuslim" bundle -q --root "$root" /app/app -o "$tmp/fix3" --tag fix
d3=$(python3 -c "import json;print(json.load(open('$tmp/fix3/index.json'))['manifests'][0]['digest'])")
check "SOURCE_DATE_EPOCH changes the digest" '[ "$d1" != "$d3" ]'
SOURCE_DATE_EPOCH=yesterday "$cuslim" bundle -q /usr/bin/ssh -o "$tmp/bad" 2>/dev/null; rc=$?
check "invalid SOURCE_DATE_EPOCH is a usage error (exit 2), nothing written" '[ $rc = 2 ] && [ ! -e "$tmp/bad" ]'
# A rootfs directory gets the mtime a layer would carry: SOURCE_DATE_EPOCH, else 0; bundle and slim.
SOURCE_DATE_EPOCH=1000000000 "$cuslim" bundle -q /bin/true --format dir -o "$tmp/mdir" 2> "$tmp/mdir.err"
SOURCE_DATE_EPOCH=1000000000 "$cuslim" slim -q "$tmp/mdir" --target /usr/bin/true --format dir -o "$tmp/mdir2" 2>> "$tmp/mdir.err"
"$cuslim" bundle -q /bin/true --format dir -o "$tmp/mdir0" 2>> "$tmp/mdir.err"
check "--format dir: every entry's mtime is SOURCE_DATE_EPOCH (bundle and slim), else 0 ($(cat "$tmp/mdir.err"))" \
  '[ -z "$(find "$tmp/mdir" "$tmp/mdir2" ! -newermt @999999999 -o -newermt @1000000001 | head -1)" ] && [ -s "$tmp/mdir/usr/bin/true" ] && [ -s "$tmp/mdir2/usr/bin/true" ] && [ -z "$(find "$tmp/mdir0" -newermt @1 | head -1)" ]'

# --- docker-archive as moby's loader checks it ----------------------------------------------
"$cuslim" bundle -q /usr/bin/ssh -o "$tmp/ssh.docker.tar" --format docker-archive --tag cuslim/ssh:1
check "docker-archive: manifest.json layers = diff_ids, digests match, paths relative" 'python3 - "$tmp/ssh.docker.tar" <<PY
import gzip, hashlib, json, sys, tarfile
t = tarfile.open(sys.argv[1])
m = json.load(t.extractfile("manifest.json"))[0]
cfg_bytes = t.extractfile(m["Config"]).read()
assert hashlib.sha256(cfg_bytes).hexdigest() == m["Config"].split("/")[-1]
cfg = json.loads(cfg_bytes)
assert len(m["Layers"]) == len(cfg["rootfs"]["diff_ids"]), "layer count"
assert m["RepoTags"] == ["cuslim/ssh:1"]
for path, diff in zip(m["Layers"], cfg["rootfs"]["diff_ids"]):
    assert not path.startswith("/") and ".." not in path
    blob = t.extractfile(path).read()
    assert hashlib.sha256(blob).hexdigest() == path.split("/")[-1], "blob digest"
    assert "sha256:" + hashlib.sha256(gzip.decompress(blob)).hexdigest() == diff, "diff_id"
for name in ("oci-layout", "index.json"):
    t.getmember(name)
PY'
check "skopeo reads the docker-archive" 'skopeo inspect "docker-archive:$tmp/ssh.docker.tar" >/dev/null'
"$cuslim" bundle -q /usr/bin/ssh -o "$tmp/untagged.docker.tar"
check "docker-archive without --tag: RepoTags null (no made-up name a docker load would retag)" \
  '[ "$(tar xOf "$tmp/untagged.docker.tar" manifest.json | python3 -c "import json,sys; print(json.load(sys.stdin)[0][\"RepoTags\"])")" = None ]'
check "... skopeo and cuslim read it" 'skopeo inspect "docker-archive:$tmp/untagged.docker.tar" >/dev/null && "$cuslim" report "$tmp/untagged.docker.tar" --json >/dev/null'
"$cuslim" bundle -q /usr/bin/ssh -o "$tmp/ssh.oci.tar" --format oci-archive --tag ssh --compression zstd
check "skopeo reads the oci-archive (zstd layer)" 'skopeo inspect "oci-archive:$tmp/ssh.oci.tar:ssh" >/dev/null'
"$cuslim" bundle -q /usr/bin/ssh -o "$tmp/ssh.tar.zst"
check "tar.zst rootfs lists usr/bin/ssh" 'zstd -dc "$tmp/ssh.tar.zst" | tar -t | grep -qx "usr/bin/ssh"'

# --- a real registry on 127.0.0.1 ------------------------------------------------------------
port=$((20000 + RANDOM % 20000))
cat > "$tmp/registry.yml" <<YML
version: 0.1
storage:
  filesystem:
    rootdirectory: $tmp/registry
http:
  addr: 127.0.0.1:$port
YML
docker-registry serve "$tmp/registry.yml" > "$tmp/registry.log" 2>&1 & reg_pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.2; done
skopeo copy -q --dest-tls-verify=false "oci:$tmp/ssh:ssh" "docker://127.0.0.1:$port/cuslim/ssh:1"; rc=$?
check "skopeo copy oci:OUT -> registry" '[ $rc = 0 ]'
remote=$(skopeo inspect --tls-verify=false "docker://127.0.0.1:$port/cuslim/ssh:1" 2>/dev/null | python3 -c "import json,sys;print(json.load(sys.stdin)[\"Digest\"])")
local_d=$(python3 -c "import json;print(json.load(open('$tmp/ssh/index.json'))['manifests'][0]['digest'])")
check "registry serves the same manifest digest ($remote)" '[ "$remote" = "$local_d" ]'
kill "$reg_pid"; wait "$reg_pid" 2>/dev/null; reg_pid=""

# --- blob reuse: re-bundling unchanged input into the existing OCI dir links the old blob ----
blob=$(python3 -c "import json;print(json.load(open('$tmp/ssh/blobs/sha256/'+json.load(open('$tmp/ssh/index.json'))['manifests'][0]['digest'][7:]))['layers'][0]['digest'][7:])")
ino1=$(stat -c %i "$tmp/ssh/blobs/sha256/$blob")
"$cuslim" bundle -q /usr/bin/ssh -o "$tmp/ssh" --format oci --tag ssh
ino2=$(stat -c %i "$tmp/ssh/blobs/sha256/$blob" 2>/dev/null)
check "re-bundling unchanged input reuses the layer blob (same inode $ino1)" '[ "$ino1" = "$ino2" ]'
check "the re-bundled image still reads" 'skopeo inspect "oci:$tmp/ssh:ssh" >/dev/null'
# Changed input whose size and mtime stay (cp -p of a release, a fixed SOURCE_DATE_EPOCH): a new
# layer with the new bytes, never the old blob.
mkdir -p "$tmp/rel1" "$tmp/rel2" "$tmp/app2"; echo model=v1 > "$tmp/rel1/m.txt"; echo model=v2 > "$tmp/rel2/m.txt"
touch -d 1980-01-01 "$tmp/rel1/m.txt" "$tmp/rel2/m.txt"
cp -p "$tmp/rel1/m.txt" "$tmp/app2/m.txt"; "$cuslim" bundle -q /bin/true --include "$tmp/app2" -o "$tmp/reuse2" --tag v1
cp -p "$tmp/rel2/m.txt" "$tmp/app2/m.txt"; "$cuslim" bundle -q /bin/true --include "$tmp/app2" -o "$tmp/reuse2" --tag v2
rm -rf "$tmp/reuse2-u"; umoci unpack --image "$tmp/reuse2:v2" "$tmp/reuse2-u" >/dev/null 2>&1
check "same size and mtime, new bytes: the re-bundled layer holds the new bytes" '[ "$(cat "$tmp/reuse2-u/rootfs$tmp/app2/m.txt")" = model=v2 ]'

# --- --base IMAGE: our layer appended to an existing image, what it holds left out -----------
"$cuslim" bundle -q /bin/ls -o "$tmp/base" --tag base --env MARKER=from-base
"$cuslim" bundle /usr/bin/ssh --base "$tmp/base" -o "$tmp/onbase" --tag onbase > "$tmp/onbase.txt"; rc=$?
check "bundle --base IMAGE exits 0 and leaves the base's files out ($(grep -o '[0-9]* files left to the base image' "$tmp/onbase.txt"))" '[ $rc = 0 ] && grep -q "files left to the base image" "$tmp/onbase.txt"'
check "the result has the base's layers, unchanged, then ours" 'python3 - "$tmp/base" "$tmp/onbase" <<PY
import json, sys
def manifest(d):
    i = json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]
    return json.load(open(d + "/blobs/sha256/" + i))
b, o = manifest(sys.argv[1]), manifest(sys.argv[2])
n = len(b["layers"])
assert n >= 1 and len(o["layers"]) > n and o["layers"][:n] == b["layers"], (b["layers"], o["layers"])
PY'
skopeo inspect --config "oci:$tmp/onbase:onbase" > "$tmp/onbase.config"
check "config merged: the base's Env kept, the bundled program is the Entrypoint" 'python3 - "$tmp/onbase.config" <<PY
import json, sys
c = json.load(open(sys.argv[1]))["config"]
assert "MARKER=from-base" in c["Env"], c
assert c["Entrypoint"] == ["/usr/bin/ssh"], c
PY'
check "history: one entry per layer, the base then ours" '[ "$(skopeo inspect "oci:$tmp/onbase:onbase" | python3 -c "import json,sys; print(len(json.load(sys.stdin)[\"Layers\"]))")" = \
  "$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))[\"history\"]))" "$tmp/onbase.config")" ]'
out=$(run_image "$tmp/onbase" onbase /usr/bin/ssh -V)
check "runc runs ssh -V from the layered image ($out)" '[[ "$out" == OpenSSH_* ]]'
out=$(run_image "$tmp/onbase" onbase /bin/ls /usr/bin)
check "the base's program still runs on top (ls lists ssh and ls)" 'echo "$out" | grep -qx ssh && echo "$out" | grep -qx ls'
"$cuslim" bundle -q --include /usr/share/doc/openssh-client --base "$tmp/base" -o "$tmp/onbase" --tag docs; rc=$?
ep=$(skopeo inspect --config "oci:$tmp/onbase:docs" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["config"].get("Entrypoint") or []))')
check "no program of its own (only --include): the base's Entrypoint stays ($ep)" '[ $rc = 0 ] && [ "$ep" = /bin/ls ]'

# --- report reasons: a program named through a symlink is a program; the interpreter's start-up files say so
"$cuslim" bundle -q /usr/bin/python3 -o "$tmp/py-reasons" --report "$tmp/py-reasons.json"; rc=$?
check "report reasons: python3 (a link) is a program, its start-up files are the interpreter's, libc is needed by it" \
  '[ $rc = 0 ] && python3 - "$tmp/py-reasons.json" "$(readlink -f /usr/bin/python3)" <<PY
import json, sys
r = json.load(open(sys.argv[1]))
why = {f["path"]: g["reason"] for g in r["groups"] for f in g["largest"]}
assert why[sys.argv[2]] == "a program (target or entrypoint)", why[sys.argv[2]]
std = [g["reason"] for g in r["groups"] if g["group"].startswith("python-stdlib")]
assert std and std[0].startswith("read at every start of the Python interpreter"), std
libc = [g["reason"] for g in r["groups"] if g["group"] == "deb:libc6"]
assert libc and "needed by /usr/bin/python3" in libc[0], libc
PY'

# --- paths with ".." (as traces record them: numpy/_core/../../numpy.libs/x.so) --------------
mkdir -p "$tmp/dots/a/b" "$tmp/dots/c"; echo x > "$tmp/dots/c/f"
"$cuslim" bundle -q --include "$tmp/dots/a/b/../../c/f" -o "$tmp/dots.tar" --format tar
check "a path with '..' is packed by its real location, no '..' in any entry" 'tar -tf "$tmp/dots.tar" | grep -q "dots/c/f$" && ! tar -tf "$tmp/dots.tar" | grep -q "\.\./"'

# --- atomic output --------------------------------------------------------------------------
mkdir -p "$tmp/keep"; echo old > "$tmp/keep/marker"
echo 'void g(void); int main(void){g();return 0;}' > "$tmp/m.c"; echo 'void g(void){}' > "$tmp/g.c"
cc -shared -fPIC -o "$tmp/libgone.so" "$tmp/g.c"; cc -o "$tmp/m" "$tmp/m.c" -L"$tmp" -lgone; rm "$tmp/libgone.so"
"$cuslim" bundle -q "$tmp/m" -o "$tmp/keep" --force 2> "$tmp/err"; rc=$?  # --force: replacing is allowed, yet a failure replaces nothing
check "a missing dependency fails with exit 1 and names it" '[ $rc = 1 ] && grep -q "libgone.so" "$tmp/err"'
check "the failed run left the old OUT untouched and no temp behind" '[ "$(cat "$tmp/keep/marker")" = old ] && ! ls -a "$tmp" | grep -q cuslim-tmp'
"$cuslim" bundle -q "$tmp/m" -o "$tmp/keep" 2> "$tmp/err"; rc=$?
check "without --force, a non-empty OUT is refused before any work (exit 2), not after planning" '[ $rc = 2 ] && grep -q "a non-empty directory" "$tmp/err" && ! grep -q libgone "$tmp/err"'

# --- --layers auto by default: two programs on the same CUDA libraries share the CUDA layer --------
if cuda_programs "$tmp" one two; then
  # One through `bundle`, one through `build` (a spec with no layers key): both default to auto.
  "$cuslim" bundle -q "$tmp/cu-one" -o "oci:$tmp/cu:one"; rc1=$?
  printf 'name: cu-two\ntargets: [%s]\nout: %s\nformat: oci\n' "$tmp/cu-two" "$tmp/cu-build" > "$tmp/cu-two.yaml"
  "$cuslim" build -q "$tmp/cu-two.yaml"; rc2=$?
  check "two CUDA programs bundled and built with default layers" '[ $rc1 = 0 ] && [ $rc2 = 0 ]'
  check "by default their system and CUDA layers (the toolkit's links, then libcudart's family) are byte-identical (same digests), the app layers differ" 'python3 - "$tmp/cu" "$tmp/cu-build" <<PY
import json, sys, tarfile
def layers(d):
    i = json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]
    return [l["digest"] for l in json.load(open(d + "/blobs/sha256/" + i))["layers"]]
a, b = layers(sys.argv[1]), layers(sys.argv[2])
assert len(a) == 4 and len(b) == 4, (a, b)
assert a[:3] == b[:3] and a[3] != b[3], (a, b)
cuda = tarfile.open(sys.argv[1] + "/blobs/sha256/" + a[2][7:]).getnames()
assert any("libcudart.so" in n for n in cuda) and not any("cu-one" in n for n in cuda), cuda
PY'
  out=$(run_image "$tmp/cu" one)
  check "runc runs the layered CUDA program ($out)" '[[ "$out" == "one "* ]]'
  # A CUDA family per layer: a program on cuBLAS too gets a cuda-cublas layer of its own, and its
  # cuda-cudart layer is the one cu-one's image carries (byte-identical), so adding a library
  # re-ships only that library's family.
  if [ -e /usr/local/cuda/lib64/libcublas.so ]; then
    printf '#include <stdio.h>\nint cublasCreate_v2(void**);int cudaRuntimeGetVersion(int*);\nint main(void){void*h;int v=0;cudaRuntimeGetVersion(&v);printf("three %%d\\n",v);return 0;(void)cublasCreate_v2(&h);}\n' > "$tmp/cu-three.c"
    cc -o "$tmp/cu-three" "$tmp/cu-three.c" -L/usr/local/cuda/lib64 -Wl,--no-as-needed -lcublas -lcudart -Wl,-rpath,/usr/local/cuda/lib64
    "$cuslim" bundle "$tmp/cu-three" -o "oci:$tmp/cu:three" > "$tmp/three.out" 2>&1; rc=$?
    check "a CUDA family per layer: cuBLAS and the runtime in layers of their own, the runtime's the same blob as cu-one's ($rc)" 'python3 - "$tmp/cu" <<PY
import sys
sys.path.insert(0, "$here")
from oci_layers import layers_of, names_in
d = sys.argv[1]
one = [digest for _, digest in layers_of(d, "one")]
three = [digest for _, digest in layers_of(d, "three")]
groups = [g for g, _ in layers_of(d, "three")]
names = lambda digest: names_in(d, digest)
assert "cuda-cublas" in groups and "cuda-cudart" in groups, groups
blas = [l for l in three if any("libcublas" in n for n in names(l))]
assert len(blas) == 1 and not any("libcudart" in n for n in names(blas[0])), blas
assert one[2] in three, (one, three)  # the cuda-cudart layer, shared
PY' || cat "$tmp/three.out"
  fi
  printf 'layers: single\n' >> "$tmp/cu-two.yaml"
  "$cuslim" build -q "$tmp/cu-two.yaml" -o "$tmp/cu-build-single"; rc=$?
  check "a build spec's layers: single gives one layer" '[ $rc = 0 ] && skopeo inspect "oci:$tmp/cu-build-single:cu-two" | python3 -c "import json,sys;assert len(json.load(sys.stdin)[\"Layers\"])==1"'
else
  echo "skip-part: CUDA layer sharing (no CUDA toolkit at /usr/local/cuda)"
fi

# --- a large Python distribution gets a layer of its own; small ones share the frameworks layer --
sp="$tmp/venv/lib/python3.12/site-packages"
mkdir -p "$sp/big/data" "$sp/big-1.0.dist-info" "$sp/small" "$sp/small-1.0.dist-info"
head -c 40000000 /dev/urandom > "$sp/big/data/blob.bin"; echo 'x = 1' > "$sp/big/__init__.py"; echo 'y = 2' > "$sp/small/__init__.py"
printf 'Metadata-Version: 2.1\nName: Big\nVersion: 1.0\n' > "$sp/big-1.0.dist-info/METADATA"
printf 'big/__init__.py,,\nbig/data/blob.bin,,\nbig-1.0.dist-info/METADATA,,\nbig-1.0.dist-info/RECORD,,\n' > "$sp/big-1.0.dist-info/RECORD"
printf 'Metadata-Version: 2.1\nName: small\nVersion: 1.0\n' > "$sp/small-1.0.dist-info/METADATA"
printf 'small/__init__.py,,\nsmall-1.0.dist-info/METADATA,,\nsmall-1.0.dist-info/RECORD,,\n' > "$sp/small-1.0.dist-info/RECORD"
"$cuslim" bundle -q /bin/true --include "$tmp/venv" -o "oci:$tmp/py:one" 2> "$tmp/py.err"; rc1=$?
echo 'y = 3' > "$sp/small/__init__.py"  # the small distribution changes; the large one does not
"$cuslim" bundle -q /bin/true --include "$tmp/venv" -o "oci:$tmp/py:two" 2>> "$tmp/py.err"; rc2=$?
check "a Python distribution of 32 MB or more has a layer of its own (py-big), the same blob in both images; the small one changed with the frameworks layer" 'python3 - "$tmp/py" <<PY
import sys
sys.path.insert(0, "$here")
from oci_layers import layers_of, names_in
d = sys.argv[1]
one, two = dict(layers_of(d, "one")), dict(layers_of(d, "two"))
assert "py-big" in one and "frameworks" in one, one
names = lambda digest: names_in(d, digest)
assert any(n.endswith("big/data/blob.bin") for n in names(one["py-big"])) and not any("small" in n for n in names(one["py-big"])), names(one["py-big"])
assert any(n.endswith("small/__init__.py") for n in names(one["frameworks"])), names(one["frameworks"])
assert one["py-big"] == two["py-big"] and one["frameworks"] != two["frameworks"], (one, two)
PY' || cat "$tmp/py.err"

# The manifest and config of an OCI layout's only image, for the checks below
cat > "$tmp/oci_image.py" <<'PY'
import json
def image(d):
    i = json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]
    m = json.load(open(d + "/blobs/sha256/" + i))
    return m, json.load(open(d + "/blobs/sha256/" + m["config"]["digest"][7:]))
PY
# --- slim keeps an input layer's digest when it keeps the layer whole -------------------------------
# The input: ssh bundled as one layer, then a layer of junk on top (umoci repack). That layer also
# holds what the injected driver would load (libm, librt, ...): ssh alone does not need them, so
# slim keeps them with --keep -- then every file of the bottom layer is kept, the junk dropped.
"$cuslim" bundle -q /usr/bin/ssh -o "$tmp/reuse-in" --tag in --layers single
umoci unpack --image "$tmp/reuse-in:in" "$tmp/reuse-b" >/dev/null 2>&1
mkdir -p "$tmp/reuse-b/rootfs/opt/junk"; head -c 300000 /dev/urandom > "$tmp/reuse-b/rootfs/opt/junk/blob.bin"
umoci repack --image "$tmp/reuse-in:in" "$tmp/reuse-b" >/dev/null 2>&1; rc=$?
check "input made: cuslim's one-layer ssh image plus a junk layer (umoci repack)" '[ $rc = 0 ] && [ "$(skopeo inspect "oci:$tmp/reuse-in:in" | python3 -c "import json,sys;print(len(json.load(sys.stdin)[\"Layers\"]))")" = 2 ]'
"$cuslim" slim -q "$tmp/reuse-in:in" -o "$tmp/reuse-part" --tag out; rc=$?
check "slim that drops part of the bottom layer (libm) repacks it: no input layer in the output" 'python3 - "$tmp/reuse-in" "$tmp/reuse-part" <<PY
import json, sys
def layers(d):
    i = json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]
    return [l["digest"] for l in json.load(open(d + "/blobs/sha256/" + i))["layers"]]
assert not set(layers(sys.argv[1])) & set(layers(sys.argv[2])), (layers(sys.argv[1]), layers(sys.argv[2]))
PY'
"$cuslim" slim "$tmp/reuse-in:in" -o "$tmp/reuse-out" --tag out --keep '/usr/lib/x86_64-linux-gnu/lib*' > "$tmp/reuse.txt"; rc=$?
check "slim exits 0 and says it kept the input layer whole ($(grep 'kept whole' "$tmp/reuse.txt"))" '[ $rc = 0 ] && grep -q "^  layer input .*kept whole from the input" "$tmp/reuse.txt"'
check "the output's first layer is the input's bottom layer: same digest, same diff_id; the junk layer is gone" 'python3 - "$tmp/reuse-in" "$tmp/reuse-out" <<PY
import json, sys; sys.path.insert(0, "$tmp"); from oci_image import image
(mi, ci), (mo, co) = image(sys.argv[1]), image(sys.argv[2])
assert mo["layers"][0]["digest"] == mi["layers"][0]["digest"], (mi["layers"], mo["layers"])
assert co["rootfs"]["diff_ids"][0] == ci["rootfs"]["diff_ids"][0]
assert mi["layers"][1]["digest"] not in [l["digest"] for l in mo["layers"]]
assert len(co["history"]) >= len(mo["layers"])
PY'
check "skopeo reads the slimmed image" 'skopeo inspect "oci:$tmp/reuse-out:out" >/dev/null'
out=$(run_image "$tmp/reuse-out" out /usr/bin/ssh -V)
check "umoci unpacks it and runc runs ssh -V from it ($out)" '[[ "$out" == OpenSSH_* ]]'
umoci unpack --image "$tmp/reuse-out:out" "$tmp/reuse-u" >/dev/null 2>&1; rc=$?
check "umoci unpacks it: ssh there, the junk not" '[ $rc = 0 ] && [ -x "$tmp/reuse-u/rootfs/usr/bin/ssh" ] && [ ! -e "$tmp/reuse-u/rootfs/opt/junk/blob.bin" ]'
"$cuslim" slim -q "$tmp/reuse-in:in" -o "$tmp/reuse-single" --tag out --keep '/usr/lib/x86_64-linux-gnu/lib*' --layers single; rc=$?
check "slim --layers single: one new layer, nothing reused" '[ $rc = 0 ] && [ "$(skopeo inspect "oci:$tmp/reuse-single:out" | python3 -c "import json,sys;print(len(json.load(sys.stdin)[\"Layers\"]))")" = 1 ]'

# The same input as a docker-archive (skopeo's: plain tar layers named by their hash): the bottom
# layer kept whole keeps its digest, which for a plain tar is its diff_id.
skopeo copy -q "oci:$tmp/reuse-in:in" "docker-archive:$tmp/reuse-in.docker.tar:reuse:in" >/dev/null 2>&1; rc=$?
check "skopeo writes the input as a docker-archive" '[ $rc = 0 ]'
"$cuslim" slim "$tmp/reuse-in.docker.tar" -o "$tmp/reuse-dout" --tag out --keep '/usr/lib/x86_64-linux-gnu/lib*' > "$tmp/dreuse.txt" 2>&1; rc=$?
check "slim of the docker-archive keeps its bottom layer whole ($(grep 'kept whole' "$tmp/dreuse.txt"))" '[ $rc = 0 ] && grep -q "^  layer input .*kept whole from the input" "$tmp/dreuse.txt"' || cat "$tmp/dreuse.txt"
check "... as a plain tar layer whose digest is the input's diff_id" 'python3 - "$tmp/reuse-in" "$tmp/reuse-dout" <<PY
import json, sys; sys.path.insert(0, "$tmp"); from oci_image import image
(mi, ci), (mo, co) = image(sys.argv[1]), image(sys.argv[2])
assert mo["layers"][0]["digest"] == ci["rootfs"]["diff_ids"][0] == co["rootfs"]["diff_ids"][0], (mo["layers"][0], ci["rootfs"])
assert mo["layers"][0]["mediaType"] == "application/vnd.oci.image.layer.v1.tar", mo["layers"][0]
PY'
out=$(run_image "$tmp/reuse-dout" out /usr/bin/ssh -V)
check "runc runs ssh -V from it ($out)" '[[ "$out" == OpenSSH_* ]]'

# --- hard links stay hard links -------------------------------------------------------------
# Three names of one 1 MB inode under --include: the layer stores the bytes once (tar hard-link
# entries), umoci unpacks one inode, slim keeps the links, and a dir output links them too.
mkdir -p "$tmp/hl/d"; head -c 1000000 /dev/urandom > "$tmp/hl/d/a"; ln "$tmp/hl/d/a" "$tmp/hl/d/b"; ln "$tmp/hl/d/a" "$tmp/hl/d/c"
cat > "$tmp/hl_layers.py" <<'PY'
import json, sys, tarfile
d = sys.argv[1]
m = json.load(open(d + "/blobs/sha256/" + json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]))
members, size = {}, 0
for l in m["layers"]:
    names = {x.name.rsplit("/", 1)[-1]: x for x in tarfile.open(d + "/blobs/sha256/" + l["digest"][7:]) if "/hl/d/" in x.name}
    if names: members, size = names, l["size"]
assert members["a"].isfile() and members["a"].size == 1000000, members
for n in "bc":
    assert members[n].islnk() and members[n].linkname.endswith("hl/d/a"), (n, members[n].type, members[n].linkname)
print(size)  # the stored size of the layer that holds them
PY
"$cuslim" bundle -q /bin/true --include "$tmp/hl/d" -o "$tmp/hl-img" --tag hl; rc=$?
check "bundle --include of three hard-linked names: one file and two link entries (their layer: $(python3 "$tmp/hl_layers.py" "$tmp/hl-img" 2>&1 | tail -1) bytes stored)" \
  '[ $rc = 0 ] && [ "$(python3 "$tmp/hl_layers.py" "$tmp/hl-img")" -lt 1500000 ]'
umoci unpack --image "$tmp/hl-img:hl" "$tmp/hl-u" >/dev/null 2>&1; rc=$?
check "umoci unpacks the three names as one inode with the bytes" \
  '[ $rc = 0 ] && [ "$(stat -c %i "$tmp/hl-u/rootfs$tmp/hl/d/a")" = "$(stat -c %i "$tmp/hl-u/rootfs$tmp/hl/d/c")" ] && cmp -s "$tmp/hl/d/a" "$tmp/hl-u/rootfs$tmp/hl/d/b"'
"$cuslim" slim -q "$tmp/hl-img:hl" -o "$tmp/hl-slim" --tag out --keep "$tmp/hl/d/[bc]" --layers single; rc=$?
check "slim keeping two of the names: still a file and a link (exit $rc)" '[ $rc = 0 ] && python3 - "$tmp/hl-slim" <<PY
import json, sys, tarfile
d = sys.argv[1]
m = json.load(open(d + "/blobs/sha256/" + json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]))
x = {x.name.rsplit("/", 1)[-1]: x for l in m["layers"] for x in tarfile.open(d + "/blobs/sha256/" + l["digest"][7:]) if "/hl/d/" in x.name}
assert "a" not in x and x["b"].isfile() and x["c"].islnk() and x["c"].linkname.endswith("hl/d/b"), {k: (v.type, v.linkname) for k, v in x.items()}
PY'
"$cuslim" bundle -q /bin/true --include "$tmp/hl/d" -o "$tmp/hl-dir" --format dir; rc=$?
check "a dir output links the names to one inode" '[ $rc = 0 ] && [ "$(stat -c %h "$tmp/hl-dir$tmp/hl/d/b")" = 3 ] && cmp -s "$tmp/hl/d/a" "$tmp/hl-dir$tmp/hl/d/c"'
"$cuslim" bundle -q /bin/true --include "$tmp/hl/d" -o "$tmp/hl.tar" --format tar; rc=$?
mkdir -p "$tmp/hl-x"; tar -xf "$tmp/hl.tar" -C "$tmp/hl-x" 2>/dev/null
check "GNU tar extracts the rootfs tar's links as one inode" '[ $rc = 0 ] && [ "$(stat -c %h "$tmp/hl-x$tmp/hl/d/a")" = 3 ]'

# An ELF file included through a linked directory (as /usr/local/cuda -> cuda-13.0) brings its
# closure: the plan holds it at its real path, which the include names only through the link.
ln -s "$root/opt/vendor" "$tmp/vendor-link"
"$cuslim" bundle -q /bin/true --include "$tmp/vendor-link/lib/libfix.so.1" -o "$tmp/linkinc" --format dir; rc=$?
check "--include through a linked dir: the included library ships at its real path (exit $rc)" \
  '[ $rc = 0 ] && [ -e "$tmp/linkinc$root/opt/vendor/lib/libfix.so.1" ]'
echo 'void dep(void){}' > "$tmp/dep.c"; mkdir -p "$root/opt/vendor/dep"
cc -shared -fPIC -Wl,-soname,libdep.so.1 -o "$root/opt/vendor/dep/libdep.so.1" "$tmp/dep.c"
echo 'void dep(void); void usedep(void){dep();}' > "$tmp/usedep.c"
cc -shared -fPIC -o "$root/opt/vendor/lib/libusedep.so" "$tmp/usedep.c" -L"$root/opt/vendor/dep" -l:libdep.so.1 -Wl,-rpath,"$root/opt/vendor/dep"
"$cuslim" bundle -q /bin/true --include "$tmp/vendor-link/lib/libusedep.so" -o "$tmp/linkinc2" --format dir; rc=$?
check "... and a library it needs (found through its RUNPATH) ships too (exit $rc)" '[ $rc = 0 ] && [ -e "$tmp/linkinc2$root/opt/vendor/dep/libdep.so.1" ]'

# --- slim is idempotent: slimming its own output again gives the same image (no layer added to
# hold generated files the kept layers already hold as they are)
mkdir -p "$tmp/idem/doc" && echo notes > "$tmp/idem/doc/readme"
"$cuslim" bundle -q /bin/true --include "$tmp/idem/doc" -o "oci-archive:$tmp/idem/fat.tar:v1"
for n in 1 2 3; do
  src=$([ $n = 1 ] && echo "oci-archive:$tmp/idem/fat.tar:v1" || echo "$tmp/idem/s$((n - 1))")
  "$cuslim" slim -q "$src" -o "$tmp/idem/s$n" --digestfile "$tmp/idem/d$n"
done
check "slim of slim's output: the same manifest digest three times over ($(cat "$tmp/idem/d1") $(cat "$tmp/idem/d2") $(cat "$tmp/idem/d3"))" \
  '[ -s "$tmp/idem/d1" ] && [ "$(cat "$tmp/idem/d1")" = "$(cat "$tmp/idem/d2")" ] && [ "$(cat "$tmp/idem/d2")" = "$(cat "$tmp/idem/d3")" ]'

finish
