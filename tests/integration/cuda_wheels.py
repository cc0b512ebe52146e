#!/usr/bin/env python3
"""Real CUDA 12 and 11 runtime wheels from PyPI, installed with `pip --target` into a cache dir:
cuslim must classify their libraries as cuda, read the CUDA version they belong to, give the
right compat verdict for a table of drivers, and follow nvrtc's dlopen edge to its builtins.
Exits 77 (skip) with the reason when PyPI cannot be reached.

usage: cuda_wheels.py CUSLIM CACHE_DIR
"""
import glob
import json
import os
import subprocess
import sys

WHEELS = {
    "cu12": ["nvidia-cuda-runtime-cu12", "nvidia-cuda-nvrtc-cu12", "nvidia-nvjitlink-cu12"],
    "cu11": ["nvidia-cuda-runtime-cu11"],
}
# (CUDA major of the wheel, driver) -> verdict for its libcudart (the cu12 wheel is 12.9, the cu11
# one 11.8, read from their code: both need the minor-version-compat range on older drivers)
VERDICTS = {
    ("12", "580.65.06"): "ok", ("12", "535.104.05"): "ok-minor-version-compat", ("12", "470.82.01"): "needs-forward-compat",
    ("12", "418.40.04"): "incompatible", ("11", "450.80.02"): "ok-minor-version-compat", ("11", "418.40.04"): "incompatible",
}


def install(cache):
    for tag, pkgs in WHEELS.items():
        target = os.path.join(cache, tag)
        if os.path.isdir(os.path.join(target, "nvidia")):
            continue
        r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", target, *pkgs],
                           capture_output=True, text=True, timeout=900)
        if r.returncode != 0:
            print(f"skip: pip could not install {pkgs}: {r.stderr.strip()[-300:]}")
            sys.exit(77)


def inspect(cuslim, files, *extra):
    r = subprocess.run([cuslim, "inspect", "--json", *extra, *files], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def main():
    cuslim, cache = sys.argv[1], sys.argv[2]
    install(cache)
    fails = 0

    def check(cond, what):
        nonlocal fails
        print(("ok   " if cond else "FAIL ") + what)
        fails += not cond

    for tag, major in (("cu12", "12"), ("cu11", "11")):
        libs = sorted(p for p in glob.glob(f"{cache}/{tag}/nvidia/*/lib/lib*.so*") if not os.path.islink(p))
        check(len(libs) >= 1, f"{tag}: {len(libs)} libraries installed")
        for j in inspect(cuslim, libs):
            name = os.path.basename(j["path"])
            check(j["class"] == "cuda", f"{tag}: {name} is class cuda ({j['rule']})")
            if j["cuda_version"] is not None or name.startswith(("libcudart", "libnvrtc.", "libnvJitLink")):
                check((j["cuda_version"] or "").split(".")[0] == major,
                      f"{tag}: {name} belongs to CUDA {j['cuda_version']} ({j['cuda_version_source']})")
        cudart = [p for p in libs if os.path.basename(p).startswith("libcudart.so")]
        for (m, driver), want in VERDICTS.items():
            if m != major:
                continue
            got = inspect(cuslim, cudart, "--driver-version", driver)[0]["compat"]
            check(got["verdict"] == want, f"{tag}: libcudart on driver {driver}: {got['verdict']} (want {want})")

    nvrtc = glob.glob(f"{cache}/cu12/nvidia/cuda_nvrtc/lib/libnvrtc.so.12")
    if nvrtc:
        r = subprocess.run([cuslim, "deps", "--format", "json", nvrtc[0]], capture_output=True, text=True)
        doc = json.loads(r.stdout)
        builtins = [o for o in doc["objects"] if (o["name"] or "").startswith("libnvrtc-builtins")]
        check(r.returncode == 0 and builtins and builtins[0]["how"] == "dlopen-profile" and builtins[0]["class"] == "cuda",
              "cu12: deps follows libnvrtc's dlopen edge to its builtins" + (f" ({builtins[0]['path']})" if builtins else ""))
        leaf = [o for o in doc["objects"] if o["name"] == "libcuda.so.1"]
        check(leaf and leaf[0]["class"] == "driver", "cu12: libcuda.so.1 is a driver leaf")
    print(f"{fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
