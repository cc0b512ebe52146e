#!/usr/bin/env python3
"""Compares `cuslim inspect --json` with `cuobjdump --list-elf --list-ptx`: the number of SASS
and PTX entries per arch must be equal. cuobjdump names family-specific cubins (flag 0x200000,
sm_100f) by their plain arch, so cuslim's 'f' variants are counted under the plain arch for the
comparison and shown apart in the table. usage: inspect_vs_cuobjdump.py CUSLIM CUOBJDUMP FILE..."""
import collections
import json
import re
import subprocess
import sys

NAME = re.compile(r"^(ELF|PTX) file\s+\d+:\s+\S*?\.(sm_\w+?)\.(cubin|ptx)\s*$")


def cuobjdump(tool, path):
    out = subprocess.run([tool, "--list-elf", "--list-ptx", path], capture_output=True, text=True).stdout
    counts = collections.Counter()
    for line in out.splitlines():
        m = NAME.match(line.strip())
        if m:
            counts[(m.group(1).lower().replace("elf", "sass"), m.group(2).replace("sm_", ""))] += 1
    return counts


def cuslim(tool, path):
    doc = json.loads(subprocess.run([tool, "inspect", "--json", path], capture_output=True, text=True, check=True).stdout)[0]
    counts, family = collections.Counter(), collections.Counter()
    for a in doc["fatbin"]["archs"]:
        arch = a["arch"].split("_", 1)[1]
        if arch.endswith("f"):
            family[arch] += a["entries"] - a.get("sections", {}).get(".cask_resource", 0)
            arch = arch[:-1]
        # cuobjdump lists the containers of .nv_fatbin (and __nv_relfatbin); cuslim also indexes
        # those of .cask_resource, which are compared apart.
        counts[(a["kind"], arch)] += a["entries"] - a.get("sections", {}).get(".cask_resource", 0)
    return counts, family, doc


def main():
    tool, cuobj, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    bad = 0
    for f in files:
        theirs = cuobjdump(cuobj, f)
        ours, family, doc = cuslim(tool, f)
        same = theirs == ours
        bad += not same
        archs = sorted({a for _, a in theirs} | {a for _, a in ours}, key=lambda a: (int(re.sub(r"\D", "", a)), a))
        print(f"{'SAME' if same else 'DIFF'} {f}")
        print(f"     {'arch':>8} {'cuobjdump SASS/PTX':>20} {'cuslim SASS/PTX':>18}")
        for a in archs:
            fam = f"  (of which {family[a + 'f']} sm_{a}f)" if family[a + "f"] else ""
            print(f"     {a:>8} {theirs[('sass', a)]:>13}/{theirs[('ptx', a)]:<6} {ours[('sass', a)]:>11}/{ours[('ptx', a)]:<6}{fam}")
        for e in doc["fatbin"]["elsewhere"]:
            print(f"     (cuslim also reports {e['containers']} containers in {e['section']}, {e['bytes']} bytes, outside .nv_fatbin)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
