#!/usr/bin/env bash
# cuslim trace and --trace: a fixture app that dlopens its plugin by the first name of a fallback
# list that exists -- bundled without a trace it fails under runc, with the trace it runs; a
# multi-threaded program that forks and execs is traced completely (every thread, every process).
set -u
cuslim=$(readlink -f "$1")
for tool in umoci runc cc; do command -v $tool >/dev/null || { echo "skip: $tool missing"; exit 77; }; done
[ "$(id -u)" = 0 ] || { echo "skip: runc needs root"; exit 77; }
tmp=$(mktemp -d /var/tmp/cuslim-trace-XXXXXX); trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/check_lib.sh"
source "$(dirname "$0")/runc_lib.sh"

# --- a plugin found only through a fallback list ----------------------------------------------
app="$tmp/app"; mkdir -p "$app/plugins"
echo 'const char* plugin(void){return "plugin v1 loaded";}' > "$tmp/p.c"
cc -shared -fPIC -Wl,-soname,libplug.so.1 -o "$app/plugins/libplug.so.1" "$tmp/p.c"
cat > "$tmp/app.c" <<'C'
#include <dlfcn.h>
#include <stdio.h>
int main(void) {
  const char* names[] = {"libplug.so.3", "libplug.so.2", "libplug.so.1"};
  for (int i = 0; i < 3; ++i) {
    void* h = dlopen(names[i], RTLD_NOW);
    if (!h) continue;
    const char* (*fn)(void) = (const char* (*)(void))dlsym(h, "plugin");
    puts(fn());
    return 0;
  }
  puts("no plugin");
  return 1;
}
C
cc -o "$app/app" "$tmp/app.c" -ldl -Wl,--enable-new-dtags,-rpath,'$ORIGIN/plugins'
check "the app finds its plugin on the host" '[ "$("$app/app")" = "plugin v1 loaded" ]'
"$cuslim" trace -o "$tmp/app.trace" -- "$app/app" > /dev/null 2> "$tmp/trace.err"; rc=$?
check "cuslim trace propagates the exit code (0)" '[ $rc = 0 ]'
check "the summary counts the one process the trace holds ($(grep -o "[0-9]* process(es)" "$tmp/trace.err"))" \
  '[ "$(grep -o "[0-9]* process(es)" "$tmp/trace.err")" = "$(grep -o "\"pid\":[0-9]*" "$tmp/app.trace" | sort -u | wc -l) process(es)" ] && grep -q " 1 process(es)" "$tmp/trace.err"'
check "the trace has the plugin and the two names that failed" 'grep -q "libplug.so.1\"" "$tmp/app.trace" && grep -q "asked for, not found:.*libplug.so.2.*libplug.so.3\|asked for, not found:.*libplug.so.3" "$tmp/trace.err"'
"$cuslim" deps --format list "$app/app" | grep -q libplug; rc=$?
check "the static graph does not know the plugin" '[ $rc != 0 ]'
must "bundle without the trace" "$cuslim" bundle -q "$app/app" -o "$tmp/plain" --tag app
out=$(run_image "$tmp/plain" app)
check "without the trace the bundle fails under runc ($out)" '[ "$out" = "no plugin" ]'
must "bundle --trace" "$cuslim" bundle -q "$app/app" --trace "$tmp/app.trace" -o "$tmp/traced" --tag app
out=$(run_image "$tmp/traced" app)
check "with --trace it runs under runc ($out)" '[ "$out" = "plugin v1 loaded" ]'
check "deps --format json is valid JSON and lists the app" '"$cuslim" deps --format json "$app/app" | python3 -c "import json,sys; g=json.load(sys.stdin); assert g"'
check "the traced plugin is in the image's ld.so.cache" 'python3 - "$tmp/traced" <<PY
import json, sys, tarfile, gzip, io
d = sys.argv[1]
i = json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]
m = json.load(open(d + "/blobs/sha256/" + i))
# The generated ld.so.cache is in the top (application) layer: --layers auto puts generated files there.
t = tarfile.open(fileobj=io.BytesIO(gzip.decompress(open(d + "/blobs/sha256/" + m["layers"][-1]["digest"][7:], "rb").read())))
assert b"libplug.so.1" in t.extractfile("etc/ld.so.cache").read()
PY'
cp "$app/app" "$tmp/exit3"; printf 'int main(void){return 3;}' > "$tmp/e.c"; cc -o "$tmp/exit3" "$tmp/e.c"
"$cuslim" trace -q -o "$tmp/e.trace" -- "$tmp/exit3"; rc=$?
check "cuslim trace propagates a failing exit code (3)" '[ $rc = 3 ]'

# --- threads, fork and exec ---------------------------------------------------------------------
for n in A B C; do echo "int f$n(void){return 1;}" > "$tmp/$n.c"; cc -shared -fPIC -o "$tmp/lib$n.so" "$tmp/$n.c"; done
cat > "$tmp/mt.c" <<C
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
static void* load(void* name) { return dlopen((const char*)name, RTLD_NOW); }
int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) return dlopen("$tmp/libC.so", RTLD_NOW) ? 0 : 1;
  pthread_t a, b;
  pthread_create(&a, 0, load, "$tmp/libA.so");
  pthread_create(&b, 0, load, "$tmp/libB.so");
  pthread_join(a, 0); pthread_join(b, 0);
  pid_t pid = fork();
  if (pid == 0) { execl(argv[0], argv[0], "child", (char*)0); _exit(127); }
  int st = 0; waitpid(pid, &st, 0);
  return WEXITSTATUS(st);
}
C
cc -o "$tmp/mt" "$tmp/mt.c" -ldl -pthread
"$cuslim" trace -q -o "$tmp/mt.trace" -- "$tmp/mt"; rc=$?
check "multi-threaded, forking program: exit 0" '[ $rc = 0 ]'
check "both threads' dlopens recorded" 'grep -q "libA.so" "$tmp/mt.trace" && grep -q "libB.so" "$tmp/mt.trace"'
check "the exec'd child's dlopen recorded, from a second process" 'grep -q "libC.so" "$tmp/mt.trace" && [ "$(grep -o "\"pid\":[0-9]*" "$tmp/mt.trace" | sort -u | wc -l)" -ge 2 ]'
check "every trace line is valid JSON" 'python3 -c "import json,sys; [json.loads(l) for l in open(\"$tmp/mt.trace\")]"'
"$cuslim" trace -q --files -o "$tmp/mtf.trace" -- "$tmp/mt"; rc=$?
check "--files: the forking program still exits 0 under ptrace" '[ $rc = 0 ]'
check "--files: opens from both threads and the exec in the child recorded as files" '(for n in libA libB libC; do grep -q "\"event\":\"file\".*$n.so" "$tmp/mtf.trace" || exit 1; done) && [ "$(grep "\"event\":\"file\"" "$tmp/mtf.trace" | grep -c "\"path\":\"$tmp/mt\"")" -ge 1 ]'
# --- a loader probe is not a use: dlopen(RTLD_NOLOAD) opens the candidate its search finds (to
# compare it with what is loaded) and maps nothing; the program then loads another copy by path
# (what CUDA's Python path finders do). Only the mapped copy may ship.
mkdir -p "$tmp/probe-a" "$tmp/probe-b"
echo 'int probe_v(void){return 1;}' > "$tmp/probe.c"
cc -shared -fPIC -Wl,-soname,libprobe.so.1 -o "$tmp/probe-a/libprobe.so.1" "$tmp/probe.c"
head -c 2000000 /dev/urandom >> "$tmp/probe-a/libprobe.so.1"   # the copy that must not ship: big
cc -shared -fPIC -Wl,-soname,libprobe.so.1 -o "$tmp/probe-b/libprobe.so.1" "$tmp/probe.c"
cat > "$tmp/noload.c" <<'C'
#include <dlfcn.h>
#include <stdio.h>
int main(int argc, char** argv) {
  void* h = dlopen("libprobe.so.1", RTLD_NOW | RTLD_NOLOAD);  /* not loaded yet: NULL */
  void* g = dlopen(argv[1], RTLD_NOW);
  printf("noload=%s bypath=%s\n", h ? "loaded" : "null", g ? "loaded" : "failed");
  return g ? 0 : 1;
}
C
cc -o "$tmp/noload" "$tmp/noload.c" -ldl "-Wl,--enable-new-dtags,-rpath,$tmp/probe-a"
must "trace --files a program whose RTLD_NOLOAD probe finds one copy and that loads another by path" \
  "$cuslim" trace -q --files -o "$tmp/noload.trace" -- "$tmp/noload" "$tmp/probe-b/libprobe.so.1"
check "the probed copy was opened (the loader's probe) and never mapped" \
  'grep "\"event\":\"file\"" "$tmp/noload.trace" | grep -q "probe-a/libprobe.so.1" && ! grep "\"event\":\"open\"" "$tmp/noload.trace" | grep -q "probe-a/"'
must "bundle with that trace" "$cuslim" bundle -q "$tmp/noload" --trace "$tmp/noload.trace" -o "$tmp/noload-root" --format dir
check "the mapped copy ships, the probed one does not" '[ -f "$tmp/noload-root$tmp/probe-b/libprobe.so.1" ] && [ ! -e "$tmp/noload-root$tmp/probe-a/libprobe.so.1" ]'
# ... and a library loaded by a relative path (dlopen("./x.so") from its directory) is a use
cat > "$tmp/rel.c" <<'C'
#include <dlfcn.h>
int main(void) { return dlopen("./libprobe.so.1", RTLD_NOW) ? 0 : 1; }
C
cc -o "$tmp/rel" "$tmp/rel.c" -ldl
must "trace --files a program that dlopens ./libprobe.so.1 from its working directory" \
  sh -c "cd '$tmp/probe-b' && '$cuslim' trace -q --files -o '$tmp/rel.trace' -- '$tmp/rel'"
check "the open is recorded with its absolute path" 'grep "\"event\":\"open\"" "$tmp/rel.trace" | grep -q "\"path\":\"$tmp/probe-b/libprobe.so.1\""'
must "bundle with that trace" "$cuslim" bundle -q "$tmp/rel" --trace "$tmp/rel.trace" -o "$tmp/rel-root" --format dir
check "the library loaded by a relative path ships" '[ -f "$tmp/rel-root$tmp/probe-b/libprobe.so.1" ]'
# --- a Python script with C extensions: slim --trace keeps what the run mapped ---------------------
py=/usr/bin/python3
if [ -x "$py" ]; then
  pyver=$("$py" -c 'import sys;print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
  script='import json, ssl, zlib; print(json.dumps({"ssl": ssl.OPENSSL_VERSION.split()[0], "zlib": zlib.ZLIB_VERSION}))'
  want=$("$py" -c "$script")
  must "bundle the Python image" "$cuslim" bundle -q "$py" --include "/usr/lib/python$pyver" -o "$tmp/py" --tag py
  must "trace the script" "$cuslim" trace -q -o "$tmp/py.trace" -- "$py" -c "$script" >/dev/null
  must "slim --trace" "$cuslim" slim "$tmp/py" --from-tag py -o "$tmp/py-slim" --tag slim --trace "$tmp/py.trace" \
      --keep "/usr/lib/python$pyver/*.py" --keep "/usr/lib/python$pyver/json/*" > "$tmp/py.report"
  head -1 "$tmp/py.report"
  out=$(run_image "$tmp/py-slim" slim "$py" -c "$script")
  check "slim --trace: the slimmed Python image prints the same ($out)" '[ "$out" = "$want" ]'
  check "the traced C extensions (_ssl, _json) are in the slimmed image" 'python3 - "$tmp/py-slim" <<PY
import json, sys, tarfile
d = sys.argv[1]
i = json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]
m = json.load(open(d + "/blobs/sha256/" + i))
names = [n for l in m["layers"] for n in tarfile.open(d + "/blobs/sha256/" + l["digest"][7:]).getnames()]  # every layer
assert any("_ssl.cpython" in n for n in names) and any("_json.cpython" in n for n in names), "missing"
PY'
  must "slim --probe" "$cuslim" slim -q "$tmp/py" --from-tag py -o "$tmp/py-probe" --tag slim --probe \
      --keep "/usr/lib/python$pyver/*.py" --keep "/usr/lib/python$pyver/json/*" -- "$py" -c "$script" > /dev/null
  out=$(run_image "$tmp/py-probe" slim "$py" -c "$script")
  check "slim --probe (the script run in the sandbox under trace): same output under runc ($out)" '[ "$out" = "$want" ]'
  must "trace --files" "$cuslim" trace -q --files -o "$tmp/pyf.trace" -- "$py" -c "$script" > /dev/null
  check "--files records the pure-Python modules (json/__init__.py)" 'grep -q "python$pyver/json/__init__.py" "$tmp/pyf.trace"'
  must "slim with a --files trace" "$cuslim" slim -q "$tmp/py" --from-tag py -o "$tmp/py-files" --tag slim --trace "$tmp/pyf.trace" --no-keep-set
  out=$(run_image "$tmp/py-files" slim "$py" -c "$script")
  check "slim with a --files trace alone (no --keep): same output under runc ($out)" '[ "$out" = "$want" ]'
  must "slim without a trace" "$cuslim" slim -q "$tmp/py" --from-tag py -o "$tmp/py-notrace" --tag slim --keep "/usr/lib/python$pyver/*.py" --keep "/usr/lib/python$pyver/json/*"
  out=$(run_image "$tmp/py-notrace" slim "$py" -c "$script")
  check "without the trace the C extensions are missing and the script fails" '[ "$out" != "$want" ]'
else
  echo "skip: no /usr/bin/python3 for the Python case"
fi
# --- what a trace never holds: its own file, the vDSO, exec attempts that failed ----------------
mkdir -p "$tmp/cwd" && cp "$(readlink -f /lib/x86_64-linux-gnu/libz.so.1 2>/dev/null || echo /bin/true)" "$tmp/cwd/linux-vdso.so.1"
(cd "$tmp/cwd" && PATH="$tmp/nowhere:/usr/bin:/bin" "$cuslim" trace -q --files -o own.trace -- sh -c 'true; no-such-command-xyz 2>/dev/null; /bin/true')
check "the trace file itself is not recorded as used" '! grep -q "\"path\":\"$tmp/cwd/own.trace\"" "$tmp/cwd/own.trace"'
check "the vDSO is not recorded as a file of the working directory" '! grep -q "$tmp/cwd/linux-vdso" "$tmp/cwd/own.trace"'
check "exec attempts that failed (along PATH) are not recorded, the ones that ran are" '! grep -q "no-such-command-xyz" "$tmp/cwd/own.trace" && grep -q "\"path\":\"/bin/true\"\|\"path\":\"/usr/bin/true\"" "$tmp/cwd/own.trace"'
check "... nor its temp name" '! grep -q "cuslim-tmp" "$tmp/cwd/own.trace"'
# --- names that are not UTF-8: traced byte-exact (as *_hex), bundled byte-exact -----------------
mkdir -p "$tmp/raw"
raw=$(printf 'raw\xff'); prog=$(printf 'ca\xfet')
echo b > "$tmp/raw/$raw"; cp /bin/cat "$tmp/raw/$prog"
(cd "$tmp/raw" && "$cuslim" trace -q --files -o t.trace -- "./$prog" "$raw" > /dev/null); rc=$?
check "trace --files of a program and a file whose names are not UTF-8 (rc $rc)" '[ $rc = 0 ] && grep -q "\"path_hex\"" "$tmp/raw/t.trace"'
(cd "$tmp/raw" && "$cuslim" trace -q -o loader.trace -- "./$prog" "$raw" > /dev/null)
"$cuslim" bundle -q "$tmp/raw/$prog" --trace "$tmp/raw/t.trace" --trace "$tmp/raw/loader.trace" -o "$tmp/raw-dir" --format dir 2> "$tmp/raw.err"; rc=$?
check "bundle reads both traces and ships the file byte-exact ($(tail -1 "$tmp/raw.err"))" '[ $rc = 0 ] && [ "$(cat "$tmp/raw-dir$tmp/raw/$raw")" = b ] && [ -x "$tmp/raw-dir$tmp/raw/$prog" ]'
# --- SIGTERM to trace: passed on to the program, which ends; its trace is written, no temp left ----
for mode in plain files; do
  mkdir -p "$tmp/sig-$mode"
  flag=(); [ $mode = files ] && flag=(--files)
  marker=$((RANDOM + 100000))
  (cd "$tmp/sig-$mode" && exec "$cuslim" trace -q "${flag[@]}" -o t.trace -- /bin/sleep "$marker") & pid=$!
  for _ in $(seq 50); do pgrep -f "^/bin/sleep $marker" > /dev/null && break; sleep 0.1; done  # the program itself, not cuslim's argv
  kill -TERM "$pid"; wait "$pid"; rc=$?
  for _ in $(seq 30); do pgrep -f "^/bin/sleep $marker" > /dev/null || break; sleep 0.1; done
  check "$mode: SIGTERM to trace ends it (rc $rc) and the traced program with it" '[ $rc = 143 ] && ! pgrep -f "^/bin/sleep $marker" > /dev/null'
  check "$mode: the trace of the run written, no temp left ($(ls -A "$tmp/sig-$mode" | tr '\n' ' '))" \
    '[ "$(ls -A "$tmp/sig-$mode")" = t.trace ] && grep -q "bin/sleep" "$tmp/sig-$mode/t.trace"'
done
mkdir -p "$tmp/tracedir"
"$cuslim" bundle -q /bin/true --trace "$tmp/tracedir" -o "$tmp/td.tar" 2> "$tmp/err"; rc=$?
check "bundle --trace DIR is an error naming it (exit 3)" '[ $rc = 3 ] && grep -q "tracedir: is a directory" "$tmp/err"'
for mode in "" --files; do
  "$cuslim" trace -q $mode -o "$tmp/nx.trace" -- no-such-command-xyz 2> "$tmp/err"; rc=$?
  check "trace $mode of a command that is not there: 127, said, no trace written ($(cat "$tmp/err"))" \
    '[ $rc = 127 ] && grep -q "no-such-command-xyz: not found in PATH" "$tmp/err" && [ ! -e "$tmp/nx.trace" ]'
done
printf 'x' > "$tmp/noexec"; chmod 644 "$tmp/noexec"
"$cuslim" trace -q -o "$tmp/nx.trace" -- "$tmp/noexec" 2> "$tmp/err"; rc=$?
check "trace of a file that is not executable: 126, said" '[ $rc = 126 ] && grep -q "noexec: not executable" "$tmp/err" && [ ! -e "$tmp/nx.trace" ]'
"$cuslim" trace -q -o "$tmp/nx.trace" -- "$tmp/tracedir" 2> "$tmp/err"; rc=$?
check "trace of a directory: 126, is a directory, as a shell says ($(cat "$tmp/err"))" '[ $rc = 126 ] && grep -q "tracedir: is a directory" "$tmp/err" && [ ! -e "$tmp/nx.trace" ]'
"$cuslim" trace -q -o "$tmp/new/sub/t.trace" -- /bin/true 2> "$tmp/err"; rc=$?
check "trace -o into directories not made yet: made, as bundle -o makes them ($rc: $(cat "$tmp/err"))" '[ $rc = 0 ] && [ -s "$tmp/new/sub/t.trace" ]'
# A trace line cuslim does not know is an error naming the file and line, never skipped in silence.
# A relative path (".", "..": it hung, walking up to a "/" it never reaches) or a NUL byte is one.
for bad in '{"event":"zap","pid":1,"name":"","path":"/x"}' '{"event":"file","pid":1,"name":"","path":"/x","how":"zap"}' 'not json' \
    '{"event":"file","how":"open","path":".","pid":1}' '{"event":"file","how":"open","path_hex":"2e2e","pid":1}' \
    '{"event":"cwd","path":"rel/dir"}' '{"event":"env","name":"CUDA_MODULE_LOADING","value":"LAZY\u0000x"}' \
    '{"event":"file","how":"open","path":"/x\u0000y","pid":1}'; do
  printf '%s\n' "$bad" > "$tmp/bad.trace"
  timeout 60 "$cuslim" bundle -q /bin/true --trace "$tmp/bad.trace" -o "$tmp/bad.tar" 2> "$tmp/err"; rc=$?
  check "a trace line $bad: exit 3 naming the line ($(cat "$tmp/err"))" '[ $rc = 3 ] && grep -q "bad.trace:1: " "$tmp/err" && [ ! -e "$tmp/bad.tar" ]'
done
# A directory the traced command is given (`ls .`, `pytest .`) is not an input a new trace file
# could replace: traced; a file it is given still is (refused, exit 2, the file intact).
mkdir -p "$tmp/dirarg"; echo keep > "$tmp/dirarg/data.txt"
(cd "$tmp/dirarg" && "$cuslim" trace -q -o a.trace -- /bin/ls . > /dev/null 2> "$tmp/err"); rc=$?
check "trace -o a.trace -- ls . (exit $rc)" '[ $rc = 0 ] && [ -s "$tmp/dirarg/a.trace" ]' || cat "$tmp/err"
"$cuslim" trace -q -o "$tmp/dirarg/data.txt" -- /bin/cat "$tmp/dirarg/data.txt" > /dev/null 2> "$tmp/err"; rc=$?
check "trace -o naming a file the command reads: exit 2, the file intact" '[ $rc = 2 ] && [ "$(cat "$tmp/dirarg/data.txt")" = keep ]'
# --- an included library's needs, as the traced process met them ---------------------------------
# A rootfs with two copies of libdep.so.1: a "wheel" copy the program loads by path, and one in the
# loader's default dir. libuser.so (kept by --keep, no RUNPATH) needs libdep.so.1; in the traced
# process that is the wheel copy already loaded, so the slimmed image carries only that one -- and
# still runs.
must "bundle /bin/true as a rootfs dir" "$cuslim" bundle -q /bin/true --format dir -o "$tmp/dup"
R="$tmp/dup"; mkdir -p "$R/opt/w" "$R/opt/app"
echo 'const char* dep(void){return "dep from the wheel";}' > "$tmp/dw.c"
echo 'const char* dep(void){return "dep from the default dir";}' > "$tmp/dd.c"
echo 'const char* dep(void); const char* user(void){return dep();}' > "$tmp/du.c"
libdir=usr/lib/x86_64-linux-gnu; [ -e "$R/$libdir/libc.so.6" ] && [ ! -L "$R/usr/lib" ] || libdir=lib/x86_64-linux-gnu  # libc's real dir
cc -shared -fPIC -Wl,-soname,libdep.so.1 -o "$R/opt/w/libdep.so.1" "$tmp/dw.c"
cc -shared -fPIC -Wl,-soname,libdep.so.1 -o "$R/$libdir/libdep.so.1" "$tmp/dd.c"
cc -shared -fPIC -o "$R/opt/app/libuser.so" "$tmp/du.c" -L"$R/opt/w" -l:libdep.so.1
cat > "$tmp/dmain.c" <<'C'
#include <dlfcn.h>
#include <stdio.h>
int main(void) {
  if (!dlopen("/opt/w/libdep.so.1", RTLD_NOW | RTLD_GLOBAL)) return 1;
  void* u = dlopen("/opt/app/libuser.so", RTLD_NOW);
  if (!u) { puts(dlerror()); return 2; }
  puts(((const char* (*)(void))dlsym(u, "user"))());
  return 0;
}
C
cc -o "$R/opt/app/main" "$tmp/dmain.c" -ldl
"$cuslim" slim -q "$R" --target /opt/app/main --keep '/opt/app/*' -o "$tmp/dup-static.tar" 2> "$tmp/err"; rc=$?
check "without a trace the search's copy ships beside the wheel's (what the loader would find alone)" \
  '[ $rc = 0 ] && tar -tf "$tmp/dup-static.tar" | grep -qx "$libdir/libdep.so.1"' || cat "$tmp/err"
"$cuslim" slim -q "$R" --target /opt/app/main --keep '/opt/app/*' -o "$tmp/dup-slim" --tag d --probe -- /opt/app/main 2> "$tmp/err"; rc=$?
check "slim --probe: the wheel copy ships, the default dir copy the process never loaded does not" \
  '[ $rc = 0 ] && umoci unpack --image "$tmp/dup-slim:d" "$tmp/dup-unpacked" > /dev/null 2>&1 && [ -e "$tmp/dup-unpacked/rootfs/opt/w/libdep.so.1" ] && [ ! -e "$tmp/dup-unpacked/rootfs/$libdir/libdep.so.1" ]' || cat "$tmp/err"
out=$(run_image "$tmp/dup-slim" d /opt/app/main)
check "the slimmed image runs and takes dep from the wheel copy ($out)" '[ "$out" = "dep from the wheel" ]'
# A traced `#!/usr/bin/env sh` script: the kernel loads /usr/bin/env itself (no execve of it, no
# file event), then env execs sh. The image ships env too and runs the script as traced; so does
# a script whose #! names its interpreter by a path the run never exec'd by name.
mkdir -p "$tmp/envs"
printf '#!/usr/bin/env sh\necho "env script ran"\n' > "$tmp/envs/s.sh"; chmod +x "$tmp/envs/s.sh"
"$cuslim" trace -q --files -o "$tmp/envs/s.trace" -- "$tmp/envs/s.sh" > /dev/null 2> "$tmp/err"
"$cuslim" bundle -q /bin/true --trace "$tmp/envs/s.trace" -o "$tmp/envs/img" --tag e 2> "$tmp/err"; rc=$?
out=$("$cuslim" run --gpu off "$tmp/envs/img:e" -- "$tmp/envs/s.sh" 2>&1)
check "a traced #!/usr/bin/env script: its env ships and the image runs it ($rc: $out)" '[ $rc = 0 ] && [ "$out" = "env script ran" ]'
# --- the traced program's own descriptors and signals -------------------------------------------
# Started with stdout or stderr closed, the program must not write into the trace (the audit
# library's file took descriptor 1); the trace stays readable.
here=$(dirname "$0")
for mode in "" --files; do
  for closed in 1 2; do
    t="$tmp/closed$closed$mode.trace"
    eval '"$cuslim" trace $mode -q -o "$t" -- /bin/sh -c "echo to-the-closed-fd >&$closed; exit 0"' "$closed>&-"; rc=$?
    check "trace $mode with fd $closed closed: exit $rc, the program's output not in the trace, every line JSON" \
      '[ $rc = 0 ] && ! grep -q to-the-closed-fd "$t" && python3 -c "import json,sys; [json.loads(l) for l in open(sys.argv[1])]" "$t"'
  done
done
# Ctrl-C at a terminal goes to the program (cuslim shares its process group); a SIGTERM sent to
# cuslim alone (a CI timeout) is passed on. The program's handler runs, the trace is written and
# cuslim exits with the program's status.
cat > "$tmp/sigint.py" <<'PY'
import signal, sys, time
got = []
signal.signal(signal.SIGINT, lambda s, f: got.append(s))
signal.signal(signal.SIGTERM, lambda s, f: got.append(s))
print("ready", flush=True)
for _ in range(100):
    if got: break
    time.sleep(0.05)
print("got", got, flush=True)
sys.exit(5 if got else 1)
PY
for mode in "" --files; do
  out=$(python3 "$here/pty_run.py" --sleep 1.5 --send '\x03' -- "$cuslim" trace $mode -q -o "$tmp/int$mode.trace" -- /usr/bin/python3 "$tmp/sigint.py" | paste -sd " ")
  check "trace $mode, Ctrl-C at the terminal: the program's handler ran once, exit 5, the trace written ($out)" \
    'case "$out" in *"got [2]"*" 5") [ -s "$tmp/int$mode.trace" ];; *) false;; esac'
  "$cuslim" trace $mode -q -o "$tmp/term$mode.trace" -- /usr/bin/python3 "$tmp/sigint.py" > "$tmp/term$mode.out" & pid=$!
  for _ in $(seq 100); do grep -q ready "$tmp/term$mode.out" 2>/dev/null && break; sleep 0.05; done
  kill -TERM $pid; wait $pid; rc=$?
  check "trace $mode, SIGTERM to cuslim alone: passed on, the program's handler ran, exit $rc, the trace written" \
    '[ $rc = 5 ] && grep -q "got \[15\]" "$tmp/term$mode.out" && [ -s "$tmp/term$mode.trace" ]'
done

# --- what a run only writes is its output, not something it needs -------------------------------
wd="$tmp/writes"; mkdir -p "$wd"; echo in > "$wd/input.txt"; echo db > "$wd/rw.db"
cat > "$wd/w.py" <<'PY'
import os, sys, tempfile
d = sys.argv[1]
open(os.path.join(d, "input.txt")).read()
open(os.path.join(d, "output.log"), "w").write("out")
open(os.path.join(d, "append.log"), "a").write("more")
with open(os.path.join(d, "rw.db"), "r+") as f: f.read()
with tempfile.NamedTemporaryFile(dir=d, prefix="scratch-", delete=False) as f: f.write(b"x" * 100000)
PY
"$cuslim" trace --files -q -o "$wd/w.trace" -- /usr/bin/python3 "$wd/w.py" "$wd"; rc=$?
"$cuslim" bundle -q /usr/bin/python3 --trace "$wd/w.trace" -o "$tmp/writes-img" --format dir 2> /dev/null
check "a traced run's writes (write-only, appended, a new temp file) are recorded as written and not packed; what it read (and a read-write database) is ($rc: $(cd "$tmp/writes-img$wd" 2>/dev/null && ls | tr '\n' ' '))" \
  '[ $rc = 0 ] && grep -q "\"how\":\"write\"" "$wd/w.trace" && [ -f "$tmp/writes-img$wd/input.txt" ] && [ -f "$tmp/writes-img$wd/rw.db" ] && [ ! -e "$tmp/writes-img$wd/output.log" ] && [ ! -e "$tmp/writes-img$wd/append.log" ] && [ -z "$(ls "$tmp/writes-img$wd" | grep scratch-)" ]'

# Job control under --files: a program's SIGSTOP stops it (its parent's waitpid(WUNTRACED) sees
# the stop) and SIGCONT resumes it, as untraced (the ptrace loop swallowed every SIGSTOP).
sd="$tmp/stop"; mkdir -p "$sd"
cat > "$sd/stopper.c" <<'C'
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
  pid_t p = fork();
  if (p == 0) { raise(SIGSTOP); _exit(7); }
  int st;
  waitpid(p, &st, WUNTRACED);
  if (!WIFSTOPPED(st)) { printf("not stopped\n"); return 1; }
  kill(p, SIGCONT);
  waitpid(p, &st, 0);
  printf("stopped, continued, exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  return WIFEXITED(st) && WEXITSTATUS(st) == 7 ? 0 : 1;
}
C
cc -o "$sd/stopper" "$sd/stopper.c"
direct=$("$sd/stopper"); direct_rc=$?
out=$(timeout 60 "$cuslim" trace -q --files -o "$sd/s.trace" -- "$sd/stopper"); rc=$?
check "trace --files: a child's SIGSTOP stops it as untraced (direct: $direct_rc $direct; traced: $rc $out)" '[ $direct_rc = 0 ] && [ $rc = 0 ] && [ "$out" = "$direct" ]'
# SIGSTOP sent from outside stops the traced program; SIGCONT resumes it.
"$cuslim" trace -q --files -o "$sd/k.trace" -- sleep 3 & tracer=$!
for _ in $(seq 50); do sl=$(pgrep -P "$tracer" -x sleep) && break; sleep 0.1; done
kill -STOP "$sl"; sleep 0.5; state=$(ps -o stat= -p "$sl" | cut -c1); kill -CONT "$sl"
wait "$tracer"; rc=$?
check "trace --files: SIGSTOP from outside stops the program (state $state: stopped, shown t as a traced stop), SIGCONT resumes it (exit $rc)" '[[ "$state" == [Tt] ]] && [ $rc = 0 ]'
# A process the program leaves behind (no --files: cuslim does not wait for it) cannot change the
# finished trace, nor leave a file beside it.
echo 'int late_mark(void){return 1;}' > "$sd/m.c"; cc -shared -fPIC -o "$sd/liblatemark.so" "$sd/m.c"
cat > "$sd/late.py" <<'PY'
import os, sys, time, ctypes
if os.fork() == 0:
    time.sleep(2)
    ctypes.CDLL(os.path.join(os.path.dirname(sys.argv[0]), "liblatemark.so"))
    os._exit(0)
PY
"$cuslim" trace -q -o "$sd/late.trace" -- /usr/bin/python3 "$sd/late.py"; rc=$?
before=$(sha256sum < "$sd/late.trace"); sleep 3
check "a process left behind loads a library after cuslim ended: the trace is unchanged, nothing beside it (exit $rc)" \
  '[ $rc = 0 ] && [ "$(sha256sum < "$sd/late.trace")" = "$before" ] && ! grep -q liblatemark "$sd/late.trace" && [ "$(ls "$sd" | grep -c "^late")" = 2 ]'

finish
