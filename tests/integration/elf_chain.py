"""Writes N minimal x86-64 shared objects, lib0.so needing lib1.so needing ... lib{N-1}.so: a
dependency chain deeper than any real one, for the views that walk it (one PT_LOAD, one
PT_DYNAMIC holding DT_NEEDED, DT_SONAME, DT_STRTAB and DT_STRSZ; nothing to run)."""
import os
import struct
import sys

DT_NULL, DT_NEEDED, DT_STRTAB, DT_STRSZ, DT_SONAME = 0, 1, 5, 10, 14
BASE = 0x400000


def shared_object(path, needed, soname):
    strtab = b"\0"
    entries = []
    for name in needed + [soname]:
        entries.append((DT_NEEDED if name != soname else DT_SONAME, len(strtab)))
        strtab += name + b"\0"
    phoff, phnum = 64, 2
    dyn_off = phoff + phnum * 56
    str_off = dyn_off + (len(entries) + 3) * 16
    dyn = b"".join(struct.pack("<qQ", t, v) for t, v in entries)
    dyn += struct.pack("<qQqQqQ", DT_STRTAB, BASE + str_off, DT_STRSZ, len(strtab), DT_NULL, 0)
    total = str_off + len(strtab)
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + b"\0" * 8  # ELF64, little endian, SysV
    header = ident + struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0, phoff, 0, 0, 64, 56, phnum, 64, 0, 0)  # ET_DYN, x86-64
    load = struct.pack("<IIQQQQQQ", 1, 4, 0, BASE, BASE, total, total, 0x1000)
    dynamic = struct.pack("<IIQQQQQQ", 2, 4, dyn_off, BASE + dyn_off, BASE + dyn_off, len(dyn), len(dyn), 8)
    with open(path, "wb") as f:
        f.write(header + load + dynamic + dyn + strtab)


if __name__ == "__main__":
    n, out = int(sys.argv[1]), sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for i in range(n):
        shared_object(f"{out}/lib{i}.so", [f"lib{i + 1}.so".encode()] if i + 1 < n else [], f"lib{i}.so".encode())
