#!/usr/bin/env bash
# `cuslim run` and `cuslim verify` without a GPU: the sandbox runs a CPU fixture from a bundle
# (as root, and through a user namespace as an ordinary user where the kernel allows it), exit
# codes propagate, the image's User and WorkingDir are honoured, and each of verify's negative cases fails naming the file; the JUnit report
# parses and counts the failures.
set -u
cuslim=$(readlink -f "$1")
[ "$(id -u)" = 0 ] || { echo "skip: the sandbox test needs root to set up its fixtures"; exit 77; }
# Not under /tmp: the sandbox mounts a fresh tmpfs there.
tmp=$(mktemp -d /var/tmp/cuslim-rv-XXXXXX); chmod 755 "$tmp"; trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/check_lib.sh"

# --- the sandbox runs a CPU fixture ------------------------------------------------------------
cat > "$tmp/fx.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char** argv) {
  printf("pid=%d tmp=%s proc=%s\n", (int)getpid(), access("/tmp", W_OK) == 0 ? "rw" : "no", access("/proc/self/maps", R_OK) == 0 ? "yes" : "no");
  return argc > 1 ? atoi(argv[1]) : 0;
}
C
cc -o "$tmp/fixture" "$tmp/fx.c"
"$cuslim" bundle -q "$tmp/fixture" -o "$tmp/fx.tar.gz"
out=$("$cuslim" run "$tmp/fx.tar.gz" -- "$tmp/fixture"); rc=$?
check "run: the fixture runs as pid 2 under the sandbox's init, with /proc and a writable /tmp ($out)" '[ $rc = 0 ] && [ "$out" = "pid=2 tmp=rw proc=yes" ]'
# One file the loader finds by two paths: a library target first brings ld.so by its cache path,
# the program asks for its PT_INTERP; two programs reach one library through two RUNPATH dirs
# (one a symlink). The image holds every path, whatever the order of the targets.
mkdir -p "$tmp/two/a" "$tmp/two/b"
echo 'int two(void) { return 2; }' > "$tmp/two/two.c"
cc -shared -fPIC -Wl,-soname,libtwo.so.1 -o "$tmp/two/a/libtwo.so.1" "$tmp/two/two.c"
ln -s ../a/libtwo.so.1 "$tmp/two/b/libtwo.so.1"
echo 'int two(void); int main(void) { return two() == 2 ? 0 : 1; }' > "$tmp/two/m.c"
cc -o "$tmp/two/pa" "$tmp/two/m.c" -L"$tmp/two/a" -l:libtwo.so.1 -Wl,-rpath,"$tmp/two/a"
cc -o "$tmp/two/pb" "$tmp/two/m.c" -L"$tmp/two/a" -l:libtwo.so.1 -Wl,-rpath,"$tmp/two/b"
for order in "/usr/lib/x86_64-linux-gnu/libz.so.1 $tmp/fixture" "$tmp/fixture /usr/lib/x86_64-linux-gnu/libz.so.1"; do
  "$cuslim" bundle -q $order -o "$tmp/order.tar" --force; rc=$?
  out=$("$cuslim" run --no-cache "$tmp/order.tar" -- "$tmp/fixture" 2>&1); rrc=$?
  check "bundle ${order%% *} first: the program's PT_INTERP path is in the image, it runs ($rc/$rrc: $out)" '[ $rc = 0 ] && [ $rrc = 0 ]'
done
"$cuslim" bundle -q "$tmp/two/pa" "$tmp/two/pb" -o "$tmp/two.tar"
"$cuslim" run --no-cache "$tmp/two.tar" -- "$tmp/two/pb" 2> "$tmp/err"; rc=$?
check "bundle: a library two programs find through two RUNPATH dirs is at both paths; the second runs ($rc: $(cat "$tmp/err"))" \
  '[ $rc = 0 ] && tar tf "$tmp/two.tar" | grep -q "two/b/libtwo.so.1\$" && tar tf "$tmp/two.tar" | grep -q "two/a/libtwo.so.1\$"'
"$cuslim" verify "$tmp/two.tar" > /dev/null; rc=$?
check "... and verify passes it" '[ $rc = 0 ]'
"$cuslim" run "$tmp/fx.tar.gz" -- "$tmp/fixture" 7 >/dev/null; rc=$?
check "run: the exit code propagates (7)" '[ $rc = 7 ]'
"$cuslim" run "$tmp/fx.tar.gz" -- /no/such/program 2> "$tmp/err"; rc=$?
check "run: a program not in the image is exit 127, named" '[ $rc = 127 ] && grep -q "/no/such/program" "$tmp/err"'
"$cuslim" run "$tmp/fx.tar.gz" -- /etc/passwd 2> "$tmp/err"; rc=$?
check "run: a file that cannot be executed is exit 126" '[ $rc = 126 ]'
"$cuslim" run "$tmp/fx.tar.gz" -- '' 2> "$tmp/err"; rc=$?
check "run: an empty program name is exit 127, as a shell says (not a PATH directory run as 126) ($(cat "$tmp/err"))" '[ $rc = 127 ] && grep -q "empty program name" "$tmp/err"'
"$cuslim" bundle -q "$tmp/fixture" -o "$tmp/fxdir" --format dir
before=$(find "$tmp/fxdir" | sort | md5sum)
"$cuslim" run "$tmp/fxdir" -- "$tmp/fixture" >/dev/null
after=$(find "$tmp/fxdir" | sort | md5sum)
check "run: a rootfs dir input is left untouched (overlay)" '[ "$before" = "$after" ]'
"$cuslim" run --gpu on "$tmp/fx.tar.gz" -- "$tmp/fixture" 2> "$tmp/err"; rc=$?
if [ -e /dev/nvidiactl ]; then echo "skip --gpu on negative: this host has a GPU"
else check "run --gpu on without a driver fails clearly (exit 1)" '[ $rc = 1 ] && grep -q "no NVIDIA driver" "$tmp/err"'; fi
if command -v setpriv >/dev/null; then
  runs_before=$(find /tmp -maxdepth 1 -name "cuslim-run-*" -user 65534 2>/dev/null | wc -l)
  out=$(cd "$tmp" && setpriv --reuid=65534 --regid=65534 --clear-groups "$cuslim" run --gpu off "$tmp/fx.tar.gz" -- "$tmp/fixture" 2>"$tmp/nobody.err"); rc=$?
  out="$out$(grep -v "warning: the image cache" "$tmp/nobody.err")"  # root's cache dir is not this user's: a warning, and the run goes on
  if [ $rc = 0 ]; then check "run as an ordinary user through a user namespace ($out)" '[ "$out" = "pid=2 tmp=rw proc=yes" ]'
    runs_after=$(find /tmp -maxdepth 1 -name "cuslim-run-*" -user 65534 2>/dev/null | wc -l)
    check "... and its run directory (overlay work dir of mode 000 included) is gone ($runs_before before, $runs_after after)" '[ "$runs_after" = "$runs_before" ]'
  else echo "skip: user namespaces are not available to ordinary users here: $out"; fi
fi

# --- the image's User and WorkingDir, as docker runs them ------------------------------------------
if command -v umoci >/dev/null; then
  "$cuslim" bundle -q /usr/bin/id /bin/sh --tag base -o "$tmp/uimg"
  umoci config --image "$tmp/uimg:base" --tag uid --config.user 1000:1001 --config.workingdir /work/here > /dev/null 2>&1
  out=$("$cuslim" run --gpu off "$tmp/uimg:uid" -- /bin/sh -c 'echo $(id -u):$(id -g):$(id -G) $PWD $HOME' 2> "$tmp/err"); rc=$?
  check "run: User 1000:1001 runs the program as uid 1000, gid 1001, in a WorkingDir the image lacks ($rc: $out $(cat "$tmp/err"))" \
    '[ $rc = 0 ] && [ "$out" = "1000:1001:1001 /work/here /" ]'
  "$cuslim" run --gpu off "$tmp/uimg:base" --tag uid -- /bin/true 2> "$tmp/err"; rc=$?
  check "run IMAGE:TAG --tag OTHER: a usage error (exit 2), neither wins in silence ($rc: $(cat "$tmp/err"))" \
    '[ $rc = 2 ] && grep -q "names the tag .base. and the tag option says .uid." "$tmp/err"'
  out=$("$cuslim" run --gpu off "$tmp/uimg:base" -- /bin/sh -c 'echo $(id -u) $HOME' 2> "$tmp/err"); rc=$?
  check "run: no User is root, HOME from root's passwd entry, as runc sets it ($rc: $out $(cat "$tmp/err"))" '[ $rc = 0 ] && [ "$out" = "0 /root" ]'
  umoci config --image "$tmp/uimg:base" --tag named --config.user nobody > /dev/null 2>&1
  out=$("$cuslim" run --gpu off "$tmp/uimg:named" -- /bin/sh -c 'echo $(id -un):$(id -gn) $HOME' 2> "$tmp/err"); rc=$?
  check "run: a User name is looked up in the image's /etc/passwd (uid, group, HOME) ($rc: $out $(cat "$tmp/err"))" \
    '[ $rc = 0 ] && [ "$out" = "nobody:nogroup /nonexistent" ]'
  umoci config --image "$tmp/uimg:base" --tag ghost --config.user ghost:wheel > /dev/null 2>&1
  "$cuslim" run --gpu off "$tmp/uimg:ghost" -- /bin/true 2> "$tmp/err"; rc=$?
  check "run: a User the image does not know is exit 3, named ($rc: $(cat "$tmp/err"))" \
    '[ $rc = 3 ] && grep -qF "the image'"'"'s User '"'"'ghost:wheel'"'"': no user '"'"'ghost'"'"' in the image'"'"'s /etc/passwd" "$tmp/err"'
else echo "skip: the User cases need umoci (scripts/test installs it)"; fi

# --- verify: a clean bundle passes, each negative case fails naming the file ----------------
"$cuslim" verify "$tmp/fx.tar.gz" --junit "$tmp/ok.xml" > "$tmp/ok.txt"; rc=$?
check "verify passes a clean bundle" '[ $rc = 0 ]'
root="$tmp/root"; mkdir -p "$root/usr/local/cuda/bin" "$root/drv" "$root/opt/wl"
printf '#!/bin/sh\necho fake nvcc\n' > "$root/usr/local/cuda/bin/nvcc"; chmod +x "$root/usr/local/cuda/bin/nvcc"
echo 'int x;' > "$tmp/s.c"; cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$root/drv/libcuda.so.580.65.06" "$tmp/s.c"
# a wrong-machine object: the app needs libw.so, the only libw.so in the image is for AArch64
cc -shared -fPIC -Wl,-soname,libw.so -o "$root/opt/wl/libw.so" "$tmp/s.c"
echo 'extern int x; int main(void){return x;}' > "$tmp/w.c"; cc -o "$root/app" "$tmp/w.c" -L"$root/opt/wl" -lw -Wl,--enable-new-dtags,-rpath,/opt/wl
printf '\xb7\x00' | dd of="$root/opt/wl/libw.so" bs=1 seek=18 conv=notrunc status=none
"$cuslim" bundle -q --root "$root" --include /usr/local/cuda/bin/nvcc --include /drv --include /opt/wl --include /app -o "$tmp/bad" --format dir 2>/dev/null
cp -a "$tmp/fxdir/." "$tmp/bad/"                          # a program whose library then goes missing
mkdir -p "$tmp/bad/drv" && cp "$root/drv/libcuda.so.580.65.06" "$tmp/bad/drv/"  # bundle leaves driver files out: planted by hand
# ... once more under a name with a control byte and a byte that is not UTF-8: the JUnit XML must still parse
cp "$root/drv/libcuda.so.580.65.06" "$tmp/bad/drv/libcuda.so.580.65.06$(printf '\001\377')"
delete_inside "$tmp/bad" usr/lib/x86_64-linux-gnu/libc.so.6 lib/x86_64-linux-gnu/libc.so.6  # never the host's, through a link
"$cuslim" verify --json --junit "$tmp/bad.xml" "$tmp/bad" > "$tmp/bad.json"; rc=$?
check "verify fails the bad bundle (exit 1)" '[ $rc = 1 ]'
detail() { python3 -c "import json,sys;d=json.load(open('$tmp/bad.json'));print([c for c in d['checks'] if c['name']=='$1'][0]['detail'])"; }
check "negative: nvcc inside is named ($(detail no-toolkit-files | cut -c1-80))" 'detail no-toolkit-files | grep -q "/usr/local/cuda/bin/nvcc"'
check "negative: libcuda inside is named" 'detail no-driver-files | grep -q "/drv/libcuda.so.580.65.06"'
check "negative: an unresolved DT_NEEDED is named (libc.so.6 of the fixture)" 'detail needed-resolve | grep -q "fixture needs libc.so.6"'
check "negative: the wrong-machine libw.so leaves /app's libw.so unresolved" 'detail needed-resolve | grep -q "/app needs libw.so"'
check "JUnit: parses, 1 testsuite, failures counted" 'python3 - "$tmp/bad.xml" "$tmp/bad.json" <<PY
import json, sys, xml.etree.ElementTree as ET
suite = ET.parse(sys.argv[1]).getroot()
report = json.load(open(sys.argv[2]))
fails = sum(c["status"] == "fail" for c in report["checks"])
assert suite.tag == "testsuite" and int(suite.get("failures")) == fails >= 3, (suite.attrib, fails)
assert len(suite.findall("testcase")) == len(report["checks"])
assert all(tc.find("failure") is not None for tc in suite.findall("testcase") if tc.get("name") in ("no-toolkit-files", "no-driver-files", "needed-resolve"))
drv = [tc.find("failure").get("message") for tc in suite.findall("testcase") if tc.get("name") == "no-driver-files"][0]
assert "libcuda.so.580.65.06" + chr(92) + "x01" + chr(0xfffd) in drv, drv  # the control byte as text, the non-UTF-8 byte as U+FFFD
PY'
# A library shipped whole in a dir the image's loader entry lists (an --include beside what the
# closure loads) is in the image's ld.so.cache under its soname, as ldconfig would put it: a
# dlopen by name on a cold path finds it (numba-cuda finds libnvvm so).
mkdir -p "$tmp/sd"
echo 'int bar(void) { return 1; }' > "$tmp/sd/bar.c"; echo 'int foo(void) { return 7; }' > "$tmp/sd/foo.c"
cc -shared -fPIC -Wl,-soname,libbar.so.1 -o "$tmp/sd/libbar.so.1" "$tmp/sd/bar.c"
cc -shared -fPIC -Wl,-soname,libfoo.so.1 -o "$tmp/sd/libfoo.so.1.2" "$tmp/sd/foo.c"; ln -s libfoo.so.1.2 "$tmp/sd/libfoo.so.1"
cat > "$tmp/sd/cold.c" <<'C'
#include <dlfcn.h>
#include <stdio.h>
int bar(void);
int main(int argc, char** argv) {
  if (argc < 2) return bar() == 1 ? 0 : 1;
  void* h = dlopen("libfoo.so.1", RTLD_NOW);
  if (!h) { printf("no libfoo: %s\n", dlerror()); return 3; }
  printf("foo=%d\n", ((int (*)(void))dlsym(h, "foo"))());
  return 0;
}
C
cc -o "$tmp/sd/cold" "$tmp/sd/cold.c" -L"$tmp/sd" -l:libbar.so.1 -ldl
"$cuslim" bundle -q "$tmp/sd/cold" --ld-library-path "$tmp/sd" --include "$tmp/sd/libfoo.so.1" -o "$tmp/sd-img" --format dir 2> "$tmp/sd.err"; rc=$?
out=$("$cuslim" run --gpu off "$tmp/sd-img" -- "$tmp/sd/cold" cold 2>&1); rrc=$?
check "a library --include'd into a dir the loader entry lists is in the image's ld.so.cache: a dlopen by name finds it ($rc/$rrc: $out)" \
  '[ $rc = 0 ] && [ $rrc = 0 ] && [ "$out" = "foo=7" ] && strings "$tmp/sd-img/etc/ld.so.cache" | grep -qx "$tmp/sd/libfoo.so.1"' || cat "$tmp/sd.err"
"$cuslim" slim "$tmp/sd-img" --target "$tmp/sd/cold" --keep "$tmp/sd/libfoo.so*" -o "$tmp/sd-slim" --format dir -q 2> "$tmp/sd.err"; rc=$?
out=$("$cuslim" run --gpu off "$tmp/sd-slim" -- "$tmp/sd/cold" cold 2>&1); rrc=$?
check "... and in a slimmed image that keeps it ($rc/$rrc: $out)" '[ $rc = 0 ] && [ $rrc = 0 ] && [ "$out" = "foo=7" ]' || cat "$tmp/sd.err"
# DT_RPATH is inherited: an extension's RPATH dir serves the libraries it loads (scipy's _fblas
# brings libgfortran, whose libquadmath sits in that dir too). verify judges such a need where the
# library is loaded, not as if it were loaded alone; a need nothing meets still fails.
mkdir -p "$tmp/rp/pkg/ext" "$tmp/rp/pkg/libs"
echo 'int q(void) { return 5; }' > "$tmp/rp/q.c"; echo 'int q(void); int g(void) { return q(); }' > "$tmp/rp/g.c"; echo 'int g(void); int ext(void) { return g(); }' > "$tmp/rp/e.c"
cc -shared -fPIC -Wl,-soname,libq.so.1 -o "$tmp/rp/pkg/libs/libq.so.1" "$tmp/rp/q.c"
cc -shared -fPIC -Wl,-soname,libg.so.1 -o "$tmp/rp/pkg/libs/libg.so.1" "$tmp/rp/g.c" -L"$tmp/rp/pkg/libs" -l:libq.so.1
cc -shared -fPIC -o "$tmp/rp/pkg/ext/ext.so" "$tmp/rp/e.c" -L"$tmp/rp/pkg/libs" -l:libg.so.1 -Wl,--disable-new-dtags,-rpath,'$ORIGIN/../libs'
"$cuslim" bundle -q --include "$tmp/rp/pkg" -o "$tmp/rp-img" --format dir 2> /dev/null
"$cuslim" verify --json "$tmp/rp-img" > "$tmp/rp.json" 2>&1
st=$(python3 -c 'import json,sys; print([c["status"] + " " + c["detail"][:200] for c in json.load(open(sys.argv[1]))["checks"] if c["name"] == "needed-resolve"][0])' "$tmp/rp.json")
check "a library whose need is met through its loader's DT_RPATH: needed-resolve passes ($st)" '[[ "$st" == pass* ]]'
rm "$tmp/rp-img$tmp/rp/pkg/libs/libq.so.1"
"$cuslim" verify --json "$tmp/rp-img" > "$tmp/rp.json" 2>&1
st=$(python3 -c 'import json,sys; print([c["status"] + " " + c["detail"][:200] for c in json.load(open(sys.argv[1]))["checks"] if c["name"] == "needed-resolve"][0])' "$tmp/rp.json")
check "... and with that library gone from the image it fails naming it ($st)" '[[ "$st" == fail*"needs libq.so.1"* ]]'
# A rootfs output carries no image config: what the user gave it is said, not dropped in silence.
"$cuslim" bundle -q "$tmp/fixture" --env FOO=1 -o "$tmp/cfg.tar" 2> "$tmp/cfg.err"; rc=$?
check "bundle --env FOO=1 -o a tar: a warning says the rootfs output carries no config, naming FOO ($rc)" '[ $rc = 0 ] && grep -q "a rootfs output carries no image config, so this is not in it: Env FOO" "$tmp/cfg.err"'
"$cuslim" bundle -q "$tmp/fixture" -o "$tmp/cfg2.tar" 2> "$tmp/cfg.err"; rc=$?
check "... a plain bundle to a tar: no such warning ($rc)" '[ $rc = 0 ] && ! grep -q "carries no image config" "$tmp/cfg.err"'
# A toolkit program named as the target is what the user asked for: it ships (with the warning that
# names it) and verify fails the image for it -- never an exit 0 with an image that lacks it.
troot="$tmp/troot"; mkdir -p "$troot/usr/local/cuda/bin" "$troot/lib64" "$troot/lib/x86_64-linux-gnu"
cp -L /lib64/ld-linux-x86-64.so.2 "$troot/lib64/"; cp -L /lib/x86_64-linux-gnu/libc.so.6 "$troot/lib/x86_64-linux-gnu/"
echo 'int main(void){return 0;}' > "$tmp/tk.c"; cc -o "$troot/usr/local/cuda/bin/nvcc" "$tmp/tk.c"
"$cuslim" bundle --root "$troot" /usr/local/cuda/bin/nvcc -o "$tmp/tk-img" --format dir > "$tmp/tk.out" 2> "$tmp/tk.err"; rc=$?
check "bundle of a toolkit target: exit 0, it ships, the warning names it ($rc: $(grep toolkit "$tmp/tk.err" | head -c 200))" \
  '[ $rc = 0 ] && [ -x "$tmp/tk-img/usr/local/cuda/bin/nvcc" ] && grep -q "toolkit-class file(s) packed.*/usr/local/cuda/bin/nvcc" "$tmp/tk.err"'
"$cuslim" verify --json "$tmp/tk-img" > "$tmp/tk.json"; rc=$?
check "... and verify fails it on no-toolkit-files ($rc)" \
  '[ $rc = 1 ] && python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert [c for c in d[\"checks\"] if c[\"name\"]==\"no-toolkit-files\"][0][\"status\"]==\"fail\"" "$tmp/tk.json"'

finish
