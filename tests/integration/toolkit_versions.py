#!/usr/bin/env python3
"""Library versions read from the code of a real CUDA toolkit's libraries, against the version
macros of the same toolkit's headers (an independent source: cufft.h's CUFFT_VER_MAJOR/MINOR/PATCH,
...). A toolkit names these files by soname only (libcufft.so.12), so the name cannot tell.

usage: toolkit_versions.py CUSLIM [CUDA_HOME]   (exit 77 when there is no toolkit)
"""
import json
import os
import re
import subprocess
import sys

# family -> (library, header, macro prefix or the one macro, encoding)
FAMILIES = [
    ("libcufft.so", "cufft.h", "CUFFT_VER_"),
    ("libcurand.so", "curand.h", "CURAND_VER_"),
    ("libcusolver.so", "cusolver_common.h", "CUSOLVER_VER_"),
    ("libcusparse.so", "cusparse.h", "CUSPARSE_VER_"),
    ("libcublas.so", "cublas_api.h", "CUBLAS_VER_"),
    ("libcublasLt.so", "cublas_api.h", "CUBLAS_VER_"),
]


def header_version(path, prefix):
    text = open(path, errors="replace").read()
    parts = []
    for part in ("MAJOR", "MINOR", "PATCH"):
        m = re.search(r"#\s*define\s+" + prefix + part + r"\s+(\d+)", text)
        if not m:
            return None
        parts.append(m.group(1))
    return ".".join(parts)


def main():
    cuslim = sys.argv[1]
    home = sys.argv[2] if len(sys.argv) > 2 else "/usr/local/cuda"
    lib, inc = os.path.join(home, "lib64"), os.path.join(home, "include")
    if not os.path.isdir(lib) or not os.path.isdir(inc):
        print(f"skip: no CUDA toolkit at {home}")
        return 77
    fails = checked = 0
    for so, header, prefix in FAMILIES:
        path, hdr = os.path.join(lib, so), os.path.join(inc, header)
        if not os.path.exists(path) or not os.path.exists(hdr):
            print(f"skip {so}: not in this toolkit")
            continue
        want = header_version(hdr, prefix)
        r = subprocess.run([cuslim, "inspect", "--json", path], capture_output=True, text=True)
        j = json.loads(r.stdout)
        j = j[0] if isinstance(j, list) else j
        got, src = j.get("library_version"), j.get("library_version_source", "")
        ok = want is not None and got == want and src.startswith("code:")
        checked += 1
        fails += not ok
        print(("ok   " if ok else "FAIL ") + f"{so}: cuslim reads {got} ({src}); {header} says {want}")
    if checked == 0:
        print("skip: none of the families is in this toolkit")
        return 77
    print(f"{fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
