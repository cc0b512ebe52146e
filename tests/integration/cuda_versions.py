#!/usr/bin/env python3
"""Issue 16: CUDA versions from library contents, compat verdicts per NVIDIA's rules, and dlopen
edges that follow the loading object's CUDA major.

Real wheels from PyPI (cu11/cu12/13 runtimes, cuBLAS 12.8, cuDNN 9 for CUDA 12, NVRTC 12.8) are
installed with `pip --target` into a cache dir (a pip layout). Checks:
  * `inspect` reads each runtime's CUDA version from its code (libcudart.so.11.0 is 11.8), says
    so in cuda_version_source, and agrees with the wheel's METADATA;
  * the verdict for >= 10 runtime x driver pairs equals NVIDIA's rule as written out below
    (release notes Table 3 minimum drivers, Table 2 minor-version-compat ranges);
  * the cu12 cuDNN closure, on a host whose loader path also holds CUDA 13 (this machine's
    ld.so.cache, or a directory of stand-in CUDA 13 libraries built here), equals ldd's for the
    DT_NEEDED part, and each dlopen edge lands where the real loader puts that name when the
    loading library dlopens it (a probe object in the same directory with the same RUNPATH, read
    by ldd). No library of CUDA 13 may enter the cu12 closure.
Exits 77 (skip) when PyPI cannot be reached or no C compiler is there.

usage: cuda_versions.py CUSLIM CACHE_DIR
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

WHEELS = {
    "cu11": ["nvidia-cuda-runtime-cu11==11.8.89"],
    "cu12": ["nvidia-cuda-runtime-cu12==12.8.90", "nvidia-cublas-cu12==12.8.4.1", "nvidia-cudnn-cu12==9.10.2.21",
             "nvidia-cuda-nvrtc-cu12==12.8.93"],
    "cu129": ["nvidia-cuda-runtime-cu12==12.9.79"],
    "cu13": ["nvidia-cuda-runtime==13.0.96"],
}

# NVIDIA's rule, written out independently of cuslim's table.
MIN_DRIVER = {(11, 8): (520, 61, 5), (12, 8): (570, 26, 0), (12, 9): (575, 51, 3), (13, 0): (580, 65, 6)}
MVC_FLOOR = {11: (450, 80, 2), 12: (525, 60, 13), 13: (580, 65, 6)}
FORWARD = {11: {450}, 12: {470, 515, 520}, 13: {535, 550, 565, 570, 575}}


def nvidia_rule(cuda, driver):
    d = tuple(int(x) for x in driver.split("."))
    d += (0,) * (3 - len(d))
    if d >= MIN_DRIVER[cuda]:
        return "ok"
    if d >= MVC_FLOOR[cuda[0]]:
        return "ok-minor-version-compat"
    if d[0] in FORWARD[cuda[0]]:
        return "needs-forward-compat"
    return "incompatible"


PAIRS = [("cu11", "450.191.01"), ("cu11", "450.51.06"), ("cu11", "450.80.02"), ("cu11", "520.61.05"), ("cu11", "418.40.04"),
         ("cu12", "525.60.13"), ("cu12", "535.104.05"), ("cu12", "570.124.06"), ("cu12", "470.82.01"),
         ("cu129", "525.60.13"), ("cu129", "525.147.05"), ("cu129", "575.57.08"),
         ("cu13", "580.65.06"), ("cu13", "570.124.06"), ("cu13", "470.82.01")]
EXPECT_CUDA = {"cu11": (11, 8), "cu12": (12, 8), "cu129": (12, 9), "cu13": (13, 0)}


def install(cache):
    for tag, pkgs in WHEELS.items():
        target = os.path.join(cache, tag)
        if os.path.isdir(os.path.join(target, "nvidia")):
            continue
        r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", target + ".tmp", *pkgs],
                           capture_output=True, text=True, timeout=1800)
        if r.returncode != 0:
            print(f"skip: pip could not install {pkgs}: {r.stderr.strip()[-300:]}")
            sys.exit(77)
        os.rename(target + ".tmp", target)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def inspect(cuslim, files, *extra):
    r = run([cuslim, "inspect", "--json", *extra, *files])
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def ldd(path, env_path):
    env = dict(os.environ, LD_LIBRARY_PATH=env_path)
    r = run(["ldd", path], env=env)
    out = {}
    for line in r.stdout.splitlines():
        m = re.match(r"\s*(\S+) => (\S+) \(", line)
        if m:
            out[m.group(1)] = os.path.realpath(m.group(2))
        elif "=> not found" in line:
            out[line.split()[0]] = None
    return out


def nvidia_stack_admits(require, driver, driver_cuda):
    """libnvidia-container's dsl_evaluate: space-separated alternatives (OR) of comma-separated
    conditions (AND) on cuda (the driver's CUDA version), driver, arch and brand."""
    def ver(v):
        return [int(x) for x in v.split(".")]
    def holds(cond):
        for op in (">=", "<=", "!=", "=", ">", "<"):
            if op in cond:
                key, val = cond.split(op, 1)
                break
        have = {"cuda": driver_cuda, "driver": driver}[key]
        a, b = ver(have), ver(val)
        return {">=": a >= b, "<=": a <= b, "!=": a != b, "=": a == b, ">": a > b, "<": a < b}[op]
    return any(all(holds(c) for c in alt.split(",") if c) for alt in require.split(" ") if alt)


def main():
    cuslim, cache = sys.argv[1], os.path.abspath(sys.argv[2])  # relative LD_LIBRARY_PATH dirs are not modelled
    if not shutil.which("cc"):
        print("skip: no C compiler for the dlopen probes")
        return 77
    install(cache)
    fails = 0

    def check(cond, what):
        nonlocal fails
        print(("ok   " if cond else "FAIL ") + what)
        fails += not cond

    # 1. Versions from contents.
    cudart = {}
    for tag in EXPECT_CUDA:
        libs = [p for p in glob.glob(f"{cache}/{tag}/nvidia/*/lib/libcudart.so*") if not os.path.islink(p)]
        check(len(libs) == 1, f"{tag}: one libcudart ({libs})")
        if not libs:
            continue
        cudart[tag] = libs[0]
        j = inspect(cuslim, libs)[0]
        want = "%d.%d" % EXPECT_CUDA[tag]
        check(j["cuda_version"] == want and j["cuda_version_source"].startswith("code: cudaRuntimeGetVersion"),
              f"{tag}: {os.path.basename(libs[0])} is CUDA {j['cuda_version']} ({j['cuda_version_source']}), want {want} from its code")
        check(j["version_cross_check"].startswith("agrees with wheel"), f"{tag}: {j['version_cross_check']}")
    for lib, want in (("cublas/lib/libcublasLt.so.12", "12.8.4"), ("cudnn/lib/libcudnn_graph.so.9", "9.10.2"),
                      ("cuda_nvrtc/lib/libnvrtc.so.12", "12.8.93")):  # the code says 12.8; the wheel that agrees, the patch
        j = inspect(cuslim, [f"{cache}/cu12/nvidia/{lib}"])[0]
        check(j["library_version"] == want and j["library_version_source"].startswith("code:"),
              f"cu12: {os.path.basename(lib)} version {j['library_version']} ({j['library_version_source']}), want {want}")
    # In the wheel too, the front libraries' CUDA version is their sibling's code (12.8, 12.9), not
    # the wheel name's major alone ("cu12"), so their verdicts are the exact ones.
    for name, cuda in (("cublas/lib/libcublas.so.12", "12.8"), ("cudnn/lib/libcudnn.so.9", "12.9"), ("cudnn/lib/libcudnn_adv.so.9", "12.9")):
        j = inspect(cuslim, [f"{cache}/cu12/nvidia/{name}"], "--driver-version", "525.60.13")[0]
        check(j["cuda_version"] == cuda and j["cuda_version_source"].startswith("code:"),
              f"cu12 wheel: {os.path.basename(name)} CUDA {j['cuda_version']} ({j['cuda_version_source']}), want {cuda} from code")
    # Outside a wheel (a toolkit or a copied lib dir), a library whose own code does not say takes
    # the version of the one it ships with: libcublas of libcublasLt, cuDNN's front library and
    # engines of libcudnn_graph.
    plain = tempfile.mkdtemp(prefix="cuslim-plain-")
    try:
        for lib in ("cublas/lib/libcublasLt.so.12", "cublas/lib/libcublas.so.12", "cudnn/lib/libcudnn_graph.so.9",
                    "cudnn/lib/libcudnn.so.9", "cudnn/lib/libcudnn_adv.so.9"):
            shutil.copy(f"{cache}/cu12/nvidia/{lib}", plain)
        for name, want, cuda in (("libcublas.so.12", "12.8.4", "12.8"), ("libcudnn.so.9", "9.10.2", "12.9"), ("libcudnn_adv.so.9", "9.10.2", "12.9")):
            j = inspect(cuslim, [os.path.join(plain, name)])[0]
            check(j["library_version"] == want and j["library_version_source"].startswith("code:") and j["cuda_version"] == cuda,
                  f"no wheel: {name} version {j['library_version']} ({j['library_version_source']}), CUDA {j['cuda_version']}; want {want}, CUDA {cuda}")
    finally:
        shutil.rmtree(plain, ignore_errors=True)

    # 2. Runtime x driver verdicts against NVIDIA's rule.
    print("\nruntime      driver       cuslim                   NVIDIA rule")
    for tag, driver in PAIRS:
        if tag not in cudart:
            continue
        got = inspect(cuslim, [cudart[tag]], "--driver-version", driver)[0]["compat"]
        want = nvidia_rule(EXPECT_CUDA[tag], driver)
        check(got["verdict"] == want, "CUDA %-6s on %-11s %-24s %s" % ("%d.%d" % EXPECT_CUDA[tag], driver, got["verdict"], want))
        if got["verdict"] == "needs-forward-compat":
            check("cuda-compat-%d-%d" % EXPECT_CUDA[tag] in got["detail"], f"  advice names cuda-compat-%d-%d" % EXPECT_CUDA[tag])
        if got["verdict"] == "ok-minor-version-compat":
            check("PTX" in got["detail"], "  the PTX-JIT caveat is given")

    # 2b. The image config's NVIDIA_REQUIRE_CUDA comes from the runtime's code too: the cu11 wheel's
    # libcudart.so.11.0 (11.8 inside) asks for cuda>=11.8, not the file name's 11.0.
    if "cu11" in cudart:
        out = tempfile.mkdtemp(prefix="cuslim-req-")
        try:
            run([cuslim, "bundle", "-q", cudart["cu11"], "-o", out + "/img", "--tag", "r"])
            d = out + "/img"
            idx = json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]
            cfg = json.load(open(d + "/blobs/sha256/" + json.load(open(d + "/blobs/sha256/" + idx))["config"]["digest"][7:]))
            env = [e for e in cfg["config"].get("Env", []) if e.startswith("NVIDIA_REQUIRE_CUDA=")]
            want_req = "NVIDIA_REQUIRE_CUDA=cuda>=11.8 driver>=450.80.02"
            check(env == [want_req], f"cu11 bundle (libcudart.so.11.0, 11.8 inside): {env}, want {want_req}")
            # What the NVIDIA container stack makes of it (libnvidia-container's requirement
            # language: a space is OR, a comma AND; cuda compares the driver's CUDA version):
            # it admits the drivers verify calls ok or ok-minor-version-compat, and no other.
            req = env[0].split("=", 1)[1] if env else ""
            for driver, driver_cuda in (("450.191.01", "11.0"), ("450.80.02", "11.0"), ("520.61.05", "11.8"), ("580.65.06", "13.0"),
                                        ("450.51.06", "11.0"), ("440.33.01", "10.2")):
                admits = nvidia_stack_admits(req, driver, driver_cuda)
                want = nvidia_rule((11, 8), driver) in ("ok", "ok-minor-version-compat")
                check(admits == want, f"  the NVIDIA stack {'admits' if admits else 'refuses'} driver {driver}: as the verdict says ({want})")
            # Minor-version compatibility is not forward compatibility: 11.8 on 450.191.01 runs
            # without cuda-compat, so bundle does not ask for it and verify passes the image.
            rt = os.path.dirname(cudart["cu11"])
            with open(out + "/app.c", "w") as f:
                f.write("int cudaRuntimeGetVersion(int*);\nint main(void){int v;return cudaRuntimeGetVersion(&v);}\n")
            r = run(["cc", "-o", out + "/app", out + "/app.c", f"-L{rt}", "-l:libcudart.so.11.0", f"-Wl,-rpath,{rt}"])
            assert r.returncode == 0, r.stderr
            r = run([cuslim, "bundle", "-q", out + "/app", "-o", out + "/mvc", "--tag", "m", "--min-driver", "450.191.01"])
            check(r.returncode == 0 and "cuda-compat" not in r.stderr, f"cu11 bundle for driver 450.191.01 (MVC): no cuda-compat asked ({r.stderr.strip()[-300:]})")
            r = run([cuslim, "verify", "--json", "--driver-version", "450.191.01", out + "/mvc"])
            checks = {c["name"]: c for c in json.loads(r.stdout)["checks"]} if r.stdout else {}
            check(r.returncode == 0 and checks.get("cuda-compat", {}).get("status") == "pass" and checks.get("forward-compat", {}).get("status") != "fail",
                  f"verify of the 11.8 image on 450.191.01 (MVC) passes: rc {r.returncode}, "
                  f"{[(n, c['status']) for n, c in checks.items() if 'compat' in n]}")
            r = run([cuslim, "verify", "--json", "--driver-version", "450.51.06", out + "/mvc"])
            checks = {c["name"]: c for c in json.loads(r.stdout)["checks"]} if r.stdout else {}
            check(r.returncode == 1 and checks.get("forward-compat", {}).get("status") == "fail",
                  f"verify of the 11.8 image on 450.51.06 (below the 11.x floor) fails forward-compat: rc {r.returncode}")
        finally:
            shutil.rmtree(out, ignore_errors=True)

    # 2c. A program that links the runtime statically still asks the driver for the release its
    # CUDA libraries were built for: cuBLAS 12.8.4 (cublasGetCudartVersion 12080) on driver 470.
    out = tempfile.mkdtemp(prefix="cuslim-static-rt-")
    try:
        lib = f"{cache}/cu12/nvidia/cublas/lib"
        with open(out + "/app.c", "w") as f:
            f.write("int cublasCreate_v2(void*);\nint main(void){void*h;return cublasCreate_v2(&h);}\n")
        r = run(["cc", "-o", out + "/app", out + "/app.c", f"-L{lib}", "-l:libcublas.so.12", f"-Wl,-rpath,{lib}"])
        assert r.returncode == 0, r.stderr
        r = run([cuslim, "bundle", "-q", out + "/app", "-o", out + "/img", "--tag", "s"])
        r = run([cuslim, "verify", "--json", "--driver-version", "470.82.01", out + "/img"])
        checks = {c["name"]: c for c in json.loads(r.stdout)["checks"]} if r.stdout else {}
        cc = checks.get("cuda-compat", {})
        check(r.returncode == 1 and cc.get("status") == "fail" and "12.8" in cc.get("detail", "") and "libcublas" in cc.get("detail", ""),
              f"no libcudart, cuBLAS built for 12.8, driver 470: cuda-compat fails naming cuBLAS ({cc.get('status')}: {cc.get('detail', '')[:200]})")
    finally:
        shutil.rmtree(out, ignore_errors=True)

    # 2d. An unused older libcudart beside a library built for a newer CUDA: the image needs what
    # the newer release needs (cuBLAS 12.8 beside libcudart 11.8 is not an 11.8 image).
    if "cu11" in cudart:
        out = tempfile.mkdtemp(prefix="cuslim-mixed-")
        try:
            lt = f"{cache}/cu12/nvidia/cublas/lib/libcublasLt.so.12"
            r = run([cuslim, "bundle", "-q", cudart["cu11"], lt, "-o", out + "/img", "--tag", "x"])
            d = out + "/img"
            idx = json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]
            cfg = json.load(open(d + "/blobs/sha256/" + json.load(open(d + "/blobs/sha256/" + idx))["config"]["digest"][7:]))
            env = [e for e in cfg["config"].get("Env", []) if e.startswith("NVIDIA_REQUIRE_CUDA=")]
            check(r.returncode == 0 and len(env) == 1 and env[0].startswith("NVIDIA_REQUIRE_CUDA=cuda>=12.8") and "built for CUDA 12.8" in r.stderr,
                  f"libcudart 11.8 + cuBLASLt built for 12.8: {env}, want cuda>=12.8, and a warning ({r.stderr.strip()[-200:]})")
            r = run([cuslim, "verify", "--json", "--driver-version", "520.61.05", d])
            checks = {c["name"]: c for c in json.loads(r.stdout)["checks"]} if r.stdout else {}
            cc = checks.get("cuda-compat", {})
            check(r.returncode == 1 and cc.get("status") == "fail" and "12.8" in cc.get("detail", ""),
                  f"... verify on 520.61.05 (runs 11.8, not 12.8) fails cuda-compat ({cc.get('status')}: {cc.get('detail', '')[:200]})")
        finally:
            shutil.rmtree(out, ignore_errors=True)

    # 3. cu12 closure on a host with CUDA 13 in its loader path.
    site = f"{cache}/cu12"
    nvrtc_dir = f"{site}/nvidia/cuda_nvrtc/lib"
    work = tempfile.mkdtemp(prefix="cuslim-cu12-")
    try:
        cuda13 = os.path.join(work, "cuda13")  # stand-ins, so the check does not need a toolkit
        os.makedirs(cuda13)
        with open(os.path.join(work, "e.c"), "w") as f:
            f.write("int cuda13_stub(void){return 13;}\n")
        for so in ("libcublasLt.so.13", "libnvrtc.so.13", "libnvrtc-builtins.so.13.0", "libnvrtc.so"):
            soname = "libnvrtc.so.13" if so == "libnvrtc.so" else so
            r = run(["cc", "-shared", "-fPIC", "-o", os.path.join(cuda13, so), os.path.join(work, "e.c"), f"-Wl,-soname,{soname}"])
            assert r.returncode == 0, r.stderr
        real13 = "/usr/local/cuda/lib64"
        hosts = [("stand-in CUDA 13 dir in LD_LIBRARY_PATH after the cu12 nvrtc dir", f"{nvrtc_dir}:{cuda13}")]
        if os.path.exists(f"{real13}/libcublasLt.so.13"):
            hosts.append(("this host's CUDA 13 (ld.so.cache)", nvrtc_dir))
        graph = f"{site}/nvidia/cudnn/lib/libcudnn.so.9"
        for what, llp in hosts:
            r = run([cuslim, "deps", "--format", "json", "--ld-library-path", llp, graph])
            check(r.returncode == 0, f"{what}: deps exits 0 ({r.stderr.strip()[-200:]})")
            doc = json.loads(r.stdout)
            objs = [o for o in doc["objects"] if o["path"]]
            print(f"\n{what}: cuslim's closure of libcudnn.so.9 (cu12 wheels)")
            for o in objs:
                print(f"    {o['how']:15} {o['realpath']}")
            bad = [o["realpath"] for o in objs if re.search(r"\.so\.13", o["realpath"]) or "/cuda13/" in o["realpath"]]
            check(not bad, f"{what}: no CUDA 13 library in the cu12 closure ({bad})")
            # dlopen edges: where the real loader puts each name the loading library dlopens.
            by_parent = {}
            for o in objs:
                if o["how"] == "dlopen-profile":
                    for p in o["parents"]:
                        by_parent.setdefault(p, []).append(o)
            for parent in sorted(by_parent):
                for o in by_parent[parent]:
                    name = o["name"]
                    if name.startswith("libcudnn") or name.startswith("libcuda.so"):
                        continue
                    want = probe(work, parent, name, llp)
                    check(want == o["realpath"], f"{what}: {os.path.basename(parent)} dlopen({name}) -> {o['realpath']} (loader: {want})")
            # DT_NEEDED closure of every cuDNN/cuBLAS library against ldd.
            for lib in sorted(glob.glob(f"{site}/nvidia/cudnn/lib/lib*.so.9") + glob.glob(f"{site}/nvidia/cublas/lib/libcublas*.so.12")):
                r = run([cuslim, "deps", "--no-dlopen", "--format", "json", "--ld-library-path", llp, lib])
                ours = {o["name"]: o["realpath"] for o in json.loads(r.stdout)["objects"] if o["path"] and o["name"] != lib}
                # ldd prints the interpreter by its path, not under the needed name: left out of both.
                ours = {k: os.path.realpath(v) for k, v in ours.items() if not k.startswith(("/", "ld-linux"))}
                theirs = {k: v for k, v in ldd(lib, llp).items() if not k.startswith(("/", "ld-linux"))}
                check(ours == theirs, f"{what}: {os.path.basename(lib)} DT_NEEDED closure = ldd's ({len(theirs)} objects)"
                      + ("" if ours == theirs else f"\n      cuslim {ours}\n      ldd    {theirs}"))

        # 3b. cuDNN's sub-libraries carry one name for every CUDA build and refuse to mix builds:
        # a cu12 cuDNN whose libcudnn_adv.so.9 is gone, with a CUDA 13.1 build of that name later
        # in the loader path (a stand-in whose cudnnGetCudartVersion returns 13010), passes it over
        # and says so; the same stand-in built for 12.9 is taken (the version is read, not guessed).
        mixed = os.path.join(work, "cudnn-mixed")
        shutil.copytree(f"{site}/nvidia/cudnn/lib", mixed, symlinks=True)
        os.remove(os.path.join(mixed, "libcudnn_adv.so.9"))
        for cuda_code, refused in ((13010, True), (12090, False)):
            other = os.path.join(work, f"adv-{cuda_code}")
            os.makedirs(other)
            with open(os.path.join(work, "adv.c"), "w") as f:
                f.write(f"int cudnnGetCudartVersion(void){{return {cuda_code};}}\n")
            r = run(["cc", "-O2", "-shared", "-fPIC", "-o", os.path.join(other, "libcudnn_adv.so.9"), os.path.join(work, "adv.c"),
                     "-Wl,-soname,libcudnn_adv.so.9"])
            assert r.returncode == 0, r.stderr
            r = run([cuslim, "deps", "--format", "json", "--ld-library-path", f"{nvrtc_dir}:{site}/nvidia/cublas/lib:{other}",
                     os.path.join(mixed, "libcudnn.so.9")])
            doc = json.loads(r.stdout) if r.stdout else {"objects": [], "passed_over": []}
            taken = any(o["realpath"] == os.path.join(other, "libcudnn_adv.so.9") for o in doc["objects"] if o["path"])
            over = [p for p in doc.get("passed_over", []) if p["name"] == "libcudnn_adv.so.9"]
            if refused:
                check(r.returncode == 0 and not taken and len(over) == 1 and "built for CUDA 13.1" in over[0]["why"]
                      and "libcudnn_adv.so.9: passed over" in r.stderr,
                      f"cu12 cuDNN, a CUDA 13.1 libcudnn_adv.so.9 in the path: passed over and said ({over}; {r.stderr.strip()[-200:]})")
            else:
                check(r.returncode == 0 and taken and not over, f"cu12 cuDNN, a CUDA 12.9 libcudnn_adv.so.9 in the path: taken (passed over: {over})")

        # 3c. NVRTC opens the builtins of its own version, read from its code (12.8 here), not the
        # version its file name says nor any builtins of its major: copies of the wheel's
        # libnvrtc.so.12 named libnvrtc.so.12.4, beside a stand-in libnvrtc-builtins.so.12.4, take
        # the wheel's 12.8 builtins; with those gone, the 12.4 stand-in is not taken.
        want = glob.glob(f"{nvrtc_dir}/libnvrtc-builtins.so.12.8")
        check(bool(want), f"the cu12 NVRTC wheel ships libnvrtc-builtins.so.12.8 ({os.listdir(nvrtc_dir)})")
        named = os.path.join(work, "nvrtc-named")
        os.makedirs(named)
        shutil.copy(f"{nvrtc_dir}/libnvrtc.so.12", os.path.join(named, "libnvrtc.so.12.4"))
        r = run(["cc", "-shared", "-fPIC", "-o", os.path.join(named, "libnvrtc-builtins.so.12.4"), os.path.join(work, "e.c"),
                 "-Wl,-soname,libnvrtc-builtins.so.12.4"])
        assert r.returncode == 0, r.stderr
        for what, llp, expect in (("the wheel's 12.8 builtins in the path", f"{named}:{nvrtc_dir}", want[0] if want else None),
                                  ("no 12.8 builtins anywhere", named, None)):
            r = run([cuslim, "deps", "--format", "json", "--ld-library-path", llp, os.path.join(named, "libnvrtc.so.12.4")])
            doc = json.loads(r.stdout) if r.stdout else {"objects": [], "missing": []}
            got = [o["realpath"] for o in doc["objects"] if o["path"] and (o["name"] or "").startswith("libnvrtc-builtins")]
            if expect:
                check(got == [os.path.realpath(expect)], f"NVRTC 12.8 named libnvrtc.so.12.4, {what}: its builtins are the 12.8 ones ({got})")
            else:
                unmet = [(m["name"], m["needed_by"]) for m in doc.get("dlopen_unmet", [])]
                check(r.returncode == 0 and not got and unmet == [("libnvrtc-builtins.so.12.8", os.path.join(named, "libnvrtc.so.12.4"))]
                      and "fails without it" in r.stderr,
                      f"NVRTC 12.8 named libnvrtc.so.12.4, {what}: the 12.4 stand-in is not taken ({got}), the unmet dlopen is said ({unmet})")

        # 3c'. verify: an image whose NVRTC lacks its builtins fails dlopen-resolve (NVRTC compiles
        # nothing without them); with them it passes.
        img = os.path.join(work, "nvrtc-img")
        r = run([cuslim, "bundle", "-q", "--format", "dir", "-o", img, "/bin/true", "--include", f"{nvrtc_dir}/libnvrtc.so.12"])
        check(r.returncode == 0, f"bundle of the wheel's NVRTC: exit {r.returncode} {r.stderr[-300:]}")
        r = run([cuslim, "verify", "--json", img])
        ok = json.loads(r.stdout) if r.stdout else {"checks": []}
        state = {c["name"]: c["status"] for c in ok["checks"]}
        check(r.returncode == 0 and state.get("dlopen-resolve") == "pass", f"verify with the builtins: dlopen-resolve {state.get('dlopen-resolve')}, exit {r.returncode}")
        for b in glob.glob(f"{img}{nvrtc_dir}/libnvrtc-builtins*"):
            os.remove(b)
        r = run([cuslim, "verify", "--json", img])
        bad = json.loads(r.stdout) if r.stdout else {"checks": []}
        msg = [c["detail"] for c in bad["checks"] if c["name"] == "dlopen-resolve"]
        state = {c["name"]: c["status"] for c in bad["checks"]}
        check(r.returncode == 1 and state.get("dlopen-resolve") == "fail" and state.get("needed-resolve") == "pass",
              f"verify without the builtins: dlopen-resolve {state.get('dlopen-resolve')} ({msg}), needed-resolve {state.get('needed-resolve')}, exit {r.returncode}")

        # 3c''. The alternative NVRTC build opens its own builtins (libnvrtc-builtins.alt.so.12.8):
        # they ship with it, and verify fails without them.
        alt_img = os.path.join(work, "nvrtc-alt-img")
        r = run([cuslim, "bundle", "-q", "--format", "dir", "-o", alt_img, "/bin/true", "--include", f"{nvrtc_dir}/libnvrtc.alt.so.12"])
        shipped = sorted(os.path.basename(p) for p in glob.glob(f"{alt_img}{nvrtc_dir}/*"))
        check(r.returncode == 0 and "libnvrtc-builtins.alt.so.12.8" in shipped, f"bundle of the alternative NVRTC ships its builtins ({shipped})")
        for b in glob.glob(f"{alt_img}{nvrtc_dir}/libnvrtc-builtins*"):
            os.remove(b)
        r = run([cuslim, "verify", "--json", alt_img])
        state = {c["name"]: c["status"] for c in (json.loads(r.stdout) if r.stdout else {"checks": []})["checks"]}
        check(r.returncode == 1 and state.get("dlopen-resolve") == "fail", f"verify of the alternative NVRTC without its builtins: dlopen-resolve {state.get('dlopen-resolve')}, exit {r.returncode}")

        # 3d. cuDNN 9's front library opens each sub-library by its own full version first
        # (libcudnn_graph.so.9.10.2, then .9.10, then .9): its copy alone in a dir, named as a
        # distribution package names it (libcudnn.so.9.10.2, libcudnn.so.9 a link), the wheel's
        # libcudnn_graph renamed .so.9.10.2 in a dir later in the path and a stand-in named .so.9
        # (built for CUDA 12.9) in one earlier: the real loader, as cudnnGetVersion makes it load
        # the graph library (LD_DEBUG), takes the full-version name; so must deps.
        lone, full, short = (os.path.join(work, d) for d in ("cudnn-lone", "cudnn-full", "cudnn-short"))
        for d in (lone, full, short):
            os.makedirs(d)
        shutil.copy(f"{site}/nvidia/cudnn/lib/libcudnn.so.9", os.path.join(lone, "libcudnn.so.9.10.2"))
        os.symlink("libcudnn.so.9.10.2", os.path.join(lone, "libcudnn.so.9"))
        shutil.copy(f"{site}/nvidia/cudnn/lib/libcudnn_graph.so.9", os.path.join(full, "libcudnn_graph.so.9.10.2"))
        with open(os.path.join(work, "graph.c"), "w") as f:
            f.write("int cudnnGetCudartVersion(void){return 12090;}\n")
        r = run(["cc", "-shared", "-fPIC", "-o", os.path.join(short, "libcudnn_graph.so.9"), os.path.join(work, "graph.c"),
                 "-Wl,-soname,libcudnn_graph.so.9"])
        assert r.returncode == 0, r.stderr
        llp = f"{short}:{full}:{nvrtc_dir}:{site}/nvidia/cublas/lib:{site}/nvidia/cuda_runtime/lib"
        with open(os.path.join(work, "cudnn_probe.py"), "w") as f:
            f.write("import ctypes, sys\nprint(ctypes.CDLL(sys.argv[1]).cudnnGetVersion())\n")
        r = run([sys.executable, os.path.join(work, "cudnn_probe.py"), os.path.join(lone, "libcudnn.so.9")],
                env=dict(os.environ, LD_LIBRARY_PATH=llp, LD_DEBUG="libs"))
        asked = re.findall(r"find library=(libcudnn_graph[^ ]*)", r.stderr)
        loaded = re.findall(r"calling init: (\S*libcudnn_graph\S*)", r.stderr)
        r = run([cuslim, "deps", "--format", "json", "--ld-library-path", llp, os.path.join(lone, "libcudnn.so.9")])
        doc = json.loads(r.stdout) if r.stdout else {"objects": []}
        ours = [o["realpath"] for o in doc["objects"] if o["path"] and (o["name"] or "").startswith("libcudnn_graph")]
        check(asked[:1] == ["libcudnn_graph.so.9.10.2"] and loaded == [os.path.join(full, "libcudnn_graph.so.9.10.2")],
              f"the real loader: cuDNN 9.10.2 asks for libcudnn_graph.so.9.10.2 first and loads it ({asked}; {loaded})")
        check(ours == loaded, f"deps: cuDNN's graph library is the one the real loader loads ({ours})")

        # 4. A framework library linked against cu12's runtime (a stand-in libtorch_cuda.so that
        # NEEDs libcudart.so.12) dlopens its CUDA libraries of CUDA 12, even with CUDA 13 stand-ins
        # first in the loader path and first in the profile's lists (its cuDNN, of CUDA 12, too).
        for so in ("libcudart.so.13", "libcublas.so.13", "libcupti.so.13"):
            r = run(["cc", "-shared", "-fPIC", "-o", os.path.join(cuda13, so), os.path.join(work, "e.c"), f"-Wl,-soname,{so}"])
            assert r.returncode == 0, r.stderr
        torch_lib = os.path.join(work, "torch", "lib")
        os.makedirs(torch_lib)
        rt12 = f"{site}/nvidia/cuda_runtime/lib"
        r = run(["cc", "-shared", "-fPIC", "-o", os.path.join(torch_lib, "libtorch_cuda.so"), os.path.join(work, "e.c"),
                 "-Wl,--no-as-needed", f"-L{rt12}", "-l:libcudart.so.12"])
        assert r.returncode == 0, r.stderr
        llp = f"{cuda13}:{rt12}:{site}/nvidia/cublas/lib:{nvrtc_dir}:{site}/nvidia/cudnn/lib"
        r = run([cuslim, "deps", "--format", "json", "--ld-library-path", llp, os.path.join(torch_lib, "libtorch_cuda.so")])
        check(r.returncode in (0, 1), f"torch stand-in: deps runs ({r.stderr.strip()[-200:]})")
        objs = [o for o in json.loads(r.stdout)["objects"] if o["path"]] if r.stdout else []
        dl = {o["name"]: o["realpath"] for o in objs if o["how"] == "dlopen-profile"}
        print("\ntorch stand-in (needs libcudart.so.12), CUDA 13 stand-ins first in the path: its dlopen edges")
        for n, rp in sorted(dl.items()):
            print(f"    {n:24} {rp}")
        for fam in ("libcublasLt", "libcublas", "libnvrtc", "libcudart"):
            got = [o["realpath"] for o in objs if o["name"].startswith(fam + ".so")]
            check(got and all(".so.12" in os.path.basename(rp) or "/nvidia/" in rp for rp in got) and not any("/cuda13/" in rp for rp in got),
                  f"torch stand-in: {fam} of CUDA 12 ({got})")
        bad = [o["realpath"] for o in objs if "/cuda13/" in o["realpath"]]
        check(not bad, f"torch stand-in: no CUDA 13 library in its closure ({bad})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{fails} failed")
    return 1 if fails else 0


def probe(work, parent, name, llp):
    """Where ld.so finds `name` for `parent`: a probe object in parent's directory with parent's
    DT_RUNPATH/DT_RPATH and one DT_NEEDED `name`, listed by ldd (dlopen searches the caller's
    RUNPATH, LD_LIBRARY_PATH, the cache and the default dirs, as for a DT_NEEDED of it)."""
    d = run(["readelf", "-d", parent]).stdout
    m = re.search(r"\((RUNPATH|RPATH)\)\s+Library r\w+: \[(.*)\]", d)
    flags = []
    if m:
        flags = [f"-Wl,{'--enable-new-dtags' if m.group(1) == 'RUNPATH' else '--disable-new-dtags'}", f"-Wl,-rpath,{m.group(2)}"]
    stub = os.path.join(work, "stub")
    os.makedirs(stub, exist_ok=True)
    with open(os.path.join(stub, "s.c"), "w") as f:
        f.write("int s(void){return 0;}\n")
    run(["cc", "-shared", "-fPIC", "-o", os.path.join(stub, name), os.path.join(stub, "s.c"), f"-Wl,-soname,{name}"])
    out = os.path.join(os.path.dirname(parent), ".cuslim-probe.so")
    r = run(["cc", "-shared", "-fPIC", "-o", out, os.path.join(stub, "s.c"), "-Wl,--no-as-needed", f"-L{stub}", f"-l:{name}", *flags])
    assert r.returncode == 0, r.stderr
    try:
        return ldd(out, llp).get(name)
    finally:
        os.remove(out)


if __name__ == "__main__":
    sys.exit(main())
