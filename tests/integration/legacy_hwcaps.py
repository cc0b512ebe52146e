#!/usr/bin/env python3
"""glibc <= 2.36 searches the legacy hwcap subdirectories (tls/, x86_64/, haswell/, ... under
every search dir; cache entries with legacy hwcap bits); 2.37 removed them. A root is built here
with this host's glibc (ld.so + libc), a program and libraries placed in such subdirectories
(under RUNPATH, LD_LIBRARY_PATH and a default dir, the cache rebuilt by ldconfig -r), and every
resolved path cuslim gives is compared with `chroot ROOT ld.so --list` (what ldd runs). On a
2.36 host the legacy copies must win (so the check can fail); on 2.37+ the bare ones.
Also: deps JSON missing[].tried names a dir holding a dangling symlink of the name.
Exits 77 without root (chroot), a C compiler or ldconfig.

usage: legacy_hwcaps.py CUSLIM
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

LIBDIR = "/lib/x86_64-linux-gnu"


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def cc(out, soname=None, needed=(), rpath=None, src="int f(void){return 0;}\n", shared=True, work="."):
    c = os.path.join(work, "x.c")
    with open(c, "w") as f:
        f.write(src)
    cmd = ["cc", "-fPIC", "-o", out, c]
    if shared:
        cmd.insert(1, "-shared")
    if soname:
        cmd.append(f"-Wl,-soname,{soname}")
    if rpath:
        cmd += ["-Wl,--enable-new-dtags", f"-Wl,-rpath,{rpath}"]
    cmd += ["-Wl,--no-as-needed"] + [f"-L{d}" for d, _ in needed] + [f"-l:{n}" for _, n in needed]
    r = run(cmd)
    assert r.returncode == 0, r.stderr


def main():
    cuslim = sys.argv[1]
    if os.geteuid() != 0:
        print("skip: chroot needs root")
        return 77
    ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
    if not shutil.which("cc") or not os.path.exists(ldconfig) or not os.path.exists(f"{LIBDIR}/libc.so.6"):
        print("skip: needs cc, ldconfig and a Debian-layout x86_64 glibc on the host")
        return 77
    glibc = run(["ldd", "--version"]).stdout.split("\n")[0].split()[-1]
    legacy = tuple(int(x) for x in glibc.split(".")[:2]) < (2, 37)
    fails = 0

    def check(cond, what):
        nonlocal fails
        print(("ok   " if cond else "FAIL ") + what)
        fails += not cond

    root = tempfile.mkdtemp(prefix="cuslim-legacy-")
    work = tempfile.mkdtemp(prefix="cuslim-legacy-src-")
    try:
        os.makedirs(root + LIBDIR)
        os.makedirs(root + "/lib64")
        os.makedirs(root + "/etc")
        shutil.copy2(f"{LIBDIR}/libc.so.6", root + LIBDIR)
        shutil.copy2(os.path.realpath("/lib64/ld-linux-x86-64.so.2"), root + LIBDIR + "/ld-linux-x86-64.so.2")
        os.symlink(LIBDIR + "/ld-linux-x86-64.so.2", root + "/lib64/ld-linux-x86-64.so.2")
        # Each library twice: bare and in a legacy subdir (which copy wins is the question).
        layout = {
            "libcachetls.so.1": [LIBDIR, LIBDIR + "/tls"],            # default dir + cache
            "librun.so.1": ["/opt/app/lib", "/opt/app/lib/x86_64"],    # the program's RUNPATH
            "libllp.so.1": ["/opt/llp", "/opt/llp/tls/x86_64"],        # LD_LIBRARY_PATH
        }
        for name, dirs in layout.items():
            for d in dirs:
                os.makedirs(root + d, exist_ok=True)
                cc(root + d + "/" + name, soname=name, work=work)
        stub = os.path.join(work, "stub")
        os.makedirs(stub)
        for name in layout:
            cc(os.path.join(stub, name), soname=name, work=work)
        os.makedirs(root + "/opt/app/bin")
        prog = "/opt/app/bin/prog"
        cc(root + prog, shared=False, src="int main(void){return 0;}\n", rpath="/opt/app/lib",
           needed=[(stub, n) for n in layout], work=work)
        with open(root + "/etc/ld.so.conf", "w") as f:
            f.write("")
        r = run([ldconfig, "-r", root])
        check(r.returncode == 0, f"ldconfig -r ROOT ({r.stderr.strip()[-200:]})")

        env = dict(os.environ, LD_LIBRARY_PATH="/opt/llp")
        r = run(["chroot", root, "/lib64/ld-linux-x86-64.so.2", "--list", prog], env=env)
        if r.returncode != 0 and "Operation not permitted" in r.stderr:
            print("skip: chroot refused: " + r.stderr.strip())
            return 77
        truth = {}
        for line in r.stdout.splitlines():
            m = re.match(r"\s*(\S+) => (\S+) \(", line)
            if m:
                truth[m.group(1)] = m.group(2)
        r = run([cuslim, "deps", "--root", root, "--ld-library-path", "/opt/llp", "--format", "json", prog])
        check(r.returncode == 0, f"cuslim deps --root exits 0 ({r.stderr.strip()[-200:]})")
        doc = json.loads(r.stdout)
        ours = {o["name"]: o["path"] for o in doc["objects"] if o["path"] and o["name"] in truth}
        print(f"host glibc {glibc}: legacy subdirs {'searched' if legacy else 'not searched'}")
        for name in sorted(truth):
            check(ours.get(name) and os.path.normpath(ours[name]) == os.path.normpath(truth[name]),
                  f"{name}: cuslim {ours.get(name)}  ld.so {truth[name]}")
        for name, dirs in layout.items():
            want = dirs[1] if legacy else dirs[0]
            check(truth.get(name, "").startswith(want + "/"), f"ld.so itself takes {name} from {want}")

        # A dangling symlink of a missing name: its dir is in missing[].tried.
        os.makedirs(root + "/opt/dangling")
        os.symlink("/nowhere/libgone.so.1", root + "/opt/dangling/libgone.so.1")
        cc(os.path.join(stub, "libgone.so.1"), soname="libgone.so.1", work=work)
        cc(root + "/opt/app/bin/prog2", shared=False, src="int main(void){return 0;}\n", needed=[(stub, "libgone.so.1")], work=work)
        r = run([cuslim, "deps", "--root", root, "--ld-library-path", "/opt/dangling", "--format", "json", "/opt/app/bin/prog2"])
        miss = [m for m in json.loads(r.stdout)["missing"] if m["name"] == "libgone.so.1"]
        tried = miss[0]["tried"] if miss else []
        check(r.returncode == 1 and any(t.startswith("/opt/dangling (") or t == "/opt/dangling" for t in tried),
              f"missing libgone.so.1 lists /opt/dangling among tried: {[t for t in tried if 'dangling' in t]}")
        check(any("/opt/dangling/libgone.so.1: a dangling symlink to /nowhere/libgone.so.1" in t and t.count("/opt/dangling/libgone.so.1") == 1
                  for t in tried), f"... saying it is a dangling symlink and where it points, the path once: {tried}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    print(f"{fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
