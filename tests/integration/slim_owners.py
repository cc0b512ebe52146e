#!/usr/bin/env python3
"""Owners and modes slim keeps from an image's layers, where layers interact:
- a directory no entry records (made on the way to a file) is 0755 root's whatever the umask
  (the same input gives the same bytes under umask 022 and 077);
- a whiteout after its own layer's entries spares them and their owners, and hides what the
  lower layers hold there (OCI: a whiteout applies to the lower layers only);
- an opaque directory forgets the owners of what it hides: a directory made again without an
  entry is root's, as umoci unpacks it;
- a directory a later layer re-modes and re-owns (RUN chmod 700 /data) keeps that mode and owner
  when the layer below is reused whole -- read back through umoci;
- a setuid bit stripped on unpacking is said for a kept file;
- unpacked by a non-root user, a 0000 file (UBI's /etc/shadow) and a 0500 directory a later layer
  writes into are read and written as needed and ship with their stored modes; the staging dir
  is gone afterwards.

usage: slim_owners.py CUSLIM
"""
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402
from hostile_layers import image, info, layer  # noqa: E402


def entry(name, kind=tarfile.REGTYPE, mode=0o644, uid=0, gid=0, data=b"x"):
    i, d = info(name, kind, data=data, mode=mode)
    i.uid, i.gid = uid, gid
    return i, d


def listing(tar_path):
    """name -> (mode, uid, gid) of a tar, as the tar says."""
    with tarfile.open(tar_path) as t:
        return {m.name.rstrip("/"): (m.mode, m.uid, m.gid) for m in t.getmembers()}


def slim(cuslim, img, out, *keep, umask=None):
    argv = [cuslim, "slim", "-q", img, "-o", out, "--no-keep-set"] + [a for k in keep for a in ("--keep", k)]
    pre = (lambda: os.umask(umask)) if umask is not None else None
    return subprocess.run(argv, capture_output=True, text=True, preexec_fn=pre)


def main():
    cuslim = os.path.abspath(sys.argv[1])
    D = tarfile.DIRTYPE
    with tempfile.TemporaryDirectory(prefix="cuslim-owners-", dir="/var/tmp") as tmp:
        # --- directories no entry records, under two umasks -------------------------------------
        img = f"{tmp}/implicit"
        image(img, [layer([entry("a/b/c", uid=7, gid=7)])])
        outs = {}
        for um in (0o022, 0o077):
            outs[um] = f"{tmp}/implicit-{um:o}.tar"
            r = slim(cuslim, img, outs[um], "/a/*", umask=um)
            check(f"slim of a layer without directory entries under umask {um:03o} (exit {r.returncode})", r.returncode == 0, r.stderr)
        same = all(os.path.exists(o) for o in outs.values()) and open(outs[0o022], "rb").read() == open(outs[0o077], "rb").read()
        check("the same bytes whatever the umask", same)
        got = listing(outs[0o077]) if os.path.exists(outs[0o077]) else {}
        check("unrecorded directories are 0755 0:0, the file keeps its owner",
              got.get("a", (0,))[0] == 0o755 and got.get("a/b") == (0o755, 0, 0) and got.get("a/b/c") == (0o644, 7, 7), got)

        # --- whiteouts and opaque dirs -------------------------------------------------------------
        img = f"{tmp}/wh"
        lower = layer([entry("w/", D, 0o755, 1000, 1000), entry("w/old", uid=1000, gid=1000),
                       entry("o/", D, 0o755), entry("o/sub/", D, 0o700, 1000, 1000), entry("o/sub/x", uid=1000, gid=1000)])
        upper = layer([entry("w/", D, 0o700, 2500, 2500), entry("w/f", mode=0o600, uid=2500, gid=2500), entry(".wh.w"),
                       entry("o/.wh..wh..opq"), entry("o/sub/y", uid=3, gid=3)])
        image(img, [lower, upper])
        r = slim(cuslim, img, f"{tmp}/wh.tar", "/w*", "/o/*")
        got = listing(f"{tmp}/wh.tar") if r.returncode == 0 else {}
        check("a whiteout after its own layer's entries keeps them and their owners (w 0700 2500, w/f 2500) and hides the lower w/old",
              got.get("w") == (0o700, 2500, 2500) and got.get("w/f") == (0o600, 2500, 2500) and "w/old" not in got, got or r.stderr)
        check("an opaque dir forgets what it hides: o/sub made again without an entry is 0755 0:0, x gone, y kept",
              got.get("o/sub") == (0o755, 0, 0) and "o/sub/x" not in got and got.get("o/sub/y") == (0o644, 3, 3), got)

        # --- a directory re-moded above a reused layer ---------------------------------------------
        img = f"{tmp}/reuse"
        base = layer([entry("base/", D), entry("base/f"), entry("data/", D), entry("data/file")])
        chmod = layer([entry("data/", D, 0o700, 1000, 1000), entry("junk")])
        image(img, [base, chmod])
        r = subprocess.run([cuslim, "slim", img, "-o", f"{tmp}/reuse-oci", "--tag", "t", "--no-keep-set", "--keep", "/base*", "--keep", "/data*"],
                           capture_output=True, text=True)
        check("slim to OCI reuses the bottom layer", r.returncode == 0 and "kept whole from the input" in r.stdout, r.stdout + r.stderr)
        if shutil.which("umoci") and r.returncode == 0:
            u = f"{tmp}/reuse-unpacked"
            subprocess.run(["umoci", "unpack", "--image", f"{tmp}/reuse-oci:t", u], capture_output=True)
            st = os.stat(f"{u}/rootfs/data") if os.path.exists(f"{u}/rootfs/data") else None
            check("umoci unpacks /data as the last layer left it (0700 1000:1000), not as the reused layer had it",
                  st is not None and (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o700, 1000, 1000),
                  st and (oct(st.st_mode), st.st_uid, st.st_gid))
        r = slim(cuslim, img, f"{tmp}/reuse.tar", "/base*", "/data*")
        got = listing(f"{tmp}/reuse.tar") if r.returncode == 0 else {}
        check("a tar output agrees (data 0700 1000:1000)", got.get("data") == (0o700, 1000, 1000), got or r.stderr)

        # --- a hard link whose entry names another owner: one inode, one owner ----------------------
        img = f"{tmp}/hardlink"
        a = entry("h/a", uid=1000, gid=1000)
        b, _ = entry("h/b", tarfile.LNKTYPE, uid=2000, gid=2000)
        b.linkname = "h/a"
        image(img, [layer([entry("h/", D), a, (b, None)])])
        r = slim(cuslim, img, f"{tmp}/hardlink.tar", "/h/*")
        got = listing(f"{tmp}/hardlink.tar") if r.returncode == 0 else {}
        check("both names of a hard-linked file carry the inode's owner (1000) in the tar",
              got.get("h/a", (0, 0))[1] == 1000 and got.get("h/b", (0, 0))[1] == 1000, got or r.stderr)

        # --- a setuid bit stripped on unpacking, for a kept file -------------------------------------
        img = f"{tmp}/suid"
        image(img, [layer([entry("usr/", D), entry("usr/su2", mode=0o4755), entry("usr/plain", mode=0o755)])])
        r = slim(cuslim, img, f"{tmp}/suid.tar", "/usr/*")
        got = listing(f"{tmp}/suid.tar") if r.returncode == 0 else {}
        check("an image's setuid file is kept 0755 and the stripping is said for it alone",
              got.get("usr/su2", (0,))[0] == 0o755 and "/usr/su2: setuid/setgid bit stripped" in r.stderr and "/usr/plain" not in r.stderr,
              (got, r.stderr))

        # --- unpacked by a non-root user: files and dirs without owner access ----------------------
        img = f"{tmp}/locked"
        image(img, [layer([entry("etc/", D), entry("etc/shadow", mode=0o000, data=b"root:*:1::::::\n"),
                           entry("locked/", D, 0o500), entry("locked/f", mode=0o400)]),
                    layer([entry("locked/g", mode=0o644)])])
        user = tmp + "/user"
        os.makedirs(user + "/tmp")
        for d in (user, user + "/tmp"):
            os.chown(d, 65534, 65534)
        os.chmod(tmp, 0o755)

        def as_nobody():
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
        env = dict(os.environ, TMPDIR=user + "/tmp")
        outs = {"tar": f"{user}/locked.tar", "dir": f"{user}/locked-dir"}
        for fmt, out in outs.items():
            r = subprocess.run([cuslim, "slim", "-q", img, "-o", out, "--format", fmt, "--no-keep-set", "--keep", "/etc/*", "--keep", "/locked*"],
                               capture_output=True, text=True, env=env, preexec_fn=as_nobody)
            check(f"a non-root slim ({fmt}) of an image with a 0000 file and a 0500 dir a later layer writes into (exit {r.returncode})",
                  r.returncode == 0, r.stderr)
        got = listing(outs["tar"]) if os.path.exists(outs["tar"]) else {}
        check("the tar keeps the stored modes: etc/shadow 0000, locked 0500, locked/f 0400, locked/g 0644",
              got.get("etc/shadow", (1,))[0] == 0 and got.get("locked", (0,))[0] == 0o500 and got.get("locked/f", (0,))[0] == 0o400 and
              got.get("locked/g", (0,))[0] == 0o644, got)
        modes = {}
        for rel in ("etc/shadow", "locked", "locked/f", "locked/g"):
            p = os.path.join(outs["dir"], rel)
            modes[rel] = oct(os.lstat(p).st_mode & 0o7777) if os.path.lexists(p) else None
        check("the dir output too", modes == {"etc/shadow": "0o0", "locked": "0o500", "locked/f": "0o400", "locked/g": "0o644"}, modes)
        check("no staging dir left behind", os.listdir(user + "/tmp") == [], os.listdir(user + "/tmp"))
        if os.path.isdir(outs["dir"] + "/locked"):
            os.chmod(outs["dir"] + "/locked", 0o700)  # for the cleanup
    return finish()


if __name__ == "__main__":
    sys.exit(main())
