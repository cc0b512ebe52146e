#!/usr/bin/env python3
"""Rules of reading and writing images, pinned by their outcome:
- whiteouts and opaque directories of a later layer remove what earlier layers put there (the
  resulting tree, read back through `cuslim slim --keep '*' --format dir`);
- setuid/setgid bits are stripped when reading an image, kept with --keep-setuid;
- a config whose Env holds a non-string is an input error (exit 3) that names the config, and
  leaves no staging directory behind;
- a bundled libcudart puts NVIDIA_REQUIRE_CUDA=cuda>=X.Y into the image config;
- a non-directory over a non-empty directory of a lower layer replaces it (docker's, umoci's rule);
- docker-archive:FILE:REF (and :@N) picks that image of a multi-image archive, which without a REF
  is an error listing the images; a docker-archive written as `tar -cf x.tar .` (./ names) is one;
  an oci-archive's errors name the archive, not a staging dir;
- `--base DIR:TAG` is an OCI layout's tag, not a profile; slim --json counts what it dropped.

usage: layer_semantics.py CUSLIM
"""
import glob
import io
import json
import re
import os
import stat
import subprocess
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402
from hostile_layers import blob, image, info, layer  # noqa: E402


def run(*argv, env=None):
    return subprocess.run(list(argv), capture_output=True, text=True, env=env)


def tree(root):
    out = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            out["/" + os.path.relpath(p, root)] = os.lstat(p).st_mode
    return out


def main():
    cuslim = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="cuslim-layers-") as tmp:
        # --- whiteouts, opaque dirs, setuid ---------------------------------------------------
        lower = layer([info("etc/", tarfile.DIRTYPE), info("etc/keep.conf"), info("etc/gone.conf"),
                       info("opq/", tarfile.DIRTYPE), info("opq/old1"), info("opq/sub/", tarfile.DIRTYPE),
                       info("opq/sub/old2"), info("bin/", tarfile.DIRTYPE),
                       info("bin/su", mode=0o4755), info("bin/wall", mode=0o2755)])
        upper = layer([info("etc/", tarfile.DIRTYPE), info("etc/.wh.gone.conf"),
                       info("opq/", tarfile.DIRTYPE), info("opq/.wh..wh..opq"), info("opq/new")])
        img = f"{tmp}/img"
        image(img, [lower, upper])
        for keep_setuid in (False, True):
            out = f"{tmp}/tree-{keep_setuid}"
            argv = [cuslim, "slim", "-q", img, "-o", out, "--format", "dir", "--keep", "*", "--no-keep-set"]
            r = run(*argv + (["--keep-setuid"] if keep_setuid else []))
            check(f"slim --keep '*' --format dir reads the two layers (keep_setuid={keep_setuid})", r.returncode == 0, r.stderr)
            t = tree(out) if r.returncode == 0 else {}
            if not keep_setuid:
                check("a whiteout removes the lower layer's file, its sibling stays",
                      "/etc/gone.conf" not in t and "/etc/.wh.gone.conf" not in t and "/etc/keep.conf" in t, sorted(t))
                check("an opaque dir hides everything below it from lower layers, keeps the upper's",
                      "/opq/new" in t and not any(p.startswith(("/opq/old1", "/opq/sub")) for p in t)
                      and "/opq/.wh..wh..opq" not in t, sorted(t))
                check("setuid and setgid bits are stripped by default",
                      "/bin/su" in t and not t["/bin/su"] & (stat.S_ISUID | stat.S_ISGID)
                      and not t.get("/bin/wall", 0) & (stat.S_ISUID | stat.S_ISGID), {k: oct(v) for k, v in t.items() if k.startswith("/bin")})
            else:
                check("--keep-setuid keeps them", t.get("/bin/su", 0) & stat.S_ISUID and t.get("/bin/wall", 0) & stat.S_ISGID,
                      {k: oct(v) for k, v in t.items() if k.startswith("/bin")})

        # --- a config of the wrong shape --------------------------------------------------------
        bad = f"{tmp}/bad"
        image(bad, [layer([info("x")])])
        idx = json.load(open(f"{bad}/index.json"))
        man = json.load(open(f"{bad}/blobs/sha256/{idx['manifests'][0]['digest'][7:]}"))
        cfg = json.load(open(f"{bad}/blobs/sha256/{man['config']['digest'][7:]}"))
        cfg["config"] = {"Env": [1]}
        man["config"] = dict(blob(bad, json.dumps(cfg).encode()), mediaType=man["config"]["mediaType"])
        idx["manifests"][0] = dict(blob(bad, json.dumps(man).encode()), mediaType=idx["manifests"][0]["mediaType"])
        json.dump(idx, open(f"{bad}/index.json", "w"))
        tmpdir = f"{tmp}/tmpdir"
        os.makedirs(tmpdir)
        env = dict(os.environ, TMPDIR=tmpdir)
        for cmd in (["verify"], ["run", "--gpu", "off"], ["slim", "-o", f"{tmp}/bad-out"]):
            r = run(cuslim, *cmd[:1], bad, *cmd[1:], env=env)
            config_name = man["config"]["digest"][7:]
            check(f"{cmd[0]}: \"Env\": [1] is exit 3 naming the config and the field ({r.stderr.strip()[:120]})",
                  r.returncode == 3 and config_name in r.stderr and "Env[0]" in r.stderr, f"rc={r.returncode} {r.stderr}")
            check(f"{cmd[0]}: no staging dir left behind", os.listdir(tmpdir) == [], os.listdir(tmpdir))

        # --- config values execve or the platform cannot take: an Env entry that is not NAME=VALUE
        # (no '=', a NUL), an os that is not a string: exit 3 naming the field ---------------------
        for label, edit, field in (("Env [FOO]", lambda c: c["config"].update(Env=["FOO"]), "config.Env[0]"),
                                   ("Env with a NUL", lambda c: c["config"].update(Env=["A=1\u0000B=2"]), "config.Env[0]"),
                                   ("os: 7", lambda c: c.update(os=7), "os")):
            odd = f"{tmp}/odd-{field.replace('.', '-').replace('[', '').replace(']', '')}-{len(label)}"
            image(odd, [layer([info("x")])])
            idx = json.load(open(f"{odd}/index.json"))
            man = json.load(open(f"{odd}/blobs/sha256/{idx['manifests'][0]['digest'][7:]}"))
            cfg = json.load(open(f"{odd}/blobs/sha256/{man['config']['digest'][7:]}"))
            cfg.setdefault("config", {})
            edit(cfg)
            man["config"] = dict(blob(odd, json.dumps(cfg).encode()), mediaType=man["config"]["mediaType"])
            idx["manifests"][0] = dict(blob(odd, json.dumps(man).encode()), mediaType=idx["manifests"][0]["mediaType"])
            json.dump(idx, open(f"{odd}/index.json", "w"))
            r = run(cuslim, "verify", odd)
            check(f"config {label}: exit 3 naming {field} ({r.stderr.strip()[:160]})", r.returncode == 3 and field in r.stderr, f"rc={r.returncode} {r.stderr}")

        # --- a config whose diff_ids do not match its layers (umoci refuses it too) ---------------
        wrong = f"{tmp}/wrong-diff-id"
        image(wrong, [layer([info("a")]), layer([info("b")])])
        idx = json.load(open(f"{wrong}/index.json"))
        man = json.load(open(f"{wrong}/blobs/sha256/{idx['manifests'][0]['digest'][7:]}"))
        cfg = json.load(open(f"{wrong}/blobs/sha256/{man['config']['digest'][7:]}"))
        cfg["rootfs"]["diff_ids"][1] = "sha256:" + "0" * 64
        man["config"] = dict(blob(wrong, json.dumps(cfg).encode()), mediaType=man["config"]["mediaType"])
        idx["manifests"][0] = dict(blob(wrong, json.dumps(man).encode()), mediaType=idx["manifests"][0]["mediaType"])
        json.dump(idx, open(f"{wrong}/index.json", "w"))
        for cmd in (["verify"], ["slim", "-o", f"{tmp}/wrong-out", "--keep", "*"]):
            r = run(cuslim, cmd[0], wrong, *cmd[1:])
            check(f"{cmd[0]}: a diff_id that is not the layer's is exit 3 naming layer 1 ({r.stderr.strip()[:140]})",
                  r.returncode == 3 and "diff_id mismatch" in r.stderr and "layer 1" in r.stderr, f"rc={r.returncode} {r.stderr}")

        # --- a docker-archive whose manifest.json Layers disagree with rootfs.diff_ids (docker load:
        # "layers length mismatch"): a layer repeated, cut, or null is exit 3 naming both ----------
        good = f"{tmp}/good.tar"
        check("bundle a docker-archive of two layers", run(cuslim, "bundle", "-q", "/bin/sh", "-o", good, "--format", "docker-archive",
                                                           "--tag", "app:1", "--layers", "auto").returncode == 0)
        with tarfile.open(good) as t:
            members = {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}
        man = json.loads(members["manifest.json"])
        for label, layers in (("a layer repeated", man[0]["Layers"] + man[0]["Layers"][-1:]), ("layers cut", man[0]["Layers"][:-1] or None),
                              ("Layers null", None)):
            bad_man = [dict(man[0], Layers=layers)]
            path = f"{tmp}/layers-{label.replace(' ', '-')}.tar"
            with tarfile.open(path, "w") as t:
                for name, data in members.items():
                    data = json.dumps(bad_man).encode() if name == "manifest.json" else data
                    ti = tarfile.TarInfo(name)
                    ti.size = len(data)
                    t.addfile(ti, io.BytesIO(data))
            r = run(cuslim, "verify", path)
            check(f"docker-archive, {label}: exit 3 naming diff_ids and Layers ({r.stderr.strip()[:140]})",
                  r.returncode == 3 and "rootfs.diff_ids has" in r.stderr and ".Layers" in r.stderr, f"rc={r.returncode} {r.stderr}")

        # --- NVIDIA_REQUIRE_CUDA from the bundled runtime ----------------------------------------
        lib = f"{tmp}/cuda/lib"
        os.makedirs(lib)
        with open(f"{tmp}/rt.c", "w") as f:
            f.write("int cudaRuntimeGetVersion(int* v){*v=12080;return 0;}\n")
        with open(f"{tmp}/app.c", "w") as f:
            f.write("int cudaRuntimeGetVersion(int*); int main(void){int v; return cudaRuntimeGetVersion(&v);}\n")
        ok = run("cc", "-shared", "-fPIC", "-Wl,-soname,libcudart.so.12", "-o", f"{lib}/libcudart.so.12.8.90", f"{tmp}/rt.c").returncode == 0
        os.symlink("libcudart.so.12.8.90", f"{lib}/libcudart.so.12")
        ok = ok and run("cc", "-o", f"{tmp}/app", f"{tmp}/app.c", f"{lib}/libcudart.so.12",
                        f"-Wl,-rpath,{lib}").returncode == 0
        r = run(cuslim, "bundle", "-q", f"{tmp}/app", "-o", f"{tmp}/app-oci")
        check("bundle of an app on libcudart.so.12.8.90", ok and r.returncode == 0, r.stderr)
        if r.returncode == 0:
            idx = json.load(open(f"{tmp}/app-oci/index.json"))
            man = json.load(open(f"{tmp}/app-oci/blobs/sha256/{idx['manifests'][0]['digest'][7:]}"))
            cfg = json.load(open(f"{tmp}/app-oci/blobs/sha256/{man['config']['digest'][7:]}"))
            env_list = cfg["config"].get("Env", [])
            check("the config says NVIDIA_REQUIRE_CUDA=cuda>=12.8 driver>=525.60.13 (12.x's minor-version floor as the alternative)",
                  "NVIDIA_REQUIRE_CUDA=cuda>=12.8 driver>=525.60.13" in env_list, env_list)
            check("... and the NVIDIA container settings", "NVIDIA_VISIBLE_DEVICES=all" in env_list
                  and "NVIDIA_DRIVER_CAPABILITIES=compute,utility" in env_list, env_list)
        # --- a symlink or a file over a non-empty directory of a lower layer ---------------------
        lower = layer([info("opt/", tarfile.DIRTYPE), info("opt/app/", tarfile.DIRTYPE), info("opt/app/old"),
                       info("opt/app2/", tarfile.DIRTYPE), info("opt/app2/new"), info("opt/data/", tarfile.DIRTYPE), info("opt/data/x")])
        upper = layer([info("opt/app", tarfile.SYMTYPE, link="app2"), info("opt/data")])
        rep = f"{tmp}/replace"
        image(rep, [lower, upper])
        out = f"{tmp}/replace-tree"
        r = run(cuslim, "slim", "-q", rep, "-o", out, "--format", "dir", "--keep", "*", "--no-keep-set")
        check("slim reads a layer that puts a symlink and a file over non-empty directories", r.returncode == 0, r.stderr)
        if r.returncode == 0:
            check("... the symlink replaced the directory and all it held",
                  os.path.islink(f"{out}/opt/app") and os.readlink(f"{out}/opt/app") == "app2" and os.path.exists(f"{out}/opt/app2/new"))
            check("... the file replaced the other", os.path.isfile(f"{out}/opt/data") and not os.path.islink(f"{out}/opt/data"))

        # --- docker-archive REFs, ./ names, oci-archive errors, --base DIR:TAG, slim --json ------
        ok = True
        for name, prog in (("a", "/bin/true"), ("b", "/bin/ls")):
            r = run(cuslim, "bundle", "-q", prog, "-o", f"{tmp}/{name}.tar", "--format", "docker-archive", "--tag", f"{name}:1")
            ok = ok and r.returncode == 0
        check("two docker-archives", ok)
        if ok:
            m = f"{tmp}/m"
            os.makedirs(m)
            manifest = []
            for name in ("a", "b"):
                with tarfile.open(f"{tmp}/{name}.tar") as t:
                    t.extractall(m)
                    manifest += json.load(t.extractfile("manifest.json"))
            json.dump(manifest, open(f"{m}/manifest.json", "w"))
            with tarfile.open(f"{tmp}/ab.tar", "w") as t:
                t.add(f"{m}/manifest.json", "manifest.json")
                t.add(f"{m}/blobs", "blobs")
            def files_of(ref):
                r = run(cuslim, "report", ref, "--json")
                return r.returncode, (json.loads(r.stdout)["files"] if r.returncode == 0 else None), r.stderr
            ra, fa, _ = files_of(f"docker-archive:{tmp}/a.tar")
            rb, fb, _ = files_of(f"docker-archive:{tmp}/b.tar")
            r1, f1, _ = files_of(f"docker-archive:{tmp}/ab.tar:b:1")
            r2, f2, _ = files_of(f"docker-archive:{tmp}/ab.tar:@0")
            check("docker-archive:FILE:REF and :@N pick that image", fa != fb and (r1, f1) == (0, fb) and (r2, f2) == (0, fa), (fa, fb, f1, f2))
            r3, _, err3 = files_of(f"{tmp}/ab.tar")
            check("a multi-image docker-archive without a REF is exit 2 listing the images", r3 == 2 and "a:1" in err3 and "b:1" in err3, err3)
            r4, _, err4 = files_of(f"docker-archive:{tmp}/ab.tar:nope:9")
            check("an unknown REF is exit 3 naming the archive and the images it has", r4 == 3 and "ab.tar" in err4 and "a:1" in err4, err4)
            with tarfile.open(f"{tmp}/dot.tar", "w") as t:  # what `tar -C dir -cf dot.tar .` writes
                with tarfile.open(f"{tmp}/a.tar") as a:
                    a.extractall(f"{tmp}/dot")
                t.add(f"{tmp}/dot", ".")
            r5, f5, err5 = files_of(f"{tmp}/dot.tar")
            check("a docker-archive with ./ names is read as one", (r5, f5) == (0, fa), err5)
        r = run(cuslim, "bundle", "-q", "/bin/true", "-o", f"{tmp}/oa.tar", "--format", "oci-archive", "--tag", "one")
        if r.returncode == 0:
            r = run(cuslim, "report", f"oci-archive:{tmp}/oa.tar:zzz")
            check("an oci-archive's errors name the archive, not a staging dir", r.returncode == 3 and f"{tmp}/oa.tar" in r.stderr
                  and "cuslim-run-" not in r.stderr and "one" in r.stderr, r.stderr)
        r = run(cuslim, "bundle", "-q", "/bin/true", "-o", f"{tmp}/bl", "--tag", "t")
        r2 = run(cuslim, "bundle", "-q", "/bin/ls", "--base", f"{tmp}/bl:t", "-o", f"{tmp}/on-base", "--tag", "x")
        check("--base DIR:TAG is that layout's image, not a profile name", r.returncode == 0 and r2.returncode == 0, r2.stderr)
        r = run(cuslim, "slim", rep, "-o", f"{tmp}/slim-none", "--format", "dir")
        check("slim of an image with nothing to keep says so, naming the image (exit 2)", r.returncode == 2 and rep in r.stderr
              and "nothing to keep" in r.stderr, r.stderr)
        r = run(cuslim, "slim", rep, "-o", f"{tmp}/slim-json", "--format", "dir", "--json", "--keep", "/opt/app2/*")
        j = json.loads(r.stdout) if r.returncode == 0 else {}
        check("slim --json counts the dropped files and bytes", isinstance(j.get("dropped_files"), int) and j["dropped_files"] > 0
              and isinstance(j.get("dropped_bytes"), int), {k: j.get(k) for k in ("dropped_files", "dropped_bytes")} or r.stderr)
        # --- archives told by their names: a `docker save` whose manifest.json comes after many layer
        # entries, and Docker 25's, which holds an OCI layout and a manifest.json both ---
        if ok:
            with tarfile.open(f"{tmp}/late.tar", "w") as t:
                t.add(f"{m}/blobs", "blobs")
                pad = f"{tmp}/VERSION"
                open(pad, "w").write("1.0")
                for k in range(80):  # classic layer dirs' VERSION files: archive entries, before the manifest
                    t.add(pad, "%064x/VERSION" % k)
                with tarfile.open(f"{tmp}/a.tar") as a_tar:
                    t.addfile(a_tar.getmember("manifest.json"), a_tar.extractfile("manifest.json"))
            r = run(cuslim, "report", "--json", f"{tmp}/late.tar")
            kind = json.loads(r.stdout).get("image_kind") if r.returncode == 0 else r.stderr
            check("a docker-archive whose manifest.json follows 80 layer entries is read as one (not a rootfs)", kind == "docker-archive", kind)
            r = run(cuslim, "bundle", "-q", "/bin/true", "-o", f"{tmp}/oa2.tar", "--format", "oci-archive", "--tag", "d25")
            dual = f"{tmp}/d25"
            os.makedirs(dual)
            with tarfile.open(f"{tmp}/oa2.tar") as t:
                t.extractall(dual)
            index = json.load(open(f"{dual}/index.json"))
            man = json.load(open(f"{dual}/blobs/sha256/" + index["manifests"][0]["digest"][7:]))
            json.dump([{"Config": "blobs/sha256/" + man["config"]["digest"][7:], "RepoTags": ["d25:1"],
                        "Layers": ["blobs/sha256/" + l["digest"][7:] for l in man["layers"]]}], open(f"{dual}/manifest.json", "w"))
            with tarfile.open(f"{tmp}/dual.tar", "w") as t:
                for n in ("blobs", "index.json", "manifest.json", "oci-layout"):
                    t.add(f"{dual}/{n}", n)
            for ref, want in ((f"oci-archive:{tmp}/dual.tar", "oci-archive"), (f"docker-archive:{tmp}/dual.tar", "docker-archive"),
                              (f"{tmp}/dual.tar", "docker-archive")):
                r = run(cuslim, "report", "--json", ref)
                kind = json.loads(r.stdout).get("image_kind") if r.returncode == 0 else r.stderr
                check(f"a Docker 25 save (OCI layout and manifest.json) as {ref.split(':')[0] if ':' in ref else 'a bare path'}: read as {want}",
                      kind == want, kind)
        # --- every layer in JSON has a group (null where cuslim did not write it); a tar output's is "image" ---
        r = run(cuslim, "bundle", "/bin/true", "-o", f"{tmp}/t.tar.zst")
        check("a tar output's summary names its one layer as every layer line does: layer GROUP DIGEST",
              r.returncode == 0 and re.search(r"^  layer image +sha256:[0-9a-f]{64} \(", r.stdout, re.M), r.stdout + r.stderr)
        r = run(cuslim, "bundle", "/bin/true", "-o", f"{tmp}/t2.tar.zst", "--json")
        layers = json.loads(r.stdout)["layers"] if r.returncode == 0 else []
        check("... and its --json layer says group image", [x.get("group") for x in layers] == ["image"], layers or r.stderr)
        r = run(cuslim, "report", "--json", f"{tmp}/t.tar.zst")
        layers = json.loads(r.stdout).get("layers", []) if r.returncode == 0 else None
        check("report --json: every layer carries group (null: not one cuslim named here)",
              layers is not None and all("group" in x and x["group"] is None for x in layers), layers if layers is not None else r.stderr)
        # --- an image of a library alone: libc's PT_INTERP is a program's need, not the library's ---
        libz = os.path.realpath("/lib/x86_64-linux-gnu/libz.so.1")
        if os.path.exists(libz):
            r = run(cuslim, "bundle", "-q", libz, "-o", f"{tmp}/libz-oci", "--tag", "z")
            r2 = run(cuslim, "verify", "--json", f"{tmp}/libz-oci")
            checks = {c["name"]: c for c in json.loads(r2.stdout)["checks"]} if r2.stdout else {}
            nr = checks.get("needed-resolve", {})
            check("verify of a bundled library: needed-resolve passes (libc.so.6's interpreter is not a need of libc)",
                  r.returncode == 0 and nr.get("status") == "pass", nr.get("detail", r.stderr)[:300])
    return finish()


if __name__ == "__main__":
    sys.exit(main())
