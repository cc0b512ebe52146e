#!/usr/bin/env python3
"""Hostile layers: each crafted image must be refused (exit 3, naming the layer and the entry)
or neutralised, and nothing may ever appear outside the staging dir. The images are OCI layouts
written here with tarfile; cuslim reads them through `slim` (and `run` for one case).

usage: hostile_layers.py CUSLIM
"""
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time


def blob(layout, data):
    d = hashlib.sha256(data).hexdigest()
    os.makedirs(f"{layout}/blobs/sha256", exist_ok=True)
    with open(f"{layout}/blobs/sha256/{d}", "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + d, "size": len(data)}


def layer(entries):
    """entries: (TarInfo, bytes or None)"""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for info, data in entries:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def image(layout, layers, entrypoint=None):
    descs = [dict(blob(layout, l), mediaType="application/vnd.oci.image.layer.v1.tar") for l in layers]
    diff_ids = [d["digest"] for d in descs]
    cfg = {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids},
           "config": {"Entrypoint": entrypoint} if entrypoint else {}}
    c = dict(blob(layout, json.dumps(cfg).encode()), mediaType="application/vnd.oci.image.config.v1+json")
    m = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": c, "layers": descs}
    md = dict(blob(layout, json.dumps(m).encode()), mediaType="application/vnd.oci.image.manifest.v1+json")
    with open(f"{layout}/index.json", "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [md]}, f)
    with open(f"{layout}/oci-layout", "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


def info(name, kind=tarfile.REGTYPE, data=b"x", link="", mode=0o644):
    i = tarfile.TarInfo(name)
    i.type, i.linkname, i.mode = kind, link, mode
    i.size = len(data) if kind == tarfile.REGTYPE else 0
    return i, (data if kind == tarfile.REGTYPE else None)


def main():
    cuslim = os.path.abspath(sys.argv[1])
    fails = 0
    with tempfile.TemporaryDirectory(prefix="cuslim-hostile-") as tmp:
        outside = f"{tmp}/outside"
        os.makedirs(outside)

        def check(cond, what):
            nonlocal fails
            print(("ok   " if cond else "FAIL ") + what)
            fails += not cond

        def slim(name, layers, want_refused, needle=""):
            layout = f"{tmp}/{name}"
            image(layout, layers)
            r = subprocess.run([cuslim, "slim", layout, "-o", f"{tmp}/{name}-out", "--format", "dir", "--keep", "*", "--no-keep-set", "-q"],
                               capture_output=True, text=True)
            clean = os.listdir(outside) == []
            if want_refused:
                check(r.returncode == 3 and needle in r.stderr and "layer" in r.stderr and clean,
                      f"{name}: refused (exit {r.returncode}): {r.stderr.strip()[:150]}; outside untouched: {clean}")
            else:
                check(r.returncode == 0 and clean, f"{name}: neutralised (exit {r.returncode}) {r.stderr.strip()[:120]}; outside untouched: {clean}")
            return r

        slim("path-traversal", [layer([info("../../outside/pwned")])], True, "'..' refused")
        slim("absolute-name", [layer([info(outside + "/pwned")])], True, "absolute name refused")
        # Symlinks are resolved inside the root (as openat2 RESOLVE_IN_ROOT would): the write lands in the image.
        slim("symlink-escape", [layer([info("evil", tarfile.SYMTYPE, link=outside)]), layer([info("evil/pwned")])], False)
        check(os.path.isfile(f"{tmp}/symlink-escape-out{outside}/pwned"), "symlink-escape: the file landed inside the image, at the re-rooted target")
        slim("symlink-escape-relative", [layer([info("a", tarfile.DIRTYPE, mode=0o755), info("a/up", tarfile.SYMTYPE, link="../../../../../../.." + outside)]),
                                         layer([info("a/up/pwned")])], False)
        check(os.path.isfile(f"{tmp}/symlink-escape-relative-out{outside}/pwned"), "symlink-escape-relative: '..' clamped at the image root")
        slim("hardlink-through-symlink", [layer([info("evil", tarfile.SYMTYPE, link=outside)]),
                                          layer([info("evil/t"), info("hl", tarfile.LNKTYPE, link="evil/t")])], False)
        slim("hardlink-escape", [layer([info("hl", tarfile.LNKTYPE, link="../../outside/target")])], True, "'..' refused")
        slim("hardlink-absolute", [layer([info("hl", tarfile.LNKTYPE, link="/etc/passwd")])], True, "hard link 'hl': entry '/etc/passwd': absolute name refused")
        slim("whiteout-dotdot", [layer([info("f")]), layer([info("../.wh.outside")])], True, "'..' refused")
        slim("name-too-long", [layer([info("a" * 5000)])], True, "File name too long")
        slim("component-too-long", [layer([info("d/" + "b" * 300)])], True, "File name too long")
        slim("symlink-named-dot", [layer([info(".", tarfile.SYMTYPE, link=outside)]), layer([info("pwned")])], True, "at the root")
        r = slim("device-node", [layer([info("dev/evil", tarfile.CHRTYPE), info("ok")])], False)
        out = f"{tmp}/device-node-out"
        check(not os.path.exists(f"{out}/dev/evil"), "device-node: the node was recorded, not created")
        r = subprocess.run([cuslim, "run", "--gpu", "off", f"{tmp}/path-traversal", "--", "/bin/true"], capture_output=True, text=True)
        check(r.returncode == 3 and "'..' refused" in r.stderr and os.listdir(outside) == [], f"run refuses the path traversal too (exit {r.returncode})")
        # A layer's whiteouts hide the lower layers only, wherever they stand in its tar (OCI image-spec).
        lower = layer([info("d", tarfile.DIRTYPE, mode=0o755), info("d/old"), info("e", tarfile.DIRTYPE, mode=0o755), info("e/gone"), info("e/same")])
        upper = layer([info("d", tarfile.DIRTYPE, mode=0o755), info("d/-new"), info("d/.wh..wh..opq"), info("d/zz"),
                       info("e/same", data=b"new"), info("e/.wh.same"), info("e/.wh.gone")])
        slim("whiteouts-after-siblings", [lower, upper], False)
        out = f"{tmp}/whiteouts-after-siblings-out"
        got = sorted(os.listdir(f"{out}/d")) if os.path.isdir(f"{out}/d") else None
        check(got == ["-new", "zz"], f"opaque marker after a sibling of its own layer: lower files gone, the layer's kept ({got})")
        same = open(f"{out}/e/same", "rb").read() if os.path.exists(f"{out}/e/same") else None
        check(same == b"new" and not os.path.exists(f"{out}/e/gone"), f"a whiteout after its own layer's file of that name spares it ({same}); the lower one named goes")
        # A blob that is a fifo: refused at once, never a blocked reader.
        layout = f"{tmp}/fifo-blob"
        image(layout, [layer([info("f")])])
        m = json.load(open(layout + "/blobs/sha256/" + json.load(open(layout + "/index.json"))["manifests"][0]["digest"][7:]))
        lb = f"{layout}/blobs/sha256/{m['layers'][0]['digest'][7:]}"
        os.remove(lb)
        os.mkfifo(lb)
        try:
            r = subprocess.run([cuslim, "verify", layout], capture_output=True, text=True, timeout=60)
            check(r.returncode == 3 and "not a regular file" in r.stderr, f"a fifo as a layer blob: exit {r.returncode}: {r.stderr.strip()[:150]}")
        except subprocess.TimeoutExpired:
            check(False, "a fifo as a layer blob: verify hung")
        # A corrupt first byte (the gzip or tar header breaks first): still a digest mismatch.
        for kind, data in (("gzip", None), ("tar", layer([info("f")]))):
            layout = f"{tmp}/flip-{kind}"
            if data is None:
                import gzip
                data = gzip.compress(layer([info("f", data=os.urandom(4096))]))
            image(layout, [data])
            m = json.load(open(layout + "/blobs/sha256/" + json.load(open(layout + "/index.json"))["manifests"][0]["digest"][7:]))
            lb = f"{layout}/blobs/sha256/{m['layers'][0]['digest'][7:]}"
            b = bytearray(open(lb, "rb").read())
            b[0] ^= 0xFF
            open(lb, "wb").write(bytes(b))
            r = subprocess.run([cuslim, "verify", layout], capture_output=True, text=True, timeout=60)
            check(r.returncode == 3 and "digest mismatch" in r.stderr, f"a {kind} layer with its first byte flipped: digest mismatch (exit {r.returncode}: {r.stderr.strip()[:150]})")
        # Bytes after the gzip stream: libarchive stops there quietly, Go's reader (docker,
        # containerd, umoci) fails; refused. Two members in a row are one valid stream.
        import gzip
        plain = layer([info("f", data=os.urandom(4096))])
        for name, data, ok in (("gzip-trailing", gzip.compress(plain) + b"GARBAGE" * 10, False),
                               ("gzip-two-members", gzip.compress(plain[:1024]) + gzip.compress(plain[1024:]), True)):
            layout = f"{tmp}/{name}"
            image(layout, [plain])  # then the layer swapped for its gzip form, digests and diff_id right
            mpath = layout + "/blobs/sha256/" + json.load(open(layout + "/index.json"))["manifests"][0]["digest"][7:]
            m = json.load(open(mpath))
            m["layers"][0] = dict(blob(layout, data), mediaType="application/vnd.oci.image.layer.v1.tar+gzip")
            md = dict(blob(layout, json.dumps(m).encode()), mediaType="application/vnd.oci.image.manifest.v1+json")
            json.dump({"schemaVersion": 2, "manifests": [md]}, open(layout + "/index.json", "w"))
            r = subprocess.run([cuslim, "verify", layout], capture_output=True, text=True, timeout=60)
            if ok:  # read whole (verify fails it only as "not an image": one file, no program)
                check(r.returncode == 1 and r.stderr == "" and "FAIL contents" in r.stdout, f"{name}: verify reads it (exit {r.returncode}: {r.stderr.strip()[:150]})")
                r = subprocess.run([cuslim, "slim", layout, "-o", f"{tmp}/{name}-out", "--format", "dir", "--keep", "*", "--no-keep-set", "-q"],
                                   capture_output=True, text=True)
                check(r.returncode == 0 and os.path.getsize(f"{tmp}/{name}-out/f") == 4096, f"{name}: slim unpacks it (exit {r.returncode}: {r.stderr.strip()[:150]})")
            else:
                check(r.returncode == 3 and "70 bytes after the end of the gzip stream" in r.stderr,
                      f"{name}: verify refuses it (exit {r.returncode}: {r.stderr.strip()[:200]})")
                r = subprocess.run([cuslim, "slim", layout, "-o", f"{tmp}/{name}-out", "--keep", "*", "--no-keep-set", "-q"],
                                   capture_output=True, text=True)
                check(r.returncode == 3 and not os.path.exists(f"{tmp}/{name}-out"), f"{name}: slim refuses it, no output (exit {r.returncode})")
        big = layer([info(f"d{i // 1000}/f{i}", data=b"") for i in range(100_000)])
        t0 = time.time()
        r = slim("100k-entries", [big], False)
        check(r.returncode == 0, f"100k-entries: {time.time() - t0:.1f} s")
    print(f"{fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
