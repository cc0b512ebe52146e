#!/usr/bin/env bash
# CUDA forward compatibility without a GPU. A source root holds a CUDA 13.0 program (a libcudart
# 13.0.96 and an app that dlopens libcuda.so.1 and prints which one it got), glibc, the CUDA 13.0
# cuda-compat set (libcuda 580.65.06 whose .note.cuda.fwd_compatibility lists branches
# 535..580, as NVIDIA's does) and a set whose note leaves out 535. Fake host drivers 535, 580
# and 590 live in --driver-root dirs. Checked: the class, bundle --forward-compat auto/always/
# never with --min-driver, slim keeping the set (and dropping a host driver library), verify's
# verdicts for 535/570/580/470 with and without the set, and which libcuda `cuslim run` gives
# the program (the real loader inside the sandbox says) for each driver.
# Fixtures are generated here (compat_fixtures.sh); exit 77 without root (the sandbox) or cc.
set -u
cuslim=$(readlink -f "$1")
[ "$(id -u)" = 0 ] || { echo "skip: the run checks need root for the sandbox"; exit 77; }
command -v cc >/dev/null || { echo "skip: no C compiler for the fixtures"; exit 77; }
# Not under /tmp: the sandbox mounts a fresh tmpfs there.
tmp=$(mktemp -d /var/tmp/cuslim-fc-XXXXXX); chmod 755 "$tmp"; trap 'rm -rf "$tmp"' EXIT
here=$(dirname "$0")
source "$here/check_lib.sh"
source "$here/compat_fixtures.sh"

note13='{"format":1,"CUDA version":"13.0","driver":[535,550,565,570,575,580],"device":[1,2,7,8,9,10,11,12,13,14]}'
src=$tmp/src
compat=/usr/local/cuda-13.0/compat

# --- fixtures: the source root ------------------------------------------------------------------
mkdir -p "$tmp/build" "$src/usr/local/cuda-13.0/lib64" "$src/app"
echo 'int cudaRuntimeGetVersion(int* v) { *v = 13000; return 0; }' > "$tmp/build/cudart.c"
must "libcudart fixture" cc -shared -fPIC -Wl,-soname,libcudart.so.13 -o "$src/usr/local/cuda-13.0/lib64/libcudart.so.13.0.96" "$tmp/build/cudart.c"
ln -s libcudart.so.13.0.96 "$src/usr/local/cuda-13.0/lib64/libcudart.so.13"
ln -s libcudart.so.13 "$tmp/build/libcudart.so"; cp "$src/usr/local/cuda-13.0/lib64/libcudart.so.13.0.96" "$tmp/build/libcudart.so.13"
cat > "$tmp/build/app.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
int cudaRuntimeGetVersion(int*);
int main(int argc, char** argv) {
  int v = 0;
  cudaRuntimeGetVersion(&v);
  void* h = dlopen(argc > 1 ? argv[1] : "libcuda.so.1", RTLD_NOW);
  if (!h) { printf("runtime %d, no libcuda: %s\n", v, dlerror()); return 3; }
  const char* (*which)(void) = (const char* (*)(void))dlsym(h, "cuslim_fixture_libcuda");
  struct link_map* lm = 0;
  dlinfo(h, RTLD_DI_LINKMAP, &lm);
  printf("runtime %d, libcuda: %s (%s)\n", v, which ? which() : "?", lm ? lm->l_name : "?");
  return 0;
}
C
must "app fixture" cc -o "$src/app/app" "$tmp/build/app.c" -L"$tmp/build" -lcudart -ldl -Wl,--enable-new-dtags,-rpath,/usr/local/cuda-13.0/lib64
minimal_root "$src" "$src/app/app"
must "cuda-compat 13.0 fixture" compat_set "$src$compat" 580.65.06 "$note13" gpucomp
ln -s cuda-13.0 "$src/usr/local/cuda"
# A second root whose set does not serve branch 535 (its note lists 550..580 only).
cp -a "$src" "$tmp/src-no535"; rm -rf "$tmp/src-no535$compat"
must "cuda-compat fixture without branch 535" compat_set "$tmp/src-no535$compat" 580.65.06 '{"format":1,"CUDA version":"13.0","driver":[550,570,580],"device":[1]}'
must "host driver 535 fixture" driver_root "$tmp/drv535" 535.230.02 '{"format":1,"CUDA version":"12.2","driver":[470,525,535],"device":[1]}'
must "host driver 580 fixture" driver_root "$tmp/drv580" 580.159.04 "$note13"
must "host driver 590 fixture" driver_root "$tmp/drv590" 590.44.01 '{"format":1,"CUDA version":"13.1","driver":[535,550,570,575,580,590],"device":[1]}'

# --- the class ----------------------------------------------------------------------------------
out=$("$cuslim" profiles classify "$compat/libcuda.so.580.65.06" /usr/local/nvidia/lib64/libcuda.so.580.65.06 "$compat/libnvidia-nvvm.so.4")
check "classify: the compat dir's libraries are forward-compat, the same name elsewhere is driver" \
  '[ "$(echo "$out" | awk "{print \$2}" | tr "\n" " ")" = "forward-compat driver forward-compat " ]' || echo "$out"
out=$("$cuslim" inspect --json "$src$compat/libcuda.so.580.65.06")
check "inspect reads the set's note and version" 'echo "$out" | grep -q "\"driver_version\": \"580.65.06\"" && echo "$out" | grep -q "\"CUDA version\": \"13.0\""'

# --- bundle -------------------------------------------------------------------------------------
b() { local out=$1; shift; "$cuslim" bundle -q --root "$src" /app/app -o "$tmp/$out" --format dir --report "$tmp/$out.json" "$@" 2> "$tmp/$out.err"; }
b auto535 --min-driver 535.230.02; rc=$?
check "bundle --min-driver 535 (auto): exit 0" '[ $rc = 0 ]' || cat "$tmp/auto535.err"
check "... ships the cuda-compat set with its links and the /usr/local/cuda link" \
  '[ -f "$tmp/auto535$compat/libcuda.so.580.65.06" ] && [ -L "$tmp/auto535$compat/libcuda.so.1" ] && [ -f "$tmp/auto535$compat/libnvidia-ptxjitcompiler.so.580.65.06" ] && [ -L "$tmp/auto535/usr/local/cuda" ]'
check "... with the hook's loader entry (/etc/ld.so.conf.d/01-cuda-compat-cuslim.conf -> $compat)" 'grep -qx "$compat" "$tmp/auto535/etc/ld.so.conf.d/01-cuda-compat-cuslim.conf"'
check "... and the set's libcuda.so.1 in the image's ld.so.cache" 'strings "$tmp/auto535/etc/ld.so.cache" | grep -qx "$compat/libcuda.so.1"'
check "... the report lists it under its own class and names the package" \
  'python3 -c "import json,sys; r=json.load(open(sys.argv[1])); f=r[\"forward_compat\"][0]; assert r[\"bytes_by_class\"][\"forward-compat\"] > 0 and f[\"package\"] == \"cuda-compat-13-0\" and f[\"version\"] == \"580.65.06\" and 535 in f[\"branches\"] and f[\"branches_from_note\"]" "$tmp/auto535.json"'
check "... not left to the host driver, and not on the image's LD_LIBRARY_PATH" \
  'python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert not any(\"compat\" in p for p in r[\"left_to_host_driver\"])" "$tmp/auto535.json" && ! grep -rqs "compat" "$tmp/auto535/etc/ld.so.conf.d/cuslim.conf"'
check "... the report's group for the set gives the set's reason" \
  'python3 -c "import json,sys; r=json.load(open(sys.argv[1])); g=[g[\"reason\"] for g in r[\"groups\"] if g[\"class\"] == \"forward-compat\"]; assert g and all(x.startswith(\"forward-compat set cuda-compat-13-0 580.65.06: driver 535.230.02\") for x in g), g" "$tmp/auto535.json"'
# Under the NVIDIA toolkit the image's cache is rebuilt at start from its ld.so.conf.d, with the
# injected host driver's dir in 00-nvcr-*.conf; the hook adds 00-compat-*.conf only when it picks
# the set. The real ldconfig and loader say which libcuda the program then gets.
toolkit_start() {  # image-dir driver-fixture [hook-enables-set]
  local img=$tmp/tk-$(basename "$2")${3:-}
  rm -rf "$img"; cp -a "$tmp/$1" "$img"
  mkdir -p "$img/usr/lib/x86_64-linux-gnu"; cp -a "$2/usr/local/nvidia/lib64/." "$img/usr/lib/x86_64-linux-gnu/"
  [ -f "$img/etc/ld.so.conf" ] || echo 'include /etc/ld.so.conf.d/*.conf' > "$img/etc/ld.so.conf"
  echo /usr/lib/x86_64-linux-gnu > "$img/etc/ld.so.conf.d/00-nvcr-1234.conf"
  [ -z "${3:-}" ] || echo /usr/local/cuda/compat > "$img/etc/ld.so.conf.d/00-compat-5678.conf"
  ldconfig -r "$img" && chroot "$img" /app/app
}
out=$(toolkit_start auto535 "$tmp/drv590" 2>&1)
check "under the toolkit on a newer driver (590, the hook declines the set): the host's libcuda, not the baked entry's ($out)" \
  'case "$out" in *"libcuda: host 590.44.01"*) true;; *) false;; esac'
out=$(toolkit_start auto535 "$tmp/drv535" hook 2>&1)
check "under the toolkit on driver 535 (the hook enables the set): the set's libcuda ($out)" \
  'case "$out" in *"libcuda: compat 580.65.06"*) true;; *) false;; esac'
b auto580 --min-driver 580.159.04
check "bundle --min-driver 580 (auto): no set (580 runs CUDA 13.0 itself), no entry" '[ ! -e "$tmp/auto580$compat" ] && [ ! -e "$tmp/auto580/etc/ld.so.conf.d/01-cuda-compat-cuslim.conf" ]'
b auto
check "bundle without a driver named (auto): no set" '[ ! -e "$tmp/auto$compat" ]'
b auto470 --min-driver 470.256.02; rc=$?
check "bundle --min-driver 470 (auto): no set; the warning says no cuda-compat package serves branch 470 (none is advised)" \
  '[ $rc = 0 ] && [ ! -e "$tmp/auto470$compat" ] && grep -q "no cuda-compat package serves driver branch 470" "$tmp/auto470.err" && ! grep -q "needs cuda-compat" "$tmp/auto470.err"'
check "bundle --min-driver 535: the set lacks the libnvidia-gpucomp.so.580.65.06 its libcuda loads: warned, not left to the host driver" \
  'grep -q "lacks libnvidia-gpucomp.so.580.65.06, which its libcuda loads" "$tmp/auto535.err" && python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert not any(\"gpucomp\" in p for p in r[\"left_to_host_driver\"]), r[\"left_to_host_driver\"]" "$tmp/auto535.json"'
"$cuslim" bundle -q --root "$src" /app/app -o "$tmp/badmin" --min-driver 575.51.x 2> "$tmp/badmin.err"; rc=$?
check "bundle --min-driver 575.51.x: exit 2 naming --min-driver" '[ $rc = 2 ] && grep -q -- "--min-driver: .575.51.x. is not a driver version" "$tmp/badmin.err"' || cat "$tmp/badmin.err"
b always --forward-compat always
check "bundle --forward-compat always: the set ships without a driver named" '[ -f "$tmp/always$compat/libcuda.so.580.65.06" ] && grep -q "always" "$tmp/always.json"'
b always560 --forward-compat always --min-driver 560.35.03; rc=$?
check "bundle --forward-compat always --min-driver 560: the set ships, and a warning says it does not serve 560" \
  '[ $rc = 0 ] && [ -f "$tmp/always560$compat/libcuda.so.580.65.06" ] && grep -q "560.35.03 .*is older than CUDA 13.0 needs .*, and the set shipped does not serve it: .*does not serve branch 560.*verify will fail it on that driver" "$tmp/always560.err"' || cat "$tmp/always560.err"
check "bundle --forward-compat always --min-driver 535 (served): no such warning" '! grep -q "does not serve it" "$tmp/auto535.err"'
b never --forward-compat never --min-driver 535.230.02 --include "$compat"
check "bundle --forward-compat never: not even an --include'd set ships, and it says so" \
  '[ ! -e "$tmp/never$compat/libcuda.so.580.65.06" ] && grep -q "left out (--forward-compat never)" "$tmp/never.err"'
check "... and warns that the driver named (535) cannot run it without one" 'grep -q "with --forward-compat never the image carries no cuda-compat-13-0; verify will fail it" "$tmp/never.err"'
"$cuslim" bundle -q --root "$src" /app/app -o "$tmp/auto535-oci" --min-driver 535.230.02 2> /dev/null
req=$(python3 -c "import json,sys; d=sys.argv[1]; b=lambda h: json.load(open(d+'/blobs/sha256/'+h[7:])); m=b(json.load(open(d+'/index.json'))['manifests'][0]['digest']); print([e for e in b(m['config']['digest'])['config']['Env'] if e.startswith('NVIDIA_REQUIRE_CUDA=')][0])" "$tmp/auto535-oci")
check "the image with the set admits the branches it serves in NVIDIA_REQUIRE_CUDA ($req)" \
  '[[ "$req" == "NVIDIA_REQUIRE_CUDA=cuda>=13.0 "* ]] && [[ "$req" == *" driver>=535,driver<536"* ]] && [[ "$req" != *"driver>=580,driver<581"* ]]'
"$cuslim" bundle -q --root "$src" /app/app -o "$tmp/auto580-oci" --min-driver 580.159.04 2> /dev/null
req=$(python3 -c "import json,sys; d=sys.argv[1]; b=lambda h: json.load(open(d+'/blobs/sha256/'+h[7:])); m=b(json.load(open(d+'/index.json'))['manifests'][0]['digest']); print([e for e in b(m['config']['digest'])['config']['Env'] if e.startswith('NVIDIA_REQUIRE_CUDA=')][0])" "$tmp/auto580-oci")
check "without a set: NVIDIA_REQUIRE_CUDA=cuda>=13.0 alone ($req)" '[ "$req" = "NVIDIA_REQUIRE_CUDA=cuda>=13.0" ]'
mkdir -p "$tmp/nocompat"; cp -a "$src/." "$tmp/nocompat/"; rm -rf "$tmp/nocompat/usr/local/cuda-13.0/compat"
# A set older than the runtime's minimum (cuda-compat-12-9, 575.57.08, for a CUDA 13.0 runtime).
mkdir -p "$tmp/old129"; cp -a "$src/." "$tmp/old129/"; rm -rf "$tmp/old129/usr/local/cuda-13.0/compat" "$tmp/old129/usr/local/cuda"
must "cuda-compat 12.9 fixture" compat_set "$tmp/old129/usr/local/cuda-12.9/compat" 575.57.08 '{"format":1,"CUDA version":"12.9","driver":[470,535,550,570],"device":[1]}'
"$cuslim" bundle -q --root "$tmp/old129" /app/app -o "$tmp/old129-img" --format dir --forward-compat always 2> "$tmp/old129.err"; rc=$?
check "bundle --forward-compat always with only a set older than the runtime needs: shipped, and warned that it cannot run CUDA 13.0" \
  '[ $rc = 0 ] && grep -q "is older than CUDA 13.0 needs (580.65.06): it cannot run this runtime on any driver" "$tmp/old129.err"' || cat "$tmp/old129.err"
"$cuslim" bundle -q --root "$tmp/nocompat" /app/app -o "$tmp/none" --format dir --forward-compat always 2> "$tmp/none.err"; rc=$?
check "bundle --forward-compat always without any set in the source: exit 1 naming where it looked" '[ $rc = 1 ] && grep -q "no cuda-compat set in the source root" "$tmp/none.err"'
"$cuslim" bundle -q --root "$tmp/src-no535" /app/app -o "$tmp/no535" --format dir --forward-compat always 2> "$tmp/no535.err"
check "a set whose libcuda names no libnvidia-gpucomp: no warning that it lacks one" '! grep -q "gpucomp" "$tmp/no535.err"' || cat "$tmp/no535.err"

# --- verify: a CUDA 13.0 image against drivers, with and without the set ---------------------------
v() {  # image driver -> "rc forward-compat-status"
  "$cuslim" verify --json --driver-version "$2" "$tmp/$1" > "$tmp/v.json" 2>&1; local rc=$?
  echo "$rc $(python3 -c 'import json,sys; c={x["name"]: x for x in json.load(open(sys.argv[1]))["checks"]}; print(c["forward-compat"]["status"], c["cuda-compat"]["status"])' "$tmp/v.json" 2>/dev/null)"
}
echo "verify verdicts (CUDA 13.0 image; exit, forward-compat, cuda-compat):"
for d in 535.230.02 570.172.08 580.65.06 580.159.04 470.256.02; do
  echo "  driver $d: with cuda-compat-13-0: $(v always $d)   without: $(v auto $d)"
done
check "verify 535 with the set: passes" '[ "$(v always 535.230.02)" = "0 pass pass" ]'
check "verify 535 without the set: fails naming cuda-compat-13-0" '[ "$(v auto 535.230.02)" = "1 fail fail" ] && grep -q "needs cuda-compat-13-0" "$tmp/v.json"'
check "... and warns that forward compat works only on data-center GPUs" 'grep -q "data-center GPUs" "$tmp/v.json"'
check "verify 570 with the set: passes, with the data-center warning" '[ "$(v always 570.172.08)" = "0 pass pass" ] && grep -q "data-center GPUs" "$tmp/v.json"'
check "verify 570 without the set: fails" '[ "$(v auto 570.172.08)" = "1 fail fail" ]'
check "verify 580.159.04 with the set: passes, the set not needed (host driver used)" '[ "$(v always 580.159.04)" = "0 pass pass" ] && grep -q "using the host driver" "$tmp/v.json"'
check "verify 580.159.04 without the set: passes (nothing to check)" '[ "$(v auto 580.159.04)" = "0 skip pass" ]'
cp -a "$src" "$tmp/src-newer"; rm -rf "$tmp/src-newer$compat"
must "cuda-compat fixture 580.95.05" compat_set "$tmp/src-newer$compat" 580.95.05 "$note13"
"$cuslim" bundle -q --root "$tmp/src-newer" /app/app -o "$tmp/newer" --format dir --forward-compat always 2>/dev/null
check "verify 580.65.06 with a 580.95.05 set: passes (the driver runs CUDA 13.0), but the hook still picks the set: the data-center warning" \
  '[ "$(v newer 580.65.06)" = "0 pass pass" ] && grep -q "would still pick it" "$tmp/v.json" && grep -q "data-center GPUs" "$tmp/v.json"'
check "verify 525 without the set: fails, saying no cuda-compat package serves branch 525 (none advised)" \
  '[ "$(v auto 525.60.13)" = "1 fail fail" ] && grep -q "no cuda-compat package serves driver branch 525" "$tmp/v.json" && ! grep -q "needs cuda-compat" "$tmp/v.json"'
check "verify 580.65.05 (branch 580, older than 13.0's 580.65.06) without the set: fails naming cuda-compat-13-0 or a newer 580" \
  '[ "$(v auto 580.65.05)" = "1 fail fail" ] && grep -q "needs cuda-compat-13-0 (its note lists branch 580), or driver 580.65.06 or newer" "$tmp/v.json"'
check "... with the set: passes, met through forward compatibility" '[ "$(v always 580.65.05)" = "0 pass pass" ] && grep -q "met through forward compatibility by the image" "$tmp/v.json"'
check "verify 470 with the set: fails (branch 470 is not listed)" '[ "$(v always 470.256.02)" = "1 fail fail" ] && grep -q "does not serve branch 470" "$tmp/v.json"'
check "verify 535 with a set whose note leaves out 535: fails" '[ "$(v no535 535.230.02)" = "1 fail fail" ]'
check "verify 570 with that set: passes" '[ "$(v no535 570.172.08)" = "0 pass pass" ]'
"$cuslim" verify "$tmp/always" --driver-version 535.230.02 > "$tmp/v.txt" 2>&1
check "verify: the set is not a driver file (no-driver-files passes)" 'grep -q "PASS *no-driver-files" "$tmp/v.txt"' || cat "$tmp/v.txt"

# --- run: the NVIDIA hook's choice, with fake host drivers ---------------------------------------
r() { "$cuslim" run --driver-root "$2" "$tmp/$1" -- /app/app 2> "$tmp/run.err"; }
out=$(r always "$tmp/drv535"); rc=$?
check "run on driver 535 (listed, older than 580.65.06): the image's compat libcuda ($out)" \
  '[ $rc = 0 ] && [ "$out" = "runtime 13000, libcuda: compat 580.65.06 ($compat/libcuda.so.1)" ]' || cat "$tmp/run.err"
check "... and run says so" 'grep -q "forward compat: .*branch 535.*using the compat libraries" "$tmp/run.err"' || cat "$tmp/run.err"
out=$(r always "$tmp/drv580"); rc=$?
check "run on driver 580.159.04 (not older): the host's libcuda ($out)" '[ $rc = 0 ] && case "$out" in *"libcuda: host 580.159.04"*) true;; *) false;; esac'
check "... and run says so" 'grep -q "forward compat: host driver 580.159.04 is not older than .*using the host driver" "$tmp/run.err"' || cat "$tmp/run.err"
out=$("$cuslim" run --driver-root "$tmp/drv580" "$tmp/auto" -- /app/app libcuda.so 2> "$tmp/run.err"); rc=$?
check "run provides the unversioned libcuda.so beside libcuda.so.1, as libnvidia-container does ($out)" \
  '[ $rc = 0 ] && case "$out" in *"libcuda: host 580.159.04 (/usr/lib/x86_64-linux-gnu/libcuda.so)"*) true;; *) false;; esac' || cat "$tmp/run.err"
out=$(r always "$tmp/drv590"); rc=$?
check "run on driver 590 (branch not listed): the host's libcuda ($out)" '[ $rc = 0 ] && case "$out" in *"libcuda: host 590.44.01"*) true;; *) false;; esac && grep -q "branch 590 .* is not listed" "$tmp/run.err"'
out=$("$cuslim" run --gpu off "$tmp/always" -- /app/app 2> "$tmp/run.err"); rc=$?
check "run --gpu off on an image with a set: says the program gets the set (and it does: $out)" \
  '[ $rc = 0 ] && grep -q "forward compat: no host driver injected (--gpu off): the program gets the image.s cuda-compat-13-0" "$tmp/run.err" && case "$out" in *"compat 580.65.06"*) true;; *) false;; esac' || cat "$tmp/run.err"
out=$(r no535 "$tmp/drv535"); rc=$?
check "run on driver 535 with a set that does not list 535: the host's libcuda ($out)" '[ $rc = 0 ] && case "$out" in *"libcuda: host 535.230.02"*) true;; *) false;; esac'
out=$(r auto "$tmp/drv535"); rc=$?
check "run on driver 535 without a set: the host's libcuda, nothing said about compat ($out)" \
  '[ $rc = 0 ] && case "$out" in *"libcuda: host 535.230.02"*) true;; *) false;; esac && ! grep -q "forward compat" "$tmp/run.err"'

# An image whose library dir (where the driver is injected) is a link to a host path: the
# injection follows it inside the image only; the host dir gets no file, no link, no mount.
cp -a "$tmp/auto" "$tmp/evil"; mkdir -p "$tmp/hostlibs"; echo precious > "$tmp/hostlibs/libcuda.so.1"
rm -rf "$tmp/evil/usr/lib/x86_64-linux-gnu"; mkdir -p "$tmp/evil/usr/lib"; ln -s "$tmp/hostlibs" "$tmp/evil/usr/lib/x86_64-linux-gnu"
"$cuslim" run --driver-root "$tmp/drv580" "$tmp/evil" -- /app/app > /dev/null 2> "$tmp/run.err"
check "run of an image whose library dir links to a host dir: the host dir untouched ($(ls -A "$tmp/hostlibs" | tr '\n' ' '))" \
  '[ "$(ls -A "$tmp/hostlibs")" = libcuda.so.1 ] && [ "$(cat "$tmp/hostlibs/libcuda.so.1")" = precious ] && ! grep -q "^ *$tmp/hostlibs" /proc/self/mountinfo'
# --driver-root that is missing or a file: exit 3 naming the option, as --root.
"$cuslim" run --driver-root "$tmp/no-such-driver" "$tmp/auto" -- /app/app > /dev/null 2> "$tmp/run.err"; rc=$?
check "run --driver-root missing: exit 3 naming the option ($rc: $(cat "$tmp/run.err"))" '[ $rc = 3 ] && grep -q "^cuslim: --driver-root: $tmp/no-such-driver: No such file or directory" "$tmp/run.err"'
"$cuslim" run --driver-root "$tmp/hostlibs/libcuda.so.1" "$tmp/auto" -- /app/app > /dev/null 2> "$tmp/run.err"; rc=$?
check "run --driver-root a file: exit 3 naming the option ($rc: $(cat "$tmp/run.err"))" '[ $rc = 3 ] && grep -q "^cuslim: --driver-root: .*: not a directory" "$tmp/run.err"'

# --- an image config: its LD_LIBRARY_PATH must not name where the host driver is injected ----------
# A merged-/usr root (/lib -> usr/lib): its /lib/x86_64-linux-gnu is where the driver is injected.
cp -a "$src" "$tmp/srcm"; mkdir -p "$tmp/srcm/usr/lib"; mv "$tmp/srcm/lib/x86_64-linux-gnu" "$tmp/srcm/usr/lib/"
cp -a "$tmp/srcm/lib/." "$tmp/srcm/usr/lib/" 2>/dev/null; rm -rf "$tmp/srcm/lib"; ln -s usr/lib "$tmp/srcm/lib"
"$cuslim" bundle -q --root "$tmp/srcm" /app/app -o "$tmp/oci535" --min-driver 535.230.02 2> "$tmp/oci535.err"; rc=$?
env_of() { python3 -c "import json,sys; d=sys.argv[1]; m=json.load(open(d+'/index.json'))['manifests'][0]['digest'][7:]; c=json.load(open(d+'/blobs/sha256/'+m))['config']['digest'][7:]; print(' '.join(json.load(open(d+'/blobs/sha256/'+c))['config'].get('Env', [])))" "$1"; }
llp=$(env_of "$tmp/oci535" | tr ' ' '\n' | grep '^LD_LIBRARY_PATH=')
check "bundle (OCI, merged /usr) with a set: the driver dir left out of LD_LIBRARY_PATH, and said (${llp:-no LD_LIBRARY_PATH})" \
  '[ $rc = 0 ] && ! echo "$llp" | grep -Eq "(^LD_LIBRARY_PATH=|:)(/usr)?/lib/x86_64-linux-gnu(:|$)" && grep -q "left out (the host driver is injected there" "$tmp/oci535.err"' || cat "$tmp/oci535.err"
out=$(r oci535 "$tmp/drv535"); rc=$?
check "... run on driver 535 loads the set from the OCI image ($out)" '[ $rc = 0 ] && [ "$out" = "runtime 13000, libcuda: compat 580.65.06 ($compat/libcuda.so.1)" ]' || cat "$tmp/run.err"
check "... verify on 535 passes forward-compat" '[ "$(v oci535 535.230.02)" = "0 pass pass" ]'
"$cuslim" bundle -q --root "$src" /app/app -o "$tmp/ocihide" --min-driver 535.230.02 --env LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu 2> /dev/null
check "an image whose LD_LIBRARY_PATH names the driver dir (--env): verify on 535 fails forward-compat, the set is never used ($(v ocihide 535.230.02))" \
  '[ "$(v ocihide 535.230.02)" = "1 fail pass" ] && grep -q "so the set is never used" "$tmp/v.json"'
"$cuslim" bundle -q --root "$src" /app/app -o "$tmp/ocihide64" --min-driver 535.230.02 --env LD_LIBRARY_PATH=/usr/local/nvidia/lib64 2> /dev/null
check "... as does one whose LD_LIBRARY_PATH names /usr/local/nvidia/lib64 (where GKE-style hosts put the driver) ($(v ocihide64 535.230.02))" \
  '[ "$(v ocihide64 535.230.02)" = "1 fail pass" ] && grep -q "/usr/local/nvidia/lib64" "$tmp/v.json"'
check "... on 580 it passes (the host driver runs it)" '[ "$(v ocihide 580.159.04 | cut -d" " -f1)" = 0 ]'
out=$(r ocihide "$tmp/drv535"); rc=$?
check "... run on 535 says the host libcuda loads, and it does ($out)" \
  '[ $rc = 0 ] && case "$out" in *"libcuda: host 535.230.02"*) true;; *) false;; esac && grep -q "the program loads the host.s libcuda.so.1 from there" "$tmp/run.err"' || cat "$tmp/run.err"

# --- the hook looks only in /usr/local/cuda/compat ------------------------------------------------
# A source whose /usr/local/cuda link is missing: the set ships under /usr/local/cuda-13.0/compat,
# and the image gets the link NVIDIA's hook needs (else the toolkit would load the host's libcuda).
cp -a "$src" "$tmp/nolink"; rm "$tmp/nolink/usr/local/cuda"
"$cuslim" bundle -q --root "$tmp/nolink" /app/app -o "$tmp/nolink-img" --format dir --min-driver 535.230.02 2> "$tmp/nolink.err"; rc=$?
check "bundle of a set at /usr/local/cuda-13.0/compat with no /usr/local/cuda link in the source: the image gets /usr/local/cuda -> cuda-13.0 ($(readlink "$tmp/nolink-img/usr/local/cuda"))" \
  '[ $rc = 0 ] && [ "$(readlink "$tmp/nolink-img/usr/local/cuda")" = cuda-13.0 ] && [ -f "$tmp/nolink-img/usr/local/cuda/compat/libcuda.so.580.65.06" ]' || cat "$tmp/nolink.err"
check "... verify on 535 passes it" '[ "$(v nolink-img 535.230.02)" = "0 pass pass" ]'
out=$(r nolink-img "$tmp/drv535"); rc=$?
check "... run on 535 gives the program the set ($out)" '[ $rc = 0 ] && [ "$out" = "runtime 13000, libcuda: compat 580.65.06 ($compat/libcuda.so.1)" ]' || cat "$tmp/run.err"
# The same image without the link (as another tool might write it): the hook never sees the set.
cp -a "$tmp/nolink-img" "$tmp/unlinked"; rm "$tmp/unlinked/usr/local/cuda"
check "an image whose set is not at /usr/local/cuda/compat: verify on 535 fails forward-compat, naming where the hook looks ($(v unlinked 535.230.02))" \
  '[ "$(v unlinked 535.230.02)" = "1 fail pass" ] && grep -q "is not at /usr/local/cuda/compat (nothing there), the only place NVIDIA.s hook" "$tmp/v.json"'
out=$(r unlinked "$tmp/drv535"); rc=$?
check "... run on 535 says the hook cannot see it and the host libcuda loads, and it does ($out)" \
  '[ $rc = 0 ] && case "$out" in *"libcuda: host 535.230.02"*) true;; *) false;; esac && grep -q "is not at /usr/local/cuda/compat, the only place NVIDIA.s hook looks: using the host driver" "$tmp/run.err"' || cat "$tmp/run.err"
# A source whose /usr/local/cuda names another CUDA that ships (the image needs its files there):
# the link is not free to move, and bundle says what that means.
cp -a "$tmp/nolink" "$tmp/other"; mkdir -p "$tmp/other/usr/local/cuda-12.9"; echo '{"cuda":"12.9"}' > "$tmp/other/usr/local/cuda-12.9/version.json"
ln -s cuda-12.9 "$tmp/other/usr/local/cuda"
"$cuslim" bundle -q --root "$tmp/other" /app/app -o "$tmp/other-img" --format dir --min-driver 535.230.02 --include /usr/local/cuda/version.json 2> "$tmp/other.err"; rc=$?
check "bundle where the image's /usr/local/cuda names another CUDA: the link kept, and a warning says the toolkit would load the host driver" \
  '[ $rc = 0 ] && [ "$(readlink "$tmp/other-img/usr/local/cuda")" = cuda-12.9 ] && grep -q "is not at /usr/local/cuda/compat, the only place NVIDIA.s hook (enable-cuda-compat) looks.*host driver loads instead" "$tmp/other.err"' || cat "$tmp/other.err"
check "... and verify on 535 fails it, saying what /usr/local/cuda/compat is there" \
  '[ "$(v other-img 535.230.02)" = "1 fail pass" ] && grep -q "is not at /usr/local/cuda/compat (nothing there)" "$tmp/v.json"'

# --- a note that is not what NVIDIA writes: its bad parts said, never taken as branches ---------
for case in "badlist|{\"format\":1,\"CUDA version\":\"13.0\",\"driver\":[535.5,-1,570]}|lists 535.5, -1 among the driver branches (left out)|lists 570;" \
            "notjson|{\"format\":1|is not JSON|branches 535, 550, 565, 570, 575 from the compat table"; do
  IFS='|' read -r name note said branches <<< "$case"
  cp -a "$tmp/nocompat" "$tmp/note-$name"
  must "a set whose note is $name" compat_set "$tmp/note-$name$compat" 580.65.06 "$note"
  "$cuslim" bundle -q --root "$tmp/note-$name" /app/app -o "$tmp/note-$name-img" --format dir --forward-compat always 2> /dev/null
  "$cuslim" verify --driver-version 535.230.02 "$tmp/note-$name-img" > "$tmp/note.out" 2>&1
  check "a note that $said: verify says so, and serves only $branches" 'grep -q "$said" "$tmp/note.out" && grep -q "$branches" "$tmp/note.out"' || cat "$tmp/note.out"
done

# --- slim: keeps the set (and says so), drops a host driver library --------------------------------
mkdir -p "$tmp/fat"; cp -a "$tmp/always/." "$tmp/fat/"
must "a host driver library in the fat image" fake_driver_lib "$tmp/fat/usr/lib/x86_64-linux-gnu/libcuda.so.580.159.04" libcuda.so.1 "stale host"
mkdir -p "$tmp/fat/opt/junk"; head -c 100000 /dev/urandom > "$tmp/fat/opt/junk/blob"
"$cuslim" slim "$tmp/fat" --target /app/app -o "$tmp/slim" --format dir --report "$tmp/slim.json" > "$tmp/slim.out" 2> "$tmp/slim.err"; rc=$?
check "slim: exit 0" '[ $rc = 0 ]' || cat "$tmp/slim.err"
check "... keeps the whole set, and the /usr/local/cuda link the hook looks through" '[ -L "$tmp/slim/usr/local/cuda" ] && [ -f "$tmp/slim/usr/local/cuda/compat/libcuda.so.580.65.06" ] && [ -f "$tmp/slim$compat/libcuda.so.580.65.06" ] && [ -f "$tmp/slim$compat/libcudadebugger.so.580.65.06" ] && [ -L "$tmp/slim$compat/libnvidia-nvvm.so.4" ]'
check "... and says so" 'grep -q "kept the forward-compat set $compat" "$tmp/slim.err"'
check "... drops the host driver library (and says so)" '[ ! -e "$tmp/slim/usr/lib/x86_64-linux-gnu/libcuda.so.580.159.04" ] && grep -q "libcuda.so.580.159.04: driver library in the input, dropped" "$tmp/slim.err"'
check "... and what the program does not need" '[ ! -e "$tmp/slim/opt/junk/blob" ]'
check "... the report and summary list forward-compat as a class" \
  'grep -q "^  forward-compat" "$tmp/slim.out" && python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r[\"bytes_by_class\"][\"forward-compat\"] > 0 and r[\"before\"][\"forward-compat\"][\"files\"] >= 4" "$tmp/slim.json"' || cat "$tmp/slim.out"
check "... the slimmed image still passes verify on driver 535" '[ "$(v slim 535.230.02)" = "0 pass pass" ]'
finish
