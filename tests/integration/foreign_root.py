#!/usr/bin/env python3
"""Foreign-root test: `cuslim deps --root R` must resolve as the loader inside R does.

Assembles a root whose ld.so.conf and cache differ from the host's (libraries moved to
/opt/vendor/lib, found only through an ld.so.conf.d include; /lib and /lib64 as absolute
symlinks), builds its cache with `ldconfig -r`, and compares cuslim with the real loader run
inside it (`chroot R ld.so --list`). Also checks that an absolute symlink pointing at a host
file is resolved inside the root (so the host file is never used), and the ld.so.conf fallback
when the root has no cache. Needs root for chroot; exits 77 (skip) otherwise.

usage: foreign_root.py CUSLIM
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ldd_differential import LDD_LINE, parse_ldd  # noqa: E402  (one parser for ldd's output)

PROGRAM = "/usr/bin/ssh"


def host_closure(prog):
    out = subprocess.run(["ldd", prog], capture_output=True, text=True, check=True).stdout
    libs = []
    for line in out.splitlines():
        m = LDD_LINE.match(line)
        if m and m.group(2) and m.group(2) != "not found":
            libs.append(m.group(2))
        elif m and "/" in m.group(1):
            libs.append(m.group(1))
    return libs


def assemble(root):
    multiarch = "/usr/lib/x86_64-linux-gnu"
    os.makedirs(root + multiarch)
    os.makedirs(root + "/opt/vendor/lib")
    os.makedirs(root + "/usr/bin")
    os.makedirs(root + "/etc/ld.so.conf.d")
    os.symlink("/usr/lib", root + "/lib")                     # absolute: must resolve inside the root
    os.makedirs(root + "/usr/lib64")
    os.symlink("/usr/lib64", root + "/lib64")
    shutil.copy2(PROGRAM, root + PROGRAM)
    for lib in host_closure(PROGRAM):
        real = os.path.realpath(lib)
        base = os.path.basename(lib)
        core = base.startswith(("libc.so", "ld-linux"))
        dest = (multiarch if core else "/opt/vendor/lib") + "/" + os.path.basename(real)
        shutil.copy2(real, root + dest)
        if base != os.path.basename(real):
            os.symlink(os.path.basename(real), root + os.path.dirname(dest) + "/" + base)
    os.symlink(multiarch + "/ld-linux-x86-64.so.2", root + "/usr/lib64/ld-linux-x86-64.so.2")
    with open(root + "/etc/ld.so.conf", "w") as f:
        f.write("# foreign root\ninclude /etc/ld.so.conf.d/*.conf\n")
    with open(root + "/etc/ld.so.conf.d/vendor.conf", "w") as f:
        f.write("/opt/vendor/lib\n")
    subprocess.run(["ldconfig", "-X", "-r", root], check=True)


def in_root(root, p):
    """The canonical path of p inside root, symlinks resolved inside it (as chroot sees them)."""
    parts, done, links = [c for c in p.split("/") if c], [], 0
    while parts:
        c = parts.pop(0)
        if c in ("", "."):
            continue
        if c == "..":
            done = done[:-1]
            continue
        host = root + "/" + "/".join(done + [c])
        if os.path.islink(host):
            links += 1
            if links > 40:
                raise OSError("symlink loop: " + p)
            target = os.readlink(host)
            parts = [x for x in target.split("/") if x] + parts
            if target.startswith("/"):
                done = []
            continue
        done.append(c)
    return "/" + "/".join(done)


def loader_inside(root, prog):
    out = subprocess.run([shutil.which("chroot") or "/usr/sbin/chroot", root, "/lib64/ld-linux-x86-64.so.2", "--list", prog],
                         capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    found, missing = parse_ldd(out.stdout, lambda p: in_root(root, p))
    # A missing object stops ld.so before it lists anything: take the name from its error.
    m = re.search(r"error while loading shared libraries: (\S+): cannot open", out.stderr)
    if m:
        missing.add(m.group(1))
    return found, missing


def cuslim(binary, root, prog):
    r = subprocess.run([binary, "deps", "--root", root, "--format", "json", prog], capture_output=True, text=True)
    doc = json.loads(r.stdout)
    found = {o["realpath"] for o in doc["objects"] if o["realpath"] and o["realpath"] != prog}
    return found, {m["name"] for m in doc["missing"]}, doc, r.returncode


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    return cond


def main():
    binary = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0:
        print("skip: chroot needs root")
        return 77
    ok = True
    with tempfile.TemporaryDirectory(prefix="cuslim-root-") as tmp:
        root = tmp + "/root"
        assemble(root)
        oracle = loader_inside(root, PROGRAM)
        found, missing, doc, rc = cuslim(binary, root, PROGRAM)
        ok &= check(len(oracle[0]) >= 5, f"the loader inside the root resolved {len(oracle[0])} objects")
        ok &= check(found == oracle[0] and missing == oracle[1],
                    f"cuslim agrees with the loader inside the root ({len(found)} objects)"
                    + ("" if found == oracle[0] else f"\n  loader only: {sorted(oracle[0] - found)}\n  cuslim only: {sorted(found - oracle[0])}"))
        vendor = [o for o in doc["objects"] if (o["path"] or "").startswith("/opt/vendor/lib/")]
        ok &= check(vendor and all(o["how"] == "ld.so.cache" for o in vendor), "vendor libraries found through the root's cache")
        ok &= check(rc == 0, "exit 0 when everything resolves")

        # An absolute symlink to a host file must resolve inside the root, where it dangles.
        outside = tmp + "/outside"
        os.makedirs(outside)
        shutil.copy2(os.path.realpath("/lib/x86_64-linux-gnu/libz.so.1"), outside + "/libz.so.1")
        os.remove(root + "/opt/vendor/lib/libz.so.1")
        os.symlink(outside + "/libz.so.1", root + "/opt/vendor/lib/libz.so.1")
        subprocess.run(["ldconfig", "-X", "-r", root], check=True)
        oracle = loader_inside(root, PROGRAM)
        found, missing, doc, rc = cuslim(binary, root, PROGRAM)
        ok &= check("libz.so.1" in oracle[1], "the loader inside cannot follow the escaping symlink")
        ok &= check(missing == oracle[1] and rc == 1,
                    "cuslim reports libz.so.1 missing too, exit 1 (the host file is never used)")
        ok &= check(not any(outside in (o["realpath"] or "") for o in doc["objects"]), "no object outside the root")

        # Without a cache, cuslim falls back to the root's ld.so.conf (as an image's cache is rebuilt at start).
        os.remove(root + "/etc/ld.so.cache")
        found, missing, doc, rc = cuslim(binary, root, PROGRAM)
        vendor = [o for o in doc["objects"] if (o["path"] or "").startswith("/opt/vendor/lib/")]
        ok &= check(vendor and all(o["how"] == "ld.so.conf" for o in vendor), "no cache: vendor libraries found through ld.so.conf")
    print("foreign root: " + ("passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
