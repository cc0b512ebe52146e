#!/usr/bin/env python3
"""Differential test: glibc's ldd is the oracle for `cuslim deps`.

For every dynamic ELF executable and shared object under the given directories, the set of
realpaths ldd resolves (and the names it cannot find) must equal what `cuslim deps --format json`
reports. Prints every difference; exits 1 on any, 77 (skip) when too few objects were compared.

usage: ldd_differential.py CUSLIM [--min N] DIR...
"""
import argparse
import concurrent.futures as cf
import json
import os
import re
import subprocess
import sys

ELF_MAGIC = b"\x7fELF"
LDD_LINE = re.compile(r"^\s*(\S+)(?: => (.*?))?(?: \(0x[0-9a-f]+\))?\s*$")


def candidates(dirs):
    seen = set()
    for top in dirs:
        for root, _, files in os.walk(top):
            for name in files:
                p = os.path.join(root, name)
                if os.path.islink(p) or not os.path.isfile(p):
                    continue
                try:
                    with open(p, "rb") as f:
                        head = f.read(18)
                except OSError:
                    continue
                # e_type (offset 16, little-endian): 2 ET_EXEC, 3 ET_DYN
                if head[:4] != ELF_MAGIC or head[4] != 2 or head[16] not in (2, 3):
                    continue
                st = os.stat(p)
                if (st.st_dev, st.st_ino) in seen:
                    continue
                seen.add((st.st_dev, st.st_ino))
                yield p


def parse_ldd(out, real=os.path.realpath):
    """ldd / `ld.so --list` output -> (set of real paths resolved, set of names not found)."""
    found, missing = set(), set()
    for line in out.splitlines():
        m = LDD_LINE.match(line)
        if not m:
            continue
        name, target = m.group(1), m.group(2)
        if target == "not found":
            missing.add(name)
        elif target or "/" in name:
            found.add(real(target or name))
    return found, missing


def run_ldd(path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LD_")}
    r = subprocess.run(["ldd", path], capture_output=True, text=True, env=env, timeout=60)
    if r.returncode != 0 or "not a dynamic executable" in r.stdout or "statically linked" in r.stdout:
        return None
    return parse_ldd(r.stdout)


def run_cuslim(cuslim, path):
    r = subprocess.run([cuslim, "deps", "--format", "json", "--no-dlopen", "-j", "1", path], capture_output=True, text=True, timeout=60)
    if r.returncode not in (0, 1):
        return ("error", r.stderr.strip())
    doc = json.loads(r.stdout)
    me = os.path.realpath(path)
    found = {o["realpath"] for o in doc["objects"] if o["realpath"] and o["realpath"] != me}
    missing = {m["name"] for m in doc["missing"]}
    return found, missing


def compare(cuslim, path):
    oracle = run_ldd(path)
    if oracle is None:
        return path, "skip", None
    ours = run_cuslim(cuslim, path)
    if ours[0] == "error":
        return path, "diff", f"cuslim failed: {ours[1]}"
    if ours == oracle:
        return path, "same", None
    lines = []
    for label, a, b in (("resolved", oracle[0], ours[0]), ("missing", oracle[1], ours[1])):
        if a - b:
            lines.append(f"  ldd {label} only:    {sorted(a - b)}")
        if b - a:
            lines.append(f"  cuslim {label} only: {sorted(b - a)}")
    return path, "diff", "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cuslim")
    ap.add_argument("--min", type=int, default=1000)
    ap.add_argument("dirs", nargs="+")
    a = ap.parse_args()
    dirs = [d for d in a.dirs if os.path.isdir(d)]
    files = sorted(candidates(dirs))
    same = diff = skip = 0
    with cf.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for path, verdict, detail in pool.map(lambda p: compare(a.cuslim, p), files):
            if verdict == "same":
                same += 1
            elif verdict == "skip":
                skip += 1
            else:
                diff += 1
                print(f"DIFF {path}\n{detail}")
    print(f"ldd differential over {', '.join(dirs)}: {same} agree, {diff} differ, {skip} not dynamic (skipped)")
    if diff:
        return 1
    if same < a.min:
        print(f"only {same} objects compared, fewer than --min {a.min}")
        return 77
    return 0


if __name__ == "__main__":
    sys.exit(main())
