#!/usr/bin/env bash
# `cuslim run` and the life of the sandboxed program: killing cuslim (TERM, INT to its process
# group, HUP, KILL) ends the program and leaves no run directory (a KILLed run's directory is
# removed by the next run; a live run's, or anything not named like one, is never touched); pid 1
# is an init that reports a program's abort as 134 and reaps orphans; the image's /tmp content is
# seen in the fresh, writable /tmp and writes there never reach the image.
set -u
cuslim=$(readlink -f "$1")
[ "$(id -u)" = 0 ] || { echo "skip: the sandbox test needs root to set up its fixtures"; exit 77; }
# Not under /tmp: the sandbox mounts a fresh tmpfs there.
tmp=$(mktemp -d /var/tmp/cuslim-rs-XXXXXX); chmod 755 "$tmp"
# Run directories go to a TMPDIR of this test's own: every `cuslim run` removes dead runs'
# directories from its TMPDIR, so in /tmp another test's run (ctest -j) could remove the KILLed
# run's directory before this test looks for it.
export TMPDIR=$tmp/runs; mkdir -p "$TMPDIR"
cleanup() {
  [ -n "${running:-}" ] && kill -KILL "$running" 2>/dev/null
  [ -n "${marker:-}" ] && for p in $(program_pids); do kill -KILL "$p"; done  # orphans of a failed check
  rm -rf "$tmp"
}
trap cleanup EXIT
here=$(dirname "$(readlink -f "$0")")
source "$here/check_lib.sh"
set -m  # background jobs get their own process group and keep SIGINT (bash ignores it otherwise)

# --- fixtures: one C file, one behaviour per argv[1] ------------------------------------------
cat > "$tmp/fx.c" <<'C'
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
static int zombies(void) {  /* processes in state Z, from /proc/PID/stat */
  int n = 0; DIR* d = opendir("/proc"); struct dirent* e;
  while ((e = readdir(d))) {
    char p[300], buf[512]; snprintf(p, sizeof p, "/proc/%s/stat", e->d_name);
    FILE* f = fopen(p, "r"); if (!f) continue;
    if (fgets(buf, sizeof buf, f)) { char* r = strrchr(buf, ')'); if (r && r[2] == 'Z') { n++; printf("zombie: %s", buf); } }
    fclose(f);
  }
  closedir(d); return n;
}
int main(int argc, char** argv) {
  const char* what = argc > 1 ? argv[1] : "";
  if (!strcmp(what, "sleep")) { sleep(300); return 0; }
  if (!strcmp(what, "abort")) abort();
  if (!strcmp(what, "read")) {  /* reads a line of stdin: exits 7 when one came */
    char line[256]; return fgets(line, sizeof line, stdin) ? 7 : 1;
  }
  if (!strcmp(what, "tcset")) {  /* configures the terminal on stdout, as curses or a password prompt does */
    struct termios t; return tcgetattr(1, &t) == 0 && tcsetattr(1, TCSANOW, &t) == 0 ? 0 : 3;
  }
  if (!strcmp(what, "ctrl-c")) {  /* counts SIGINTs for a second after the first; exits 50 + the count */
    sigset_t set; int sig, n = 1; struct timespec t = {1, 0}; sigemptyset(&set); sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL); sigwait(&set, &sig);
    while (sigtimedwait(&set, NULL, &t) == SIGINT) n++;
    return 50 + n;
  }
  if (!strcmp(what, "handler")) {  /* counts SIGUSR1s; on SIGTERM exits 40 + the count */
    sigset_t set; int sig, n = 0; sigemptyset(&set); sigaddset(&set, SIGUSR1); sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    while (sigwait(&set, &sig) == 0) { if (sig == SIGTERM) return 40 + n; n++; }
  }
  if (!strcmp(what, "orphan")) {  /* the child forks a grandchild and exits: the grandchild is an orphan */
    pid_t c = fork();
    if (c == 0) { if (fork() == 0) _exit(0); _exit(0); }
    waitpid(c, NULL, 0); sleep(1);
    return zombies() ? 1 : 0;
  }
  if (!strcmp(what, "tmp")) {  /* prints what the image put in /tmp, then writes /tmp/new */
    char buf[256] = "", link[256] = ""; struct stat st, sub;
    FILE* f = fopen("/tmp/seed.txt", "r"); if (f) { fgets(buf, sizeof buf, f); fclose(f); }
    buf[strcspn(buf, "\n")] = 0;
    ssize_t n = readlink("/tmp/link", link, sizeof link - 1); if (n > 0) link[n] = 0;
    int ok = stat("/tmp/sub/f", &st) == 0 && stat("/tmp/sub", &sub) == 0;
    FILE* w = fopen("/tmp/new", "w"); int wrote = w && fputs("x", w) >= 0 && fclose(w) == 0;
    printf("seed=%s link=%s sub=%o f=%o new=%s\n", buf, link, ok ? sub.st_mode & 07777 : 0, ok ? st.st_mode & 07777 : 0, wrote ? "written" : "no");
    return 0;
  }
  return 2;
}
C
marker="sleeper-$RANDOM"  # the program's name (its /proc/PID/comm) finds it from the host
fx="$tmp/$marker"
cc -o "$fx" "$tmp/fx.c" || exit 1
must "bundle the fixture" "$cuslim" bundle -q "$fx" -o "$tmp/fxdir" --format dir || { finish; exit; }

# The host pids of the fixture's processes, by their name.
program_pids() { for c in /proc/[0-9]*/comm; do [ "$(cat "$c" 2>/dev/null)" = "$marker" ] && { c=${c#/proc/}; echo "${c%/comm}"; }; done; }
# Waits up to $2 seconds for condition $1.
wait_for() { local i; for ((i = 0; i < $2 * 10; i++)); do eval "$1" && return 0; sleep 0.1; done; return 1; }
alive() { for p in "$@"; do kill -0 "$p" 2>/dev/null && return 0; done; return 1; }
run_dirs() { ls -d "$TMPDIR"/cuslim-run-"$1"-* 2>/dev/null; }

# --- killing cuslim ends the program ------------------------------------------------------------
# kill_run SIGNAL TARGET: starts the sleeping fixture, sends SIGNAL to cuslim (TARGET "pid") or its
# process group ("group"), sets rc (cuslim's status), prog (the program's host pids), cpid and
# during (the run directories named after cuslim's pid while it ran).
kill_run() {
  "$cuslim" run --gpu off "$tmp/fxdir" -- "$fx" sleep & cpid=$!; running=$cpid
  prog=""
  wait_for '[ -n "$(program_pids)" ]' 20 && prog=$(program_pids)
  during=$(run_dirs "$cpid")
  if [ "$2" = group ]; then kill -"$1" -- -"$cpid"; else kill -"$1" "$cpid"; fi
  wait "$cpid"; rc=$?; running=""
}
for sig in TERM INT HUP; do
  how=pid; [ $sig = INT ] && how=group  # Ctrl-C: the whole process group
  kill_run $sig $how
  n=$(kill -l $sig); n=$((128 + n))
  check "SIG$sig to cuslim ($how): the program ran (${prog:-not found})" '[ -n "$prog" ]'
  check "SIG$sig to cuslim ($how): the program is gone" 'wait_for "! alive $prog" 5'
  check "SIG$sig to cuslim ($how): cuslim reports the program killed by it (exit $rc, want $n)" '[ $rc = $n ]'
  check "SIG$sig to cuslim ($how): its run directory (${during:-none found}) is removed" '[ -n "$during" ] && [ -z "$(run_dirs $cpid)" ]'
done
# A program that handles the signals decides how it ends: each one reaches it exactly once.
"$cuslim" run --gpu off "$tmp/fxdir" -- "$fx" handler & cpid=$!; running=$cpid
wait_for '[ -n "$(program_pids)" ]' 20; sleep 0.2
kill -USR1 "$cpid"; sleep 0.3; kill -TERM "$cpid"; wait "$cpid"; rc=$?; running=""
check "SIGUSR1 then SIGTERM to cuslim reach the program once each (exit $rc, want 41)" '[ $rc = 41 ]'

# A signal to cuslim's whole process group (a shell's job, `timeout`, a CI runner): the sandbox
# runs in a process group of its own, so the program gets each one once, from cuslim.
"$cuslim" run --gpu off "$tmp/fxdir" -- "$fx" handler & cpid=$!; running=$cpid
wait_for '[ -n "$(program_pids)" ]' 20; sleep 0.2
kill -USR1 -- -"$cpid"; sleep 0.3; kill -USR1 -- -"$cpid"; sleep 0.3; kill -TERM -- -"$cpid"; wait "$cpid"; rc=$?; running=""
check "SIGUSR1 twice, then SIGTERM, to cuslim's process group reach the program once each (exit $rc, want 42)" '[ $rc = 42 ]'

# Ctrl-C on a terminal: the sandbox's process group owns the terminal while it runs, so the
# terminal signals the program itself, once. Ctrl-Z stops the sandbox and then cuslim (the shell
# sees its job stopped); continued, the program runs on and the terminal is its again.
rc=$(python3 - "$cuslim" "$tmp/fxdir" "$fx" <<'PY'
import os, pty, signal, sys, time
pid, fd = pty.fork()
if pid == 0:  # a shell's job: job-control signals at their defaults (a test runner may ignore them)
    for s in (signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU):
        signal.signal(s, signal.SIG_DFL)
    os.execv(sys.argv[1], [sys.argv[1], "run", "--gpu", "off", sys.argv[2], "--", sys.argv[3], "ctrl-c"])
time.sleep(1.5)
os.write(fd, b"\x1a")
stopped = "not-stopped"
for _ in range(100):
    p, st = os.waitpid(pid, os.WUNTRACED | os.WNOHANG)
    if p == pid and os.WIFSTOPPED(st):
        stopped = "stopped"
        break
    time.sleep(0.05)
os.kill(pid, signal.SIGCONT)
time.sleep(0.5)
os.write(fd, b"\x03")
while True:
    try:
        if not os.read(fd, 1024): break
    except OSError: break
print(stopped, os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
PY
)
check "Ctrl-Z on a terminal stops cuslim; continued, Ctrl-C reaches the program exactly once ($rc, want stopped 51)" '[ "$rc" = "stopped 51" ]'

# Job control as a shell does it, with cuslim as its job: started in the background, the program's
# read of the terminal stops the job; `fg` (the terminal to cuslim's group, SIGCONT) lets it read.
# And a foreground run whose stdin is not the terminal still owns it (a program configuring it).
out=$(python3 - "$cuslim" "$tmp/fxdir" "$fx" <<'PY'
import os, pty, signal, sys, time
pid, fd = pty.fork()
if pid == 0:  # the "shell": session leader, the terminal's foreground group
    signal.alarm(60)  # a job that never reads: no result, not a hang
    for s in (signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU):
        signal.signal(s, signal.SIG_IGN)  # as an interactive shell
    job = os.fork()
    if job == 0:
        os.setpgid(0, 0)
        for s in (signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU):
            signal.signal(s, signal.SIG_DFL)
        os.execv(sys.argv[1], [sys.argv[1], "run", "--gpu", "off", sys.argv[2], "--", sys.argv[3], "read"])
    os.setpgid(job, job)
    stopped = "running"
    for _ in range(200):  # & : a background job; its read of the terminal stops it
        p, st = os.waitpid(job, os.WUNTRACED | os.WNOHANG)
        if p == job and os.WIFSTOPPED(st):
            stopped = "stopped"
            break
        time.sleep(0.05)
    os.tcsetpgrp(0, job)  # fg
    os.kill(-job, signal.SIGCONT)
    os.write(1, b"FG\n")
    st = os.waitpid(job, 0)[1]
    os.tcsetpgrp(0, os.getpgrp())
    job2 = os.fork()  # a foreground job whose stdin is not the terminal
    if job2 == 0:
        os.setpgid(0, 0)
        os.tcsetpgrp(1, os.getpgrp())
        for s in (signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU):
            signal.signal(s, signal.SIG_DFL)
        os.dup2(os.open("/dev/null", os.O_RDONLY), 0)
        os.execv(sys.argv[1], [sys.argv[1], "run", "--gpu", "off", sys.argv[2], "--", sys.argv[3], "tcset"])
    os.setpgid(job2, job2)
    st2 = "stopped"
    for _ in range(200):
        p, s2 = os.waitpid(job2, os.WUNTRACED | os.WNOHANG)
        if p == job2:
            st2 = "stopped" if os.WIFSTOPPED(s2) else str(os.waitstatus_to_exitcode(s2))
            break
        time.sleep(0.05)
    if st2 == "stopped":
        os.kill(-job2, signal.SIGKILL)
    os.write(1, f"RESULT {stopped} {os.waitstatus_to_exitcode(st)} {st2}\n".encode())
    os._exit(0)
buf = b""
while b"FG" not in buf:
    buf += os.read(fd, 1024)
time.sleep(0.3)
os.write(fd, b"typed-after-fg\n")
while True:
    try:
        b = os.read(fd, 1024)
        if not b: break
        buf += b
    except OSError: break
os.waitpid(pid, 0)
line = [l for l in buf.decode(errors="replace").splitlines() if l.startswith("RESULT")]
print(line[0][7:] if line else "no result")
PY
)
check "job control: a background run stops at its terminal read, fg lets it read (exit 7); a foreground run with stdin /dev/null configures the terminal (exit 0) ($out, want stopped 7 0)" '[ "$out" = "stopped 7 0" ]'

# The program reads the terminal (its group is the foreground one): cat echoes a line typed there.
"$cuslim" bundle -q /bin/cat -o "$tmp/catdir" --format dir
out=$(python3 "$here/pty_run.py" --sleep 1.5 --send 'typed-at-the-terminal\n' --sleep 0.3 --send '\x04' -- \
      "$cuslim" run --gpu off "$tmp/catdir" -- /bin/cat)
out="$(head -1 <<< "$out" | grep -o typed-at-the-terminal | wc -l) $(tail -1 <<< "$out")"
check "a program reads the terminal: cat echoes the typed line ($out, want 2 0: the echo and the copy)" '[ "$out" = "2 0" ]'

# On a terminal, the program's terminal is named inside as outside (tty, ttyname): that pty is there.
"$cuslim" bundle -q /usr/bin/tty -o "$tmp/ttydir" --format dir
out=$(python3 "$here/pty_run.py" -- "$cuslim" run --gpu off "$tmp/ttydir" -- /usr/bin/tty | paste -sd " ")
check "tty inside run on a terminal names its /dev/pts node, exit 0 ($out)" '[[ "$out" =~ ^/dev/pts/[0-9]+\ 0$ ]]'

# Ctrl-C on a terminal: the terminal signals the foreground process group, the program included;
# cuslim does not pass that one on again.
rc=$(python3 "$here/pty_run.py" --sleep 1.5 --send '\x03' -- "$cuslim" run --gpu off "$tmp/fxdir" -- "$fx" ctrl-c | tail -1)
check "Ctrl-C on a terminal reaches the program exactly once (exit $rc, want 51)" '[ "$rc" = 51 ]'

kill_run KILL pid
check "SIGKILL to cuslim: the program ran (${prog:-not found})" '[ -n "$prog" ]'
check "SIGKILL to cuslim: the program dies with it" 'wait_for "! alive $prog" 5'
killed=$cpid
check "SIGKILL to cuslim: its run directory is left ($(run_dirs $killed))" '[ -n "$(run_dirs $killed)" ]'
"$cuslim" run --gpu off "$tmp/fxdir" -- "$fx" 2>/dev/null
check "the next run removes the KILLed run's directory" '[ -z "$(run_dirs $killed)" ]'

# Only dead runs' directories, named exactly so, are removed (in a private TMPDIR).
base="$tmp/base"; mkdir -p "$base"
sleep 0 & dead=$!; wait $dead
mkdir "$base/cuslim-run-$dead-AbC123" "$base/cuslim-run-$$-AbC123" "$base/cuslim-run-$dead-AbC12" \
  "$base/cuslim-run-$dead-AbC1234" "$base/cuslim-run-0$dead-AbC123" "$base/xcuslim-run-$dead-AbC123" "$base/target"
touch "$base/cuslim-run-$dead-AbC123/f" "$base/target/keep"
ln -s target "$base/cuslim-run-$dead-XyZ789"
TMPDIR=$base "$cuslim" run --gpu off "$tmp/fxdir" -- "$fx" 2>/dev/null
left=$(cd "$base" && ls | LC_ALL=C sort | tr '\n' ' ')
kept=$(printf '%s\n' "cuslim-run-$$-AbC123" "cuslim-run-$dead-AbC12" "cuslim-run-$dead-AbC1234" "cuslim-run-$dead-XyZ789" \
  "cuslim-run-0$dead-AbC123" target "xcuslim-run-$dead-AbC123" | LC_ALL=C sort | tr '\n' ' ')
check "stale: a dead run's directory is removed" '[ ! -e "$base/cuslim-run-$dead-AbC123" ]'
check "stale: a live pid's directory, near-miss names, a symlink and its target stay ($left)" \
  '[ "$left" = "$kept" ] && [ -e "$base/target/keep" ]'

# --- pid 1 is an init ---------------------------------------------------------------------------
"$cuslim" run --gpu off "$tmp/fxdir" -- "$fx" abort; rc=$?
check "a program that aborts reports SIGABRT (exit $rc, want 134)" '[ $rc = 134 ]'
out=$("$cuslim" run --gpu off "$tmp/fxdir" -- "$fx" orphan); rc=$?
check "pid 1 reaps an orphaned grandchild (exit $rc, want 0) $out" '[ $rc = 0 ]'

# --- the image's /tmp -----------------------------------------------------------------------------
mkdir -p "$tmp/fxdir/tmp/sub"; chmod 1777 "$tmp/fxdir/tmp"; chmod 0710 "$tmp/fxdir/tmp/sub"
echo "from the image" > "$tmp/fxdir/tmp/seed.txt"; ln -s seed.txt "$tmp/fxdir/tmp/link"
: > "$tmp/fxdir/tmp/sub/f"; chmod 0640 "$tmp/fxdir/tmp/sub/f"
want="seed=from the image link=seed.txt sub=710 f=640 new=written"
before=$(cd "$tmp/fxdir" && find . -printf '%p %m %s\n' | sort | md5sum)
out=$("$cuslim" run --gpu off "$tmp/fxdir" -- "$fx" tmp); rc=$?
check "rootfs dir: the image's /tmp is seen, modes and symlinks kept, /tmp writable ($out)" '[ $rc = 0 ] && [ "$out" = "$want" ]'
after=$(cd "$tmp/fxdir" && find . -printf '%p %m %s\n' | sort | md5sum)
check "rootfs dir: the run wrote nothing into the image (no /tmp/new)" '[ ! -e "$tmp/fxdir/tmp/new" ] && [ "$before" = "$after" ]'
tar -C "$tmp/fxdir" -czf "$tmp/rootfs.tar.gz" .
out=$("$cuslim" run --gpu off "$tmp/rootfs.tar.gz" -- "$fx" tmp); rc=$?
check "rootfs tarball: the image's /tmp is seen in the fresh tmpfs ($out)" '[ $rc = 0 ] && [ "$out" = "$want" ]'
# An image whose /tmp is a symlink keeps it, as docker runs it: the program follows it inside the
# image (writes land in the run's overlay), nothing is mounted through it on the host side.
cp -a "$tmp/fxdir" "$tmp/fxlink"; mkdir -p "$tmp/fxlink/data"; mv "$tmp/fxlink/tmp" "$tmp/fxlink/data/tmp"; ln -s data/tmp "$tmp/fxlink/tmp"
before=$(cd "$tmp/fxlink" && find . -printf '%p %m %s\n' | sort | md5sum)
out=$("$cuslim" run --gpu off "$tmp/fxlink" -- "$fx" tmp 2> "$tmp/link.err"); rc=$?
check "an image whose /tmp is a symlink to data/tmp: runs through it ($rc: $out)" '[ $rc = 0 ] && [ "$out" = "$want" ]'
check "... and the image dir is unchanged (the write went to the overlay)" '[ "$(cd "$tmp/fxlink" && find . -printf "%p %m %s\n" | sort | md5sum)" = "$before" ]'
cp -a "$tmp/fxdir" "$tmp/fxbad"; rm -rf "$tmp/fxbad/tmp"; echo secret > "$tmp/victim"; ln -s "$tmp/victim" "$tmp/fxbad/tmp"
"$cuslim" run --gpu off "$tmp/fxbad" -- "$fx" tmp > /dev/null 2> "$tmp/bad.err"; rc=$?
check "an image whose /tmp is a symlink to a host path: resolved inside the image only, the host file untouched ($rc)" \
  '[ "$(cat "$tmp/victim")" = secret ] && ! grep -q "cuslim: sandbox" "$tmp/bad.err"'
# An image whose /dev is a file: exit 3 naming it, nothing mounted through it.
rm -f "$tmp/fxbad/tmp"; mkdir "$tmp/fxbad/tmp"; rm -rf "$tmp/fxbad/dev"; : > "$tmp/fxbad/dev"
"$cuslim" run --gpu off "$tmp/fxbad" -- "$fx" 2> "$tmp/bad.err"; rc=$?
check "an image whose /dev is a file: exit 3 naming it ($rc)" '[ $rc = 3 ] && grep -q "/dev: a file, not a directory" "$tmp/bad.err"'
finish
