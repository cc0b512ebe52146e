#!/usr/bin/env python3
"""Issue 17: --gpu-arch prunes GPU code in place, checked by tools that are not cuslim.

  nvcc   Programs and libraries built here with nvcc for eight -gencode targets are bundled with
         --gpu-arch (bundle, build spec, slim); NVIDIA's cuobjdump (from the PyPI wheel) lists
         what is left and must list exactly what the rule below keeps; the sources are unchanged;
         verify --gpu-arch passes an image pruned for the GPU and fails one pruned for another;
         the layer is deterministic and never reused from an unpruned bundle.
  libs   The real cuBLASLt and cuDNN engines libraries (the CUDA toolkit's, else the PyPI wheels
         in CACHE): pruned for 90, every byte outside the containers identical to the source and
         every container checked by the independent parser below; sizes and the compressed layer
         sizes with and without pruning are printed, and pruning must shrink the layer.

The container parser and the keep rule here are written from ../shared/reference/fatbin.md,
independently of src/prune. Exits 77 when nvcc (mode nvcc) or the libraries and PyPI (mode libs)
are not there.
usage: gpu_prune.py CUSLIM nvcc|libs CACHE_DIR
"""
import glob
import filecmp
import json
import re
import mmap
import os
import shutil
import struct
import subprocess
import sys
import tempfile

CUSLIM, MODE, CACHE = os.path.abspath(sys.argv[1]), sys.argv[2], os.path.abspath(sys.argv[3])
MAGIC = 0xBA55ED50
NVCC = "/usr/local/cuda/bin/nvcc"
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def run(*cmd, ok=True, **kw):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if ok and r.returncode != 0:
        print(f"command failed ({r.returncode}): {' '.join(map(str, cmd))}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
        sys.exit(1)
    return r


# ---- the fatbin format and the keep rule, from the reference ------------------------------------

def sections(m):
    shoff, = struct.unpack_from("<Q", m, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", m, 0x3A)
    hdrs = [struct.unpack_from("<IIQQQQIIQQ", m, shoff + i * shentsize) for i in range(shnum)]
    stroff = hdrs[shstrndx][4]
    out = {}
    for h in hdrs:
        name = bytes(m[stroff + h[0]:m.find(b"\0", stroff + h[0])]).decode()
        if h[1] != 8:  # not SHT_NOBITS
            out[name] = (h[4], h[5])
    return out


def container_at(m, pos, end):
    """(offset, header_size, fat_size, [(entry_offset, span, kind, arch, flags)]) or None; exact fill only."""
    if pos + 16 > end or struct.unpack_from("<I", m, pos)[0] != MAGIC:
        return None
    hsize, = struct.unpack_from("<H", m, pos + 6)
    fat, = struct.unpack_from("<Q", m, pos + 8)
    if hsize < 16 or fat > end - pos - hsize:
        return None
    e, stop, entries = pos + hsize, pos + hsize + fat, []
    while e + 64 <= stop:
        kind, _, ehs, padded = struct.unpack_from("<HHIQ", m, e)
        arch, = struct.unpack_from("<I", m, e + 28)
        flags, = struct.unpack_from("<Q", m, e + 40)
        if ehs < 64 or padded > stop - e - ehs:
            return None
        entries.append((e, ehs + padded, kind, arch, flags))
        e += ehs + padded
    return (pos, hsize, fat, entries) if e == stop else None


def containers(m):
    secs, out = sections(m), []
    for name in (".nv_fatbin", "__nv_relfatbin"):
        if name in secs:
            off, size = secs[name]
            pos = off
            while pos + 16 <= off + size:
                if struct.unpack_from("<I", m, pos)[0] == 0:
                    pos += 8
                    continue
                c = container_at(m, pos, off + size)
                if not c:
                    break
                out.append(c)
                pos = c[0] + c[1] + c[2]
    if ".cask_resource" in secs:
        off, size = secs[".cask_resource"]
        pos = off
        magic = struct.pack("<I", MAGIC)
        while True:
            pos = m.find(magic, pos, off + size)
            if pos < 0:
                break
            c = container_at(m, pos, off + size) if (pos - off) % 4 == 0 else None
            if c and c[3]:
                out.append(c)
                pos = c[0] + c[1] + c[2]
            else:
                pos += 4
    return out


def runs_on(kind, arch, flags, cc):
    a, f = flags & 0x100000, flags & 0x200000
    if a:
        return arch == cc
    if kind == 2:
        return arch // 10 == cc // 10 and arch <= cc
    if kind == 1:
        return arch <= cc and (not f or arch // 10 == cc // 10)
    return False


def expected_kept(entries, ccs):
    runnable = [e for e in entries if e[2] in (1, 2) and any(runs_on(e[2], e[3], e[4], cc) for cc in ccs)]
    if runnable:
        return [e for e in entries if e[2] not in (1, 2) or e in runnable]
    code = [e for e in entries if e[2] in (1, 2)]
    smallest = min(code, key=lambda e: e[1]) if code else None
    return [e for e in entries if e[2] not in (1, 2) or e is smallest]


def check_pruned(src, dst, ccs, label):
    """Every byte outside the source's containers equal; each container: same offset, the entries
    the rule keeps as stored, then zeros. Returns the bytes zeroed."""
    with open(src, "rb") as fa, open(dst, "rb") as fb:
        a = mmap.mmap(fa.fileno(), 0, access=mmap.ACCESS_READ)
        b = mmap.mmap(fb.fileno(), 0, access=mmap.ACCESS_READ)
        if len(a) != len(b):
            check(False, f"{label}: size changed {len(a)} -> {len(b)}")
            return 0
        cs = sorted(containers(a))
        cursor, zeroed, bad = 0, 0, []
        for (off, hs, fat, entries) in cs:
            if a[cursor:off] != b[cursor:off]:
                bad.append(f"bytes changed between {cursor} and {off}")
            kept = expected_kept(entries, ccs)
            if len(kept) == len(entries):
                if a[off:off + hs + fat] != b[off:off + hs + fat]:
                    bad.append(f"container at {off}: changed though nothing was to be removed")
            else:
                newfat = sum(e[1] for e in kept)
                if a[off:off + 8] != b[off:off + 8] or struct.unpack_from("<Q", b, off + 8)[0] != newfat or a[off + 16:off + hs] != b[off + 16:off + hs]:
                    bad.append(f"container at {off}: header not the source's with fat_size {newfat}")
                pos = off + hs
                for e in kept:
                    if a[e[0]:e[0] + e[1]] != b[pos:pos + e[1]]:
                        bad.append(f"container at {off}: kept entry (arch {e[3]}) not byte-identical")
                    pos += e[1]
                if b[pos:off + hs + fat].count(0) != off + hs + fat - pos:
                    bad.append(f"container at {off}: tail not zero")
                zeroed += off + hs + fat - pos
            cursor = off + hs + fat
        if a[cursor:] != b[cursor:]:
            bad.append(f"bytes changed after {cursor}")
        check(not bad, f"{label}: {len(cs)} containers as the rule says, every byte outside them identical" + (": " + "; ".join(bad[:5]) if bad else ""))
        return zeroed


# ---- mode nvcc -----------------------------------------------------------------------------------

GENCODES = ["compute_75,code=sm_75", "compute_80,code=sm_80", "compute_86,code=sm_86", "compute_90,code=sm_90",
            "compute_90a,code=sm_90a", "compute_100,code=sm_100", "compute_90,code=compute_90", "compute_120,code=compute_120"]
KERNEL = r"""
#include <cstdio>
__global__ void axpy(float a, const float* x, float* y) { y[threadIdx.x] += a * x[threadIdx.x]; }
extern "C" int launch(float* x, float* y) { axpy<<<1, 32>>>(2.f, x, y); return (int)cudaDeviceSynchronize(); }
"""
MAIN = r"""
#include <cstdio>
extern "C" int launch(float*, float*);
int main() { float *x, *y; if (cudaMalloc(&x, 128) || cudaMalloc(&y, 128)) { puts("no GPU"); return 0; } printf("%d\n", launch(x, y)); }
"""


def cuobjdump_tool():
    for p in ["/usr/local/cuda/bin/cuobjdump", shutil.which("cuobjdump") or ""]:
        if p and os.access(p, os.X_OK):
            return p
    tool = os.path.join(CACHE, "cuobjdump/nvidia/cu13/bin/cuobjdump")
    if not os.path.exists(tool):
        r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", os.path.join(CACHE, "cuobjdump.tmp"),
                            "nvidia-cuda-cuobjdump==13.2.51"], capture_output=True, text=True)
        if r.returncode != 0:
            print("skip: cuobjdump is not installed and pip could not fetch it:", r.stderr.strip()[-300:])
            sys.exit(77)
        shutil.rmtree(os.path.join(CACHE, "cuobjdump"), ignore_errors=True)
        os.rename(os.path.join(CACHE, "cuobjdump.tmp"), os.path.join(CACHE, "cuobjdump"))
        os.chmod(tool, 0o755)
    return tool


def listing(tool, path):
    """cuobjdump's names: {'sm_90', 'sm_90a', 'compute_90', ...} per container set (a multiset as a sorted list)."""
    out = run(tool, "--list-elf", "--list-ptx", path).stdout
    names = []
    for line in out.splitlines():
        parts = line.split(":")
        if len(parts) == 2 and (line.startswith("ELF file") or line.startswith("PTX file")):
            arch = parts[1].strip().rsplit(".", 2)[-2]  # k.1.sm_90a.cubin -> sm_90a
            names.append(("sm_" if line.startswith("ELF") else "compute_") + arch.split("_", 1)[1])
    return sorted(names)


def entry_name(e):
    kind, arch, flags = e[2], e[3], e[4]
    return ("sm_" if kind == 2 else "compute_") + str(arch) + ("a" if flags & 0x100000 else "")


def rule_listing(path, ccs):
    """What the rule keeps of the source's containers, in cuobjdump's names."""
    with open(path, "rb") as f:
        m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        return sorted(entry_name(e) for c in containers(m) for e in expected_kept(c[3], ccs))


def nvcc_mode(tmp):
    if not os.access(NVCC, os.X_OK):
        print("skip: no nvcc at", NVCC)
        sys.exit(77)
    tool = cuobjdump_tool()
    src = os.path.join(tmp, "src")
    os.makedirs(src)
    open(os.path.join(src, "k.cu"), "w").write(KERNEL)
    open(os.path.join(src, "main.cu"), "w").write(MAIN)
    gen = sum((["-gencode", "arch=" + g] for g in GENCODES), [])
    run(NVCC, "-shared", "-Xcompiler", "-fPIC", "-cudart", "shared", "-o", os.path.join(src, "libk.so"), os.path.join(src, "k.cu"), *gen)
    run(NVCC, "-cudart", "shared", "-o", os.path.join(src, "app"), os.path.join(src, "main.cu"), "-L" + src, "-lk", "-Xlinker", "-rpath=" + src)
    lib = os.path.join(src, "libk.so")
    before = open(lib, "rb").read()
    full = listing(tool, lib)
    check(sorted(set(full)) == sorted(set(c for c in [g.split("=")[-1] for g in GENCODES])), f"cuobjdump lists the eight gencodes: {sorted(set(full))}")

    for ccs in ([90], [80, 100], [120]):
        arg = ",".join(map(str, ccs))
        out = os.path.join(tmp, "dir-" + arg.replace(",", "_"))
        run(CUSLIM, "bundle", os.path.join(src, "app"), "-o", out, "--format", "dir", "-q", "--gpu-arch", arg)
        pruned = out + lib
        got = listing(tool, pruned)
        want = rule_listing(lib, ccs)
        check(got == want, f"--gpu-arch {arg}: cuobjdump lists {got}, the rule keeps {want}")
        zeroed = check_pruned(lib, pruned, ccs, f"--gpu-arch {arg} libk.so")
        ins = json.loads(run(CUSLIM, "inspect", "--json", "--gpu-arch", arg, lib).stdout)[0]
        check(ins["gpu_prune"]["bytes_zeroed"] == zeroed > 0, f"inspect --gpu-arch {arg} says {ins['gpu_prune']['bytes_zeroed']} bytes go, the copy lost {zeroed}")
        after = json.loads(run(CUSLIM, "inspect", "--json", pruned).stdout)[0]
        check(sorted(set(a["arch"] for a in after["fatbin"]["archs"])) == sorted(set(want)), f"inspect of the pruned copy agrees with cuobjdump ({arg})")
    check(open(lib, "rb").read() == before, "the source library is unchanged")

    # NVIDIA's libraries beyond the toolkit's (cuDSS, cuTENSOR, TensorRT, ...) are NVIDIA's too:
    # --no-prune-nvidia leaves them whole and counts them; a library of the user's is pruned.
    nv = os.path.join(src, "nv")
    os.makedirs(nv)
    for name in ("libcudss.so.0", "libcutensor.so.2", "libnvinfer.so.10", "libuser.so"):
        shutil.copyfile(lib, os.path.join(nv, name))
    nvlibs = [os.path.join(nv, n) for n in sorted(os.listdir(nv))]
    r = run(CUSLIM, "bundle", *nvlibs, "-o", os.path.join(tmp, "nvwhole"), "--format", "dir", "--gpu-arch", "90", "--no-prune-nvidia")
    same = {os.path.basename(p): filecmp.cmp(p, tmp + "/nvwhole" + p, shallow=False) for p in nvlibs}
    check(same == {"libcudss.so.0": True, "libcutensor.so.2": True, "libnvinfer.so.10": True, "libuser.so": False} and
          re.search(r"\b3 NVIDIA libraries left whole \(--no-prune-nvidia\)", r.stdout),
          f"--no-prune-nvidia leaves cuDSS, cuTENSOR and TensorRT whole and counts them, prunes the user's library: {same}; {r.stdout.strip()[-200:]}")

    # Images: verify --gpu-arch passes the GPU the image was pruned for and fails another.
    for arg in ("90", "80"):
        run(CUSLIM, "bundle", os.path.join(src, "app"), "-o", os.path.join(tmp, "oci-" + arg), "-q", "--gpu-arch", arg, "--tag", "app")
    r90 = run(CUSLIM, "verify", "--json", "--gpu-arch", "90", os.path.join(tmp, "oci-90"), ok=False)
    r80 = run(CUSLIM, "verify", "--json", "--gpu-arch", "90", os.path.join(tmp, "oci-80"), ok=False)
    cov = lambda r: next(c for c in json.loads(r.stdout)["checks"] if c["name"] == "arch-coverage")
    check(cov(r90)["status"] == "pass", f"verify --gpu-arch 90 of the image pruned for 90: {cov(r90)['detail'][:160]}")
    check(r80.returncode == 1 and cov(r80)["status"] == "fail" and "pruned for 80" in cov(r80)["detail"],
          f"verify --gpu-arch 90 of the image pruned for 80 fails (exit {r80.returncode}): {cov(r80)['detail'][:200]}")
    index = json.load(open(os.path.join(tmp, "oci-80/index.json")))
    manifest = json.load(open(os.path.join(tmp, "oci-80/blobs/sha256", index["manifests"][0]["digest"].split(":")[1])))
    config = json.load(open(os.path.join(tmp, "oci-80/blobs/sha256", manifest["config"]["digest"].split(":")[1])))
    check(config["config"]["Labels"].get("io.cuslim.gpu-arch") == "80", "the image config records the archs (label io.cuslim.gpu-arch=80)")

    # Deterministic; an OCI layout bundled again without --gpu-arch gets the unpruned layer.
    again = os.path.join(tmp, "oci-90b")
    run(CUSLIM, "bundle", os.path.join(src, "app"), "-o", again, "-q", "--gpu-arch", "90", "--tag", "app")
    # Every layer's digest (--layers auto by default: the pruned library may sit in any of them).
    layers = lambda d: [l["digest"] for l in json.load(open(os.path.join(d, "blobs/sha256", json.load(open(d + "/index.json"))["manifests"][0]["digest"].split(":")[1])))["layers"]]
    check(layers(again) == layers(os.path.join(tmp, "oci-90")), "the same inputs and --gpu-arch give the same layer digests")
    run(CUSLIM, "bundle", os.path.join(src, "app"), "-o", again, "-q", "--tag", "app")
    check(layers(again) != layers(os.path.join(tmp, "oci-90")), "bundling into the layout again without --gpu-arch does not reuse the pruned layer")

    # A build spec and slim prune the same way.
    spec = os.path.join(tmp, "spec.yaml")
    open(spec, "w").write(f"name: app\ntargets: [{src}/app]\nout: {tmp}/built\nformat: dir\ngpu_arch: \"90\"\n")
    run(CUSLIM, "build", spec, "-q")
    check(listing(tool, tmp + "/built" + lib) == rule_listing(lib, [90]), "build spec gpu_arch: \"90\" prunes the same")
    run(CUSLIM, "slim", again, "-o", os.path.join(tmp, "slim-90"), "--format", "dir", "--gpu-arch", "90", "-q")
    check(listing(tool, tmp + "/slim-90" + lib) == rule_listing(lib, [90]), "slim --gpu-arch 90 prunes the image's copy the same")
    # An image pruned for 90, pruned again for 80 alone: refused (exit 2, nothing written) -- its
    # containers hold nothing an 8.0 runs, so each would keep its smallest entry and lose the sm_90
    # code it still has. Again for 80,90: a warning (the sm_80 code is gone already), and a label
    # verify judges by -- it fails sm_80 (an empty label read as "not pruned" passed it).
    r = run(CUSLIM, "slim", os.path.join(tmp, "oci-90") + ":app", "-o", os.path.join(tmp, "oci-90-80x"), "--tag", "app", "--gpu-arch", "80", ok=False)
    check(r.returncode == 2 and "already pruned for 90" in r.stderr and not os.path.exists(os.path.join(tmp, "oci-90-80x")),
          f"slim --gpu-arch 80 of an image pruned for 90: exit 2, nothing written ({r.returncode}: {r.stderr.strip()[:200]})")
    run(CUSLIM, "slim", os.path.join(tmp, "oci-90") + ":app", "-o", os.path.join(tmp, "oci-90-80"), "--tag", "app", "--gpu-arch", "80,90", "-q")
    r = run(CUSLIM, "slim", os.path.join(tmp, "oci-90") + ":app", "-o", os.path.join(tmp, "oci-90-80b"), "--tag", "app", "--gpu-arch", "80,90", ok=False)
    check(r.returncode == 0 and "already pruned for 90" in r.stderr, f"slim --gpu-arch 80,90 of an image pruned for 90 warns: {r.stderr.strip()[:160]}")
    r = run(CUSLIM, "verify", "--json", "--gpu-arch", "80", os.path.join(tmp, "oci-90-80"), ok=False)
    check(r.returncode == 1 and cov(r)["status"] == "fail", f"... and verify --gpu-arch 80 fails it (exit {r.returncode}): {cov(r)['detail'][:160]}")
    r = run(CUSLIM, "verify", "--json", "--gpu-arch", "90", os.path.join(tmp, "oci-90-80"), ok=False)
    check(r.returncode == 0 and cov(r)["status"] == "pass", f"... and verify --gpu-arch 90 passes it: its sm_90 code is still there (exit {r.returncode}): {cov(r)['detail'][:160]}")
    # The same with a second container holding only compute_75 PTX (which an 8.0 GPU could JIT):
    # the sm_80 code of the first container is still gone, verify must still fail sm_80.
    open(os.path.join(src, "k2.cu"), "w").write(KERNEL.replace("axpy", "axpy2").replace("launch", "launch2"))
    open(os.path.join(src, "two.cu"), "w").write(MAIN)
    r1 = run(NVCC, "-c", "-o", os.path.join(src, "k1.o"), os.path.join(src, "k.cu"), "-gencode", "arch=compute_80,code=sm_80",
             "-gencode", "arch=compute_90,code=sm_90", ok=False)
    r2 = run(NVCC, "-c", "-o", os.path.join(src, "k2.o"), os.path.join(src, "k2.cu"), "-gencode", "arch=compute_75,code=compute_75", ok=False)
    r3 = run(NVCC, "-cudart", "shared", "-o", os.path.join(src, "two"), os.path.join(src, "two.cu"), os.path.join(src, "k1.o"),
             os.path.join(src, "k2.o"), "-gencode", "arch=compute_80,code=sm_80", ok=False)
    if r1.returncode == 0 and r2.returncode == 0 and r3.returncode == 0:
        run(CUSLIM, "bundle", os.path.join(src, "two"), "-o", os.path.join(tmp, "two-90"), "-q", "--tag", "t", "--gpu-arch", "90")
        run(CUSLIM, "slim", os.path.join(tmp, "two-90") + ":t", "-o", os.path.join(tmp, "two-90-80"), "--tag", "t", "--gpu-arch", "80,90", "-q", ok=False)
        r = run(CUSLIM, "verify", "--json", "--gpu-arch", "80", os.path.join(tmp, "two-90-80"), ok=False)
        check(r.returncode == 1 and cov(r)["status"] == "fail",
              f"pruned for 90, then 80,90, beside a PTX-only container: verify --gpu-arch 80 still fails (exit {r.returncode}): {cov(r)['detail'][:160]}")
        r = run(CUSLIM, "verify", "--json", "--gpu-arch", "90", os.path.join(tmp, "two-90-80"), ok=False)
        check(r.returncode == 0 and cov(r)["status"] == "pass", f"... and verify --gpu-arch 90 passes it (exit {r.returncode}): {cov(r)['detail'][:160]}")
    else:
        check(False, "building the two-container program: " + (r1.stderr + r2.stderr + r3.stderr)[-300:])
    # A gap the source already had is not blamed on pruning: a container with sm_80+sm_90+sm_100
    # beside one with sm_90 only (8.6 never ran that one). Pruned for 80,90, an 8.6 runs everything
    # it ran before (verify passes, as for the unpruned image); a 10.0 lost the sm_100 code (fails).
    open(os.path.join(src, "k3.cu"), "w").write(KERNEL.replace("axpy", "axpy3").replace("launch", "launch3"))
    r1 = run(NVCC, "-c", "-o", os.path.join(src, "g1.o"), os.path.join(src, "k.cu"), "-gencode", "arch=compute_80,code=sm_80",
             "-gencode", "arch=compute_90,code=sm_90", "-gencode", "arch=compute_100,code=sm_100", ok=False)
    r2 = run(NVCC, "-c", "-o", os.path.join(src, "g3.o"), os.path.join(src, "k3.cu"), "-gencode", "arch=compute_90,code=sm_90", ok=False)
    r3 = run(NVCC, "-cudart", "shared", "-o", os.path.join(src, "gap"), os.path.join(src, "two.cu"), os.path.join(src, "g1.o"),
             os.path.join(src, "g3.o"), "-gencode", "arch=compute_80,code=sm_80", ok=False)
    if r1.returncode == 0 and r2.returncode == 0 and r3.returncode == 0:
        run(CUSLIM, "bundle", os.path.join(src, "gap"), "-o", os.path.join(tmp, "gap"), "-q", "--tag", "g")
        run(CUSLIM, "bundle", os.path.join(src, "gap"), "-o", os.path.join(tmp, "gap-80-90"), "-q", "--tag", "g", "--gpu-arch", "80,90")
        whole = run(CUSLIM, "verify", "--json", "--gpu-arch", "86", os.path.join(tmp, "gap"), ok=False)
        r = run(CUSLIM, "verify", "--json", "--gpu-arch", "86", os.path.join(tmp, "gap-80-90"), ok=False)
        check(whole.returncode == 0 and r.returncode == 0 and cov(r)["status"] == "pass",
              f"pruned for 80,90: verify --gpu-arch 86 passes as for the unpruned image (a container 8.6 never ran is no loss) "
              f"(exit {whole.returncode}/{r.returncode}): {cov(r)['detail'][:160]}")
        r = run(CUSLIM, "verify", "--json", "--gpu-arch", "100", os.path.join(tmp, "gap-80-90"), ok=False)
        check(r.returncode == 1 and cov(r)["status"] == "fail" and "pruned for 80,90" in cov(r)["detail"],
              f"... and verify --gpu-arch 100 fails it: its sm_100 code is gone (exit {r.returncode}): {cov(r)['detail'][:160]}")
        index = json.load(open(os.path.join(tmp, "gap-80-90/index.json")))
        manifest = json.load(open(os.path.join(tmp, "gap-80-90/blobs/sha256", index["manifests"][0]["digest"].split(":")[1])))
        config = json.load(open(os.path.join(tmp, "gap-80-90/blobs/sha256", manifest["config"]["digest"].split(":")[1])))
        covers = config["config"]["Labels"].get("io.cuslim.gpu-arch-covers", "")
        check("86" in covers.split(",") and "100" not in covers.split(","), f"the covers label names 8.6 and not 10.0 ({covers})")
    else:
        check(False, "building the gap program: " + (r1.stderr + r2.stderr + r3.stderr)[-300:])
    # LTO-IR entries (code=lto_NN) are neither SASS nor PTX: inspect says so, and they run on no GPU.
    r = run(NVCC, "-c", "-rdc=true", "-o", os.path.join(src, "lto.o"), os.path.join(src, "k.cu"), "-gencode", "arch=compute_80,code=lto_80",
            "-gencode", "arch=compute_90,code=sm_90", ok=False)
    if r.returncode == 0:
        r = run(CUSLIM, "inspect", "--json", os.path.join(src, "lto.o"), ok=False)
        rows = {a["arch"]: a["kind"] for a in json.loads(r.stdout)[0]["fatbin"]["archs"]} if r.returncode == 0 else {}
        check(rows.get("lto_80") == "lto" and rows.get("sm_90") == "sass" and "sm_80" not in rows, f"inspect: an LTO-IR entry is kind lto ({rows})")
    # A small program's own GPU code is judged however small (the 16 kB excuse is for NVIDIA stubs).
    open(os.path.join(src, "tiny.cu"), "w").write(KERNEL + MAIN.replace('#include "k.h"', ""))
    r = run(NVCC, "-cudart", "shared", "-o", os.path.join(src, "tiny"), os.path.join(src, "tiny.cu"), "-gencode", "arch=compute_90,code=sm_90", ok=False)
    if r.returncode == 0:
        run(CUSLIM, "bundle", os.path.join(src, "tiny"), "-o", os.path.join(tmp, "oci-tiny"), "-q", "--tag", "t")
        r = run(CUSLIM, "verify", "--json", "--gpu-arch", "80", os.path.join(tmp, "oci-tiny"), ok=False)
        check(r.returncode == 1 and cov(r)["status"] == "fail", f"verify --gpu-arch 80 of a program with sm_90 code only fails (exit {r.returncode}): {cov(r)['detail'][:160]}")
    r = run(CUSLIM, "bundle", os.path.join(src, "app"), "-o", os.path.join(tmp, "bad"), "--gpu-arch", "nine", ok=False)
    check(r.returncode == 2 and "'nine' is not a compute capability" in r.stderr, f"--gpu-arch nine: usage error (exit {r.returncode})")


# ---- mode libs -----------------------------------------------------------------------------------

def find_libs():
    cands = [("/usr/local/cuda/lib64/libcublasLt.so.13", "/usr/local/cuda/lib64/libcudnn_engines_precompiled.so.9")]
    wheels = os.path.join(CACHE, "wheels")
    cands.append((os.path.join(wheels, "nvidia/cublas/lib/libcublasLt.so.12"), os.path.join(wheels, "nvidia/cudnn/lib/libcudnn_engines_precompiled.so.9")))
    for c in cands:
        if all(os.path.exists(p) for p in c):
            return [os.path.realpath(p) for p in c]
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", wheels + ".tmp",
                        "nvidia-cublas-cu12==12.8.4.1", "nvidia-cudnn-cu12==9.10.2.21"], capture_output=True, text=True)
    if r.returncode != 0:
        print("skip: no CUDA toolkit cuBLASLt/cuDNN and pip could not fetch the wheels:", r.stderr.strip()[-300:])
        sys.exit(77)
    shutil.rmtree(wheels, ignore_errors=True)
    os.rename(wheels + ".tmp", wheels)
    return [os.path.realpath(p) for p in cands[1]]


def libs_mode(tmp):
    libs = find_libs()
    sums = {p: os.stat(p).st_mtime_ns for p in libs}
    out = os.path.join(tmp, "dir")
    run(CUSLIM, "bundle", *libs, "-o", out, "--format", "dir", "-q", "--gpu-arch", "90", "--report", os.path.join(tmp, "dir.json"))
    dr = json.load(open(os.path.join(tmp, "dir.json")))["gpu_prune"]
    check(dr["measured"] is False and not any("stored_before" in f for f in dr["files"]),
          f"a dir output (nothing compressed) reports no stored sizes (measured: {dr['measured']})")
    print(f"{'library':44} {'size':>12} {'zeroed':>12}")
    for p in libs:
        z = check_pruned(p, out + p, [90], os.path.basename(p))
        print(f"{os.path.basename(p):44} {os.path.getsize(p):12,} {z:12,}")
        check(z > 0, f"{os.path.basename(p)}: GPU code for other archs zeroed")
    sizes = {}
    for name, extra in (("unpruned", []), ("pruned", ["--gpu-arch", "90", "--report", os.path.join(tmp, "r.json")])):
        tar = os.path.join(tmp, name + ".tar.zst")
        run(CUSLIM, "bundle", *libs, "-o", tar, "-q", *extra)
        sizes[name] = os.path.getsize(tar)
    rep = json.load(open(os.path.join(tmp, "r.json")))["gpu_prune"]
    print(f"layer (tar.zst) unpruned {sizes['unpruned']:,} B, pruned {sizes['pruned']:,} B ({100 * (1 - sizes['pruned'] / sizes['unpruned']):.1f} % smaller);"
          f" report: stored_before/after per library " + ", ".join(f"{os.path.basename(f['path'])} {f.get('stored_before', 0):,} -> {f.get('stored_after', 0):,}" for f in rep["files"] if f["pruned"]))
    check(sizes["pruned"] < sizes["unpruned"], "pruning shrinks the compressed layer")
    check(rep["nvidia_libraries_pruned"] >= 2 and rep["layer_stored_bytes"] == sizes["pruned"],
          f"the report counts the NVIDIA libraries pruned ({rep['nvidia_libraries_pruned']}) and the layer's stored size")
    est = rep.get("layer_stored_bytes_without_pruning", 0)
    check(abs(est - sizes["unpruned"]) < 0.02 * sizes["unpruned"], f"the report's size without pruning ({est:,}) is within 2 % of the unpruned layer ({sizes['unpruned']:,})")
    # An OCI image under --layers auto (the default): the report's sizes count every layer cuslim wrote.
    layer_sums = {}
    for name, extra in (("unpruned", []), ("pruned", ["--gpu-arch", "90", "--report", os.path.join(tmp, "r-oci.json")])):
        oci = os.path.join(tmp, name + "-oci")
        run(CUSLIM, "bundle", *libs, "-o", oci, "--tag", "t", "--compression", "zstd", "-q", *extra)
        index = json.load(open(os.path.join(oci, "index.json")))
        manifest = json.load(open(os.path.join(oci, "blobs", "sha256", index["manifests"][0]["digest"][7:])))
        layer_sums[name] = (len(manifest["layers"]), sum(l["size"] for l in manifest["layers"]))
    rep = json.load(open(os.path.join(tmp, "r-oci.json")))["gpu_prune"]
    n, total = layer_sums["pruned"]
    check(n >= 2 and rep["layer_stored_bytes"] == total, f"OCI, {n} layers: layer_stored_bytes ({rep['layer_stored_bytes']:,}) is their sum ({total:,})")
    est, unpruned = rep.get("layer_stored_bytes_without_pruning", 0), layer_sums["unpruned"][1]
    check(abs(est - unpruned) < 0.02 * unpruned, f"OCI: the size without pruning ({est:,}) is within 2 % of the unpruned image's layers ({unpruned:,})")
    # --no-prune-nvidia: NVIDIA's libraries ship byte for byte, and the summary says so.
    whole = os.path.join(tmp, "whole")
    r = run(CUSLIM, "bundle", *libs, "-o", whole, "--format", "dir", "--gpu-arch", "90", "--no-prune-nvidia",
            "--report", os.path.join(tmp, "whole.json"))
    check(all(filecmp.cmp(p, whole + p, shallow=False) for p in libs) and re.search(r"[0-9]+ NVIDIA libraries left whole \(--no-prune-nvidia\)", r.stdout),
          "--no-prune-nvidia leaves NVIDIA's libraries whole, and the summary says so")
    rep = json.load(open(os.path.join(tmp, "whole.json")))["gpu_prune"]
    claimed = sum(rep["zeroed_by_arch"].values()) + sum(f["bytes_zeroed"] + sum(f["zeroed_by_arch"].values()) for f in rep["files"])
    check(rep["bytes_zeroed"] == 0 and claimed == 0 and all(not f["pruned"] and not f["lost_for"] for f in rep["files"]),
          f"... and its report says nothing was zeroed, per arch and per file ({claimed:,} bytes claimed)")
    run(CUSLIM, "bundle", *libs, "-o", os.path.join(tmp, "whole2"), "--format", "dir", "--gpu-arch", "90", "--no-prune-nvidia",
        "--report", os.path.join(tmp, "whole.html"), "-q")
    page = open(os.path.join(tmp, "whole.html"), encoding="utf-8").read()
    check("NVIDIA libraryNVIDIA library" not in page and "NVIDIA library, left whole (--no-prune-nvidia)" in page,
          "the page notes each NVIDIA library left whole once")
    r = run(CUSLIM, "bundle", *libs, "-o", os.path.join(tmp, "x.tar"), "--no-prune-nvidia", ok=False)
    check(r.returncode == 2 and "--no-prune-nvidia requires --gpu-arch" in r.stderr, "--no-prune-nvidia without --gpu-arch is a usage error (exit 2)")
    check(all(os.stat(p).st_mtime_ns == sums[p] for p in libs), "the source libraries are untouched")
    # inspect's entries per arch equal cuobjdump's for these libraries (.cask_resource apart).
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "gpu", "inspect_vs_cuobjdump.py")
    r = run(sys.executable, script, CUSLIM, cuobjdump_tool(), *libs, ok=False)
    check(r.returncode == 0, "inspect agrees with cuobjdump on " + ", ".join(os.path.basename(p) for p in libs) + ("" if r.returncode == 0 else "\n" + r.stdout[-1500:]))


tmp = tempfile.mkdtemp(prefix="cuslim-prune-", dir="/var/tmp")
try:
    os.makedirs(CACHE, exist_ok=True)
    {"nvcc": nvcc_mode, "libs": libs_mode}[MODE](tmp)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
