#!/usr/bin/env bash
# `cuslim deps` from the outside: every format, the exit codes of the contract, error messages
# that name the file. Outputs are checked against the real tools (ldd, dot when present).
set -u
cuslim=$(readlink -f "$1")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/check_lib.sh"

"$cuslim" deps /usr/bin/ssh > "$tmp/tree"; rc=$?
check "tree exits 0" '[ $rc = 0 ]'
check "tree: the header names the machine and the interpreter" 'head -1 "$tmp/tree" | grep -q "^/usr/bin/ssh  (x86-64 ELF64 program, interpreter /lib64/ld-linux-x86-64.so.2)"'
check "tree: each object once (no repeats), system libraries folded into one line" \
  '! grep -q "see above" "$tmp/tree" && [ -z "$(grep -o "\] /[^ ]*" "$tmp/tree" | sort | uniq -d)" ] && grep -q "system: .*libc.so.6.* (-v shows them)" "$tmp/tree" && ! grep -q "{system}" "$tmp/tree"'
# What a folded library loads is folded too, not lost: a C++ program's libstdc++ loads libm.
printf '#include <iostream>\nint main(){std::cout<<1;}\n' > "$tmp/cxx.cc"; c++ -o "$tmp/cxx" "$tmp/cxx.cc"
"$cuslim" deps "$tmp/cxx" > "$tmp/tree-cxx"
check "tree: every object ldd lists is named, libstdc++'s own libm in the folded line ($(grep 'system:' "$tmp/tree-cxx"))" \
  '(for n in $(ldd "$tmp/cxx" | awk "/=>/ {print \$1}"); do grep -q "$n" "$tmp/tree-cxx" || { echo "missing $n"; exit 1; }; done) && grep -q "system: .*libm.so.6" "$tmp/tree-cxx"'
"$cuslim" deps -v /usr/bin/ssh > "$tmp/tree-v"
check "tree -v shows libc through the cache, still each object once" 'grep -q "libc.so.6 \[ld.so.cache\] {system}" "$tmp/tree-v" && ! grep -q "see above" "$tmp/tree-v"'
check "tree -v names every object ldd lists" '(for n in $(ldd /usr/bin/ssh | awk "/=>/ {print \$1}"); do grep -q "── $n \[" "$tmp/tree-v" || { echo "missing $n"; exit 1; }; done)'
"$cuslim" deps -vv /usr/bin/ssh > "$tmp/tree-vv"
check "tree -vv shows repeats (not descended)" 'grep -q "(see above)" "$tmp/tree-vv" && [ $(wc -l < "$tmp/tree-vv") -gt $(wc -l < "$tmp/tree-v") ]'
check "tree -vv: every repeat is marked, leaves too (the interpreter: $(grep -c "ld-linux-x86-64.so.2 \[direct\].*(see above)" "$tmp/tree-vv"))" \
  '[ -z "$(grep "── " "$tmp/tree-vv" | grep -v "(see above)" | sed "s/^[│├└─ ]*//" | sort | uniq -d)" ] && grep -q "ld-linux-x86-64.so.2 \[direct\].*(see above)" "$tmp/tree-vv"'
"$cuslim" deps -v --max-depth 1 /usr/bin/ssh > "$tmp/tree-d1"
check "--max-depth 1: only the first level, cuts marked" '! grep -q "^[│ ]   [├└]" "$tmp/tree-d1" && grep -q " \.\.\.$" "$tmp/tree-d1"'
# A name missing under two objects: its search shown once, the second meeting marked (ldd lists it
# twice; the tree says where it was searched once).
mkdir -p "$tmp/mz"; echo 'int z(void){return 1;}' > "$tmp/mz/z.c"; cc -shared -fPIC -o "$tmp/mz/libzz.so" "$tmp/mz/z.c"
for l in A B; do echo "int z(void); int f$l(void){return z();}" > "$tmp/mz/$l.c"; cc -shared -fPIC -o "$tmp/mz/lib$l.so" "$tmp/mz/$l.c" -L"$tmp/mz" -lzz; done
echo 'int fA(void);int fB(void); int main(void){return fA()+fB();}' > "$tmp/mz/m.c"; cc -o "$tmp/mz/m" "$tmp/mz/m.c" -L"$tmp/mz" -lA -lB -Wl,-rpath,'$ORIGIN'
rm "$tmp/mz/libzz.so"; "$cuslim" deps "$tmp/mz/m" > "$tmp/tree-mz"; rc=$?
check "a name missing twice: exit 1, its places listed once, the second meeting says (see above)" \
  '[ $rc = 1 ] && [ $(grep -c "libzz.so not found" "$tmp/tree-mz") = 2 ] && [ $(grep -c "libzz.so not found (see above)" "$tmp/tree-mz") = 1 ] && [ $(grep -c "1\. ld.so.cache" "$tmp/tree-mz") = 1 ] && [ $(ldd "$tmp/mz/m" | grep -c "libzz.so => not found") = 2 ]'
# --max-depth: an object first met where the depth cuts it is expanded where it is met again
# higher up (m2 -> libP -> libQ -> libR, and m2 -> libQ: libQ shows libR under m2).
mkdir -p "$tmp/md"; echo 'int r(void){return 1;}' > "$tmp/md/r.c"; cc -shared -fPIC -o "$tmp/md/libR.so" "$tmp/md/r.c"
echo 'int r(void); int q(void){return r();}' > "$tmp/md/q.c"; cc -shared -fPIC -o "$tmp/md/libQ.so" "$tmp/md/q.c" -L"$tmp/md" -lR -Wl,-rpath,'$ORIGIN'
echo 'int q(void); int p(void){return q();}' > "$tmp/md/p.c"; cc -shared -fPIC -o "$tmp/md/libP.so" "$tmp/md/p.c" -L"$tmp/md" -lQ -Wl,-rpath,'$ORIGIN'
echo 'int p(void);int q(void); int main(void){return p()+q();}' > "$tmp/md/m.c"; cc -o "$tmp/md/m2" "$tmp/md/m.c" -L"$tmp/md" -Wl,--no-as-needed -lP -lQ -Wl,-rpath,'$ORIGIN'
for v in "" -vv; do "$cuslim" deps $v --max-depth 2 "$tmp/md/m2" > "$tmp/tree-md$v"; done
check "--max-depth 2: libQ, cut below libP, is expanded under the program (default and -vv)" \
  'for f in "$tmp/tree-md" "$tmp/tree-md-vv"; do grep -q "^│   └── libQ.so .* \.\.\.$" "$f" && grep -A2 "^├── libQ.so \[runpath\] [^ ]*$" "$f" | grep -q "libR.so" || { cat "$f"; exit 1; }; done'
# -vv: libQ met again where it is cut again (m3 -> libP -> libQ, m3 -> libS -> libQ, m3 -> libQ)
# is a cut ("..."), not "(see above)": above it was a cut line with no children.
echo 'int q(void); int s(void){return q();}' > "$tmp/md/s.c"; cc -shared -fPIC -o "$tmp/md/libS.so" "$tmp/md/s.c" -L"$tmp/md" -lQ -Wl,-rpath,'$ORIGIN'
echo 'int p(void);int s(void);int q(void); int main(void){return p()+s()+q();}' > "$tmp/md/m3.c"; cc -o "$tmp/md/m3" "$tmp/md/m3.c" -L"$tmp/md" -Wl,--no-as-needed -lP -lS -lQ -Wl,-rpath,'$ORIGIN'
"$cuslim" deps -vv --max-depth 2 "$tmp/md/m3" > "$tmp/tree-md3"
check "-vv --max-depth 2: libQ cut twice is '...' both times, never '(see above)' of a cut, then expanded" \
  '[ $(grep -c "^│   └── libQ.so .* \.\.\.$" "$tmp/tree-md3") = 2 ] && ! grep -q "libQ.so.*(see above)" "$tmp/tree-md3" && grep -A3 "^[├└]── libQ.so \[runpath\] [^ ]*$" "$tmp/tree-md3" | grep -q "libR.so"' || cat "$tmp/tree-md3"
# A target of another machine: the header says so (a copy of /bin/true with e_machine AArch64).
cp /bin/true "$tmp/arm"; printf "\xb7\x00" | dd of="$tmp/arm" bs=1 seek=18 conv=notrunc 2> /dev/null
"$cuslim" deps "$tmp/arm" > "$tmp/tree-arm" 2> "$tmp/err-arm"; rc=$?
check "an AArch64 target on this root: the header says so, exit 1" '[ $rc = 1 ] && head -1 "$tmp/tree-arm" | grep -q "AArch64 ELF64 program, interpreter /lib64/ld-linux-x86-64.so.2; this root resolves x86-64" && grep -q "this root resolves x86-64" "$tmp/err-arm" && grep -q "ld-linux-x86-64.so.2: wrong ELF class or machine)" "$tmp/tree-arm"'
"$cuslim" bundle -q "$tmp/arm" -o "$tmp/arm.tar" 2> "$tmp/err-arm"; rc=$?
check "bundle of an AArch64 program says why (exit 3), not a missing loader" '[ $rc = 3 ] && grep -q "AArch64 ELF64 program, interpreter /lib64/ld-linux-x86-64.so.2; this root resolves x86-64" "$tmp/err-arm" && [ ! -e "$tmp/arm.tar" ]'
# A 32-bit object on a multilib root (libc6-i386, installed by scripts/test): it loads here, so no
# wrong-architecture claim; in a root without a 32-bit C library the claim stands.
"$cuslim" deps -v /usr/lib32/libm.so.6 > "$tmp/tree-i386" 2> "$tmp/err-i386"; rc=$?
check "an i386 library on this multilib root: no wrong-architecture claim, its libc where ldd finds it" \
  '[ $rc = 0 ] && ! grep -q "can load here" "$tmp/tree-i386" "$tmp/err-i386" && grep -q "libc.so.6 \[ld.so.cache\] {system} /lib32/libc.so.6" "$tmp/tree-i386" && ldd /usr/lib32/libm.so.6 | grep -q "/lib32/libc.so.6"'
mkdir -p "$tmp/r32/bin" "$tmp/r32/lib32"; cp /bin/dash "$tmp/r32/bin/sh"; cp /usr/lib32/libm.so.6 "$tmp/r32/lib32/"
"$cuslim" deps --root "$tmp/r32" /lib32/libm.so.6 > "$tmp/tree-r32" 2>&1
check "the same library in a root without a 32-bit C library: said to be foreign" 'grep -q "this root resolves x86-64" "$tmp/tree-r32"'
# Relative targets: the header too, under the normalized path.
(cd "$tmp" && cp /usr/bin/ssh ./ssh-copy && "$cuslim" deps ./ssh-copy > "$tmp/tree-rel" && "$cuslim" deps ./arm > "$tmp/tree-arm-rel" 2>/dev/null)
check "a relative target: header with machine and interpreter, path normalized" 'head -1 "$tmp/tree-rel" | grep -q "^$tmp/ssh-copy  (x86-64 ELF64 program, interpreter /lib64/ld-linux-x86-64.so.2)"'
"$cuslim" deps --format json "$tmp/arm" > "$tmp/json-arm" 2>/dev/null
check "json: an AArch64 target's machine and the root's, marked foreign" 'python3 - "$tmp/json-arm" "$tmp/arm" <<PY
import json, sys
t = json.load(open(sys.argv[1]))["targets"][sys.argv[2]]
assert t["machine"] == "AArch64" and t["root_machine"] == "x86-64" and t["foreign"] is True, t
PY'
check "a relative AArch64 target: the header says so" 'head -1 "$tmp/tree-arm-rel" | grep -q "^$tmp/arm .*AArch64 ELF64 program, interpreter /lib64/ld-linux-x86-64.so.2; this root resolves x86-64"'
# -vv: an object's own RUNPATH under its line.
mkdir -p "$tmp/rp/lib"; echo 'int f(void){return 1;}' > "$tmp/rp/f.c"; cc -shared -fPIC -o "$tmp/rp/lib/libf.so" "$tmp/rp/f.c"
echo 'int f(void); int main(void){return f();}' > "$tmp/rp/m.c"; cc -o "$tmp/rp/m" "$tmp/rp/m.c" -L"$tmp/rp/lib" -lf -Wl,--enable-new-dtags,-rpath,'$ORIGIN/lib'
"$cuslim" deps -vv "$tmp/rp/m" > "$tmp/tree-rp"
check "tree -vv shows the target's RUNPATH" 'grep -qF "(runpath \$ORIGIN/lib)" "$tmp/tree-rp" && grep -q "libf.so \[runpath\]" "$tmp/tree-rp"'

# '..' after a symlink in a search dir (LD_LIBRARY_PATH, RUNPATH): the kernel takes the parent of
# where the link leads, so "a/../lib" with a -> x/y is x/lib, not the lexical ./lib. As ldd, and
# the bundle carries the link and the real directory, and runs.
mkdir -p "$tmp/dd/x/y" "$tmp/dd/x/lib" "$tmp/dd/lib"; ln -s x/y "$tmp/dd/a"
echo 'int f(void){return 7;}' > "$tmp/dd/f.c"; cc -shared -fPIC -o "$tmp/dd/x/lib/libdd.so" "$tmp/dd/f.c"
printf '#include <stdio.h>\nint f(void);\nint main(void){printf("f=%%d\\n", f());return 0;}\n' > "$tmp/dd/m.c"
cc -o "$tmp/dd/m" "$tmp/dd/m.c" -L"$tmp/dd/x/lib" -ldd; cc -o "$tmp/dd/m2" "$tmp/dd/m.c" -L"$tmp/dd/x/lib" -ldd -Wl,--enable-new-dtags,-rpath,"$tmp/dd/a/../lib"
want=$(LD_LIBRARY_PATH="$tmp/dd/a/../lib" ldd "$tmp/dd/m" | awk '/libdd/ {print $3}')
got=$("$cuslim" deps --format list --ld-library-path "$tmp/dd/a/../lib" "$tmp/dd/m" | awk '/libdd/ {print $3}')
check "LD_LIBRARY_PATH a/../lib with a a symlink: found where ldd finds it ($got)" '[ -n "$want" ] && [ "$got" = "$want" ]'
want=$(ldd "$tmp/dd/m2" | awk '/libdd/ {print $3}'); got=$("$cuslim" deps --format list "$tmp/dd/m2" | awk '/libdd/ {print $3}')
check "RUNPATH a/../lib: found where ldd finds it ($got)" '[ -n "$want" ] && [ "$got" = "$want" ]'
"$cuslim" bundle -q "$tmp/dd/m2" -o "$tmp/dd/img" --format dir
check "the bundle holds the link and the real directory, not a lexical ./lib" '[ -L "$tmp/dd/img$tmp/dd/a" ] && [ -f "$tmp/dd/img$tmp/dd/x/lib/libdd.so" ] && [ ! -e "$tmp/dd/img$tmp/dd/lib" ]'
out=$("$cuslim" run --gpu off "$tmp/dd/img" -- "$tmp/dd/m2" 2>&1)
check "and the program runs there ($out)" '[ "$out" = "f=7" ]'

"$cuslim" deps --format list /usr/bin/ssh > "$tmp/list"
ldd /usr/bin/ssh | awk '/=>/ {print $1, $3}' | sort > "$tmp/ldd.pairs"
awk '/=>/ {print $1, $3}' "$tmp/list" | sort > "$tmp/ours.pairs"
check "list gives ldd's name => path pairs" 'diff "$tmp/ldd.pairs" "$tmp/ours.pairs"'

"$cuslim" deps --format json /usr/bin/ssh > "$tmp/json"
check "json has the contract's fields" 'python3 - "$tmp/json" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {"roots", "objects", "missing", "dlopen_unmet", "passed_over", "targets"}, d.keys()
assert d["passed_over"] == [] and d["dlopen_unmet"] == [], d
t = d["targets"]["/usr/bin/ssh"]
assert t == {"machine": "x86-64", "elf_class": 64, "type": "program", "interpreter": "/lib64/ld-linux-x86-64.so.2",
             "root_machine": "x86-64", "foreign": False, "summary": t["summary"]} and "interpreter" in t["summary"], t
for o in d["objects"]:
    assert {"path", "realpath", "soname", "class", "rule", "how", "needed", "parents", "size"} <= set(o), o
    assert o["how"] in {"direct", "rpath", "ld_library_path", "runpath", "ld.so.cache", "ld.so.conf", "default", "dlopen-profile", "trace"}
    assert o["class"] in {"driver", "system", "cuda", "toolkit", "app"}
assert d["roots"] == ["/usr/bin/ssh"]
PY'

"$cuslim" deps --format dot /usr/bin/ssh > "$tmp/dot"
if command -v dot >/dev/null; then check "dot output is valid graphviz" 'dot -Tsvg "$tmp/dot" -o /dev/null'
else check "dot output is a digraph" 'head -1 "$tmp/dot" | grep -q "^digraph"'; fi

# A library whose name is not UTF-8: the dot output stays UTF-8, the bytes written as \xNN.
mkdir -p "$tmp/nu"; echo 'int h(void){return 2;}' > "$tmp/nu/h.c"
cc -shared -fPIC -Wl,-soname,"$(printf 'libh\xff.so')" -o "$tmp/nu/$(printf 'libh\xff.so')" "$tmp/nu/h.c"
echo 'int h(void); int main(void){return h();}' > "$tmp/nu/m.c"
cc -o "$tmp/nu/m" "$tmp/nu/m.c" "$tmp/nu/$(printf 'libh\xff.so')" -Wl,-rpath,"$tmp/nu"
"$cuslim" deps --format dot "$tmp/nu/m" > "$tmp/nu.dot"
check "dot: a non-UTF-8 soname is written as \\xff, the file is UTF-8" 'python3 -c "open(\"$tmp/nu.dot\", encoding=\"utf-8\").read()" && grep -qF "libh\\\\xff.so" "$tmp/nu.dot"'
if command -v dot >/dev/null; then check "... and graphviz reads it" 'dot -Tsvg "$tmp/nu.dot" -o /dev/null'; fi
# Two targets whose names differ in bytes that are not UTF-8: two distinct keys of `targets`
# (each would be "m\ufffd" and the object would hold that key twice), each with its path_hex.
cp "$tmp/nu/m" "$tmp/nu/$(printf 'm\xfe')"; cp "$tmp/nu/m" "$tmp/nu/$(printf 'm\xfd')"
"$cuslim" deps --format json "$tmp/nu/$(printf 'm\xfe')" "$tmp/nu/$(printf 'm\xfd')" > "$tmp/nu.json"
check "json: targets named with non-UTF-8 bytes are distinct keys (\\xNN) with path_hex" 'python3 - "$tmp/nu.json" "$tmp/nu" <<"PY"
import json, sys
pairs = []
d = json.load(open(sys.argv[1], encoding="utf-8"), object_pairs_hook=lambda kv: (pairs.append([k for k, _ in kv]), dict(kv))[1])
assert all(len(k) == len(set(k)) for k in pairs), "a duplicate key"
t = d["targets"]
base = sys.argv[2].encode()
want = {base + b"/m\xfe", base + b"/m\xfd"}
got = {bytes.fromhex(v["path_hex"]) for v in t.values() if "path_hex" in v}
assert got == want, (got, want)
assert sys.argv[2] + "/m\\xfe" in t and sys.argv[2] + "/m\\xfd" in t, list(t)
PY'

# Missing: exit 1 and the tried list.
mkdir -p "$tmp/m"
echo 'void g(void){}' > "$tmp/m/g.c"; cc -shared -fPIC -o "$tmp/m/libgone.so" "$tmp/m/g.c"
echo 'void g(void); int main(void){g();return 0;}' > "$tmp/m/app.c"
cc -o "$tmp/m/app" "$tmp/m/app.c" -L"$tmp/m" -lgone; rm "$tmp/m/libgone.so"
"$cuslim" deps "$tmp/m/app" > "$tmp/missing" 2>&1; rc=$?
check "missing dependency exits 1" '[ $rc = 1 ]'
check "tree names the missing library and what was tried" 'grep -q "libgone.so not found" "$tmp/missing" && grep -q "ld.so.cache" "$tmp/missing"'

# Bad input: exit 3 and the file named.
echo "not elf" > "$tmp/junk"
"$cuslim" deps "$tmp/junk" 2> "$tmp/err"; rc=$?
check "garbage input exits 3" '[ $rc = 3 ]'
check "error names the file and why" 'grep -q "^cuslim: $tmp/junk: not an ELF file" "$tmp/err"'
printf '#!/opt/absent/python3\nprint(1)\n' > "$tmp/script.py"; chmod +x "$tmp/script.py"
"$cuslim" deps "$tmp/script.py" 2> "$tmp/err"; rc=$?
check "a script: exit 3, named as a #! script with its interpreter" '[ $rc = 3 ] && grep -qF "$tmp/script.py: a #! script (#!/opt/absent/python3), not an ELF file" "$tmp/err"'
"$cuslim" bundle -q "$tmp/script.py" -o "$tmp/script.tar" 2> "$tmp/err"; rc=$?
check "bundle of a script whose interpreter is absent names the script (exit 3)" '[ $rc = 3 ] && grep -qF "$tmp/script.py: its #! interpreter /opt/absent/python3 is not found" "$tmp/err" && [ ! -e "$tmp/script.tar" ]'
printf '#!/usr/bin/env -S no-such-interpreter -u\n' > "$tmp/script2"; chmod +x "$tmp/script2"
"$cuslim" bundle -q "$tmp/script2" -o "$tmp/script.tar" 2> "$tmp/err"; rc=$?
check "bundle of an env script whose program PATH lacks names both (exit 3)" '[ $rc = 3 ] && grep -qF "$tmp/script2: its #! line runs '"'"'no-such-interpreter'"'"' through env" "$tmp/err"'
"$cuslim" deps "$tmp/absent" 2> "$tmp/err"; rc=$?
check "absent input exits 3" '[ $rc = 3 ] && grep -q "absent" "$tmp/err"'
"$cuslim" deps --format bogus /usr/bin/ssh 2> /dev/null; rc=$?
check "bad option exits 2" '[ $rc = 2 ]'
for n in -1 1 x; do
  "$cuslim" bundle -q /bin/true -o "$tmp/cs.tar" --chunk-size "$n" 2> "$tmp/err"; rc=$?
  check "--chunk-size $n is a usage error (exit 2) saying why" '[ $rc = 2 ] && grep -q "at least 65536" "$tmp/err" && [ ! -e "$tmp/cs.tar" ]'
done
# A target that an earlier target already loads is still shown as a root of its own (it was
# dropped from the tree and list views when met first as a dependency).
libc=$(ldd /usr/bin/ls | awk '$1 == "libc.so.6" {print $3}')
"$cuslim" deps /usr/bin/ls "$libc" > "$tmp/two"; rc=$?
check "deps ls $libc: both roots in the tree (rc=$rc)" '[ $rc = 0 ] && grep -q "^/usr/bin/ls " "$tmp/two" && grep -q "^$libc " "$tmp/two"'
"$cuslim" deps --format list /usr/bin/ls "$libc" > "$tmp/two-list"
check "... and in the list view" 'grep -q "^/usr/bin/ls:" "$tmp/two-list" && grep -q "^$libc:" "$tmp/two-list"'
# A static-pie program (glibc's ldconfig): a program, not a shared object, though ET_DYN without an interpreter.
"$cuslim" deps /sbin/ldconfig > "$tmp/ldconfig" 2>&1
check "a static program (Debian's ldconfig: static-pie) is a program in its header, not a shared object ($(head -1 "$tmp/ldconfig"))" \
  'head -1 "$tmp/ldconfig" | grep -q "program" && ! head -1 "$tmp/ldconfig" | grep -q "shared object"'
"$cuslim" deps --help > "$tmp/help"
check "help has examples" 'grep -q "Examples" "$tmp/help"'

# A DT_NEEDED name far longer than a file name can be (a hostile object): a missing library, not a
# crash (the driver-name rule's std::regex recursed per character and overflowed the stack).
mkdir -p "$tmp/longneed"; long="libnvidia-$(head -c 60000 /dev/zero | tr '\0' a).so.123.4"
echo 'int f(void){return 0;}' > "$tmp/longneed/f.c"
cc -shared -fPIC -Wl,-soname,"$long" -o "$tmp/longneed/libf.so" "$tmp/longneed/f.c"
echo 'int f(void); int main(void){return f();}' > "$tmp/longneed/m.c"; cc -o "$tmp/longneed/app" "$tmp/longneed/m.c" "$tmp/longneed/libf.so"
"$cuslim" deps "$tmp/longneed/app" > "$tmp/longneed/out" 2>&1; rc=$?
check "deps of a program needing a 60,000-byte name: exit 1 (a missing dependency), said, no crash ($rc)" '[ $rc = 1 ] && grep -q "not found" "$tmp/longneed/out"'
"$cuslim" bundle -q "$tmp/longneed/app" -o "$tmp/longneed/img.tar" > /dev/null 2>&1; rc=$?
check "... bundle of it: exit 1, no crash ($rc)" '[ $rc = 1 ]'
# A chain of 3,000 objects (generated): the tree view stops at its 1,000 levels and says so, the
# list holds every object (the recursive tree overflowed the stack at about 15,000).
python3 "$(dirname "$0")/elf_chain.py" 3000 "$tmp/chain"
"$cuslim" deps "$tmp/chain/lib0.so" --ld-library-path "$tmp/chain" > "$tmp/chain.tree" 2>&1; rc=$?
check "deps of a 3,000-deep chain: exit 0, cut at level 1000 with a note ($rc)" \
  '[ $rc = 0 ] && grep -q "lib1000.so .* \.\.\.$" "$tmp/chain.tree" && ! grep -q "lib1001.so" "$tmp/chain.tree" && grep -q "the tree view stops at 1000 levels" "$tmp/chain.tree"'
"$cuslim" deps --format list "$tmp/chain/lib0.so" --ld-library-path "$tmp/chain" > "$tmp/chain.list"; rc=$?
check "... --format list: every one of the 2,999 objects below it" '[ $rc = 0 ] && [ "$(grep -c "=> $tmp/chain/lib" "$tmp/chain.list")" = 2999 ]'
# An AArch64 root (its loader and a static-pie program, their machines patched): the image's
# config says arm64, verify's architecture check passes; an x86-64 image whose config says arm64
# fails it; an x86-64 program on an arm64 --base is refused.
mkdir -p "$tmp/a64/lib" "$tmp/a64/app"
cp /lib64/ld-linux-x86-64.so.2 "$tmp/a64/lib/ld-linux-aarch64.so.1"; cp /sbin/ldconfig "$tmp/a64/app/app"
for f in "$tmp/a64/lib/ld-linux-aarch64.so.1" "$tmp/a64/app/app"; do printf "\xb7\x00" | dd of="$f" bs=1 seek=18 conv=notrunc 2> /dev/null; done
config_of() { python3 -c "import json,sys; d=sys.argv[1]; i=json.load(open(d+'/index.json')); m=json.load(open(d+'/blobs/sha256/'+i['manifests'][0]['digest'][7:])); print(d+'/blobs/sha256/'+m['config']['digest'][7:])" "$1"; }
"$cuslim" bundle -q --root "$tmp/a64" /app/app -o "$tmp/a64-img" 2> "$tmp/err"; rc=$?
check "bundle of an AArch64 root: the config says arm64 ($rc: $(cat "$tmp/err"))" '[ $rc = 0 ] && grep -q "\"architecture\":\"arm64\"" "$(config_of "$tmp/a64-img")"'
"$cuslim" verify "$tmp/a64-img" > "$tmp/v-a64" 2>&1
check "... verify: architecture passes (arm64)" 'grep -q "PASS architecture *arm64" "$tmp/v-a64"'
"$cuslim" bundle -q /bin/true -o "$tmp/x64-img" 2> /dev/null
cfg=$(config_of "$tmp/x64-img"); sed -i 's/"architecture":"amd64"/"architecture":"arm64"/' "$cfg"
python3 - "$tmp/x64-img" "$cfg" <<'PY'
import hashlib, json, os, sys
d, cfg = sys.argv[1], sys.argv[2]
data = open(cfg, "rb").read(); h = hashlib.sha256(data).hexdigest(); os.rename(cfg, d + "/blobs/sha256/" + h)
i = json.load(open(d + "/index.json")); mp = d + "/blobs/sha256/" + i["manifests"][0]["digest"][7:]; m = json.load(open(mp))
m["config"]["digest"], m["config"]["size"] = "sha256:" + h, len(data); mb = json.dumps(m).encode(); mh = hashlib.sha256(mb).hexdigest()
open(d + "/blobs/sha256/" + mh, "wb").write(mb); i["manifests"][0]["digest"], i["manifests"][0]["size"] = "sha256:" + mh, len(mb)
json.dump(i, open(d + "/index.json", "w"))
PY
"$cuslim" verify "$tmp/x64-img" > "$tmp/v-x64" 2>&1; rc=$?
check "verify of x86-64 programs under a config saying arm64: exit 1, architecture fails ($rc)" '[ $rc = 1 ] && grep -q "FAIL architecture *the config says arm64, the ELF files are for another machine (.* amd64)" "$tmp/v-x64"'
"$cuslim" bundle -q /bin/true --base "$tmp/a64-img" -o "$tmp/mixed" 2> "$tmp/err"; rc=$?
check "bundle of an x86-64 program on an arm64 --base: exit 3, said ($(cat "$tmp/err"))" '[ $rc = 3 ] && grep -q "an image for arm64, the programs bundled on it are amd64" "$tmp/err" && [ ! -e "$tmp/mixed" ]'
# --json is --format json (the spelling every other command uses); both at once is a usage error.
"$cuslim" deps --json /usr/bin/ssh > "$tmp/json2"
check "deps --json prints what --format json prints" 'cmp -s "$tmp/json" "$tmp/json2"'
"$cuslim" deps --json --format tree /usr/bin/ssh > /dev/null 2>&1; rc=$?
check "deps --json --format tree: exit 2" '[ $rc = 2 ]'
# An image as --base: deps classifies with a base profile, and says so (the image exists).
"$cuslim" bundle -q /bin/true -o "$tmp/img-base" 2> /dev/null
"$cuslim" deps --base "$tmp/img-base" /bin/true 2> "$tmp/base.err"; rc=$?
check "deps --base IMAGE: exit 2 saying an image is for bundle and build, not that it does not exist ($(cat "$tmp/base.err"))" \
  '[ $rc = 2 ] && grep -q "an image; here --base names a base profile" "$tmp/base.err" && ! grep -q "exists" "$tmp/base.err"'
# Machine readers get a document even when no target could be read (exit 3 all the same).
"$cuslim" deps --format json /no/such/file > "$tmp/none.json" 2> /dev/null; rc=$?
check "deps --format json of only bad targets: exit 3 and an empty graph document ($(head -c 80 "$tmp/none.json"))" \
  '[ $rc = 3 ] && python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d[\"targets\"] == {}, d" "$tmp/none.json"'
"$cuslim" deps --format dot /no/such/file 2> /dev/null | grep -q "^digraph deps"; rc=$?
check "... and --format dot an empty digraph" '[ $rc = 0 ]'
# LD_LIBRARY_PATH is split at ';' as at ':' (glibc's _dl_init_paths), and --hwcaps names are checked.
mkdir -p "$tmp/llp/x" "$tmp/llp/y"; echo 'int b(void){return 0;}' > "$tmp/llp/b.c"
cc -shared -fPIC -Wl,-soname,libB.so.1 -o "$tmp/llp/y/libB.so.1" "$tmp/llp/b.c"
echo 'int b(void); int main(void){return b();}' > "$tmp/llp/m.c"; cc -o "$tmp/llp/app" "$tmp/llp/m.c" "$tmp/llp/y/libB.so.1"
want=$(LD_LIBRARY_PATH="$tmp/llp/x;$tmp/llp/y" ldd "$tmp/llp/app" | awk '$1 == "libB.so.1" {print $3}')
got=$("$cuslim" deps --format list --ld-library-path "$tmp/llp/x;$tmp/llp/y" "$tmp/llp/app" | awk '$1 == "libB.so.1" {print $3}')
check "--ld-library-path 'x;y' finds libB.so.1 where ldd does ($got, ldd: $want)" '[ -n "$want" ] && [ "$got" = "$want" ]'
"$cuslim" deps --hwcaps x86_64-v3 /bin/true > /dev/null 2> "$tmp/hw.err"; rc=$?
check "--hwcaps x86_64-v3 (a typo): exit 2 naming the known names ($(cat "$tmp/hw.err" | head -1))" '[ $rc = 2 ] && grep -q "x86-64-v3" "$tmp/hw.err"'

# A DT_NEEDED that is a relative path opens from the working directory, as ld.so does it.
mkdir -p "$tmp/rel/sub"; echo 'int q(void){return 0;}' > "$tmp/rel/q.c"; cc -shared -fPIC -o "$tmp/rel/sub/libq.so" "$tmp/rel/q.c"
echo 'int q(void); int main(void){return q();}' > "$tmp/rel/m.c"
(cd "$tmp/rel" && cc -o app m.c -Wl,--no-as-needed sub/libq.so)
want=$(cd "$tmp/rel" && LD_TRACE_LOADED_OBJECTS=1 ./app | grep -c "sub/libq.so")
got=$(cd "$tmp/rel" && "$cuslim" deps --format list ./app); rc=$?
check "NEEDED sub/libq.so, run from its dir: found where ld.so finds it (rc=$rc, ld.so: $want)" '[ $rc = 0 ] && [ "$want" = 1 ] && echo "$got" | grep -q "sub/libq.so => $tmp/rel/sub/libq.so"'
"$cuslim" deps --format list "$tmp/rel/app" > /dev/null; rc=$?
check "... from elsewhere: not found (exit 1), as ld.so fails there too" '[ $rc = 1 ]'

# Names are bytes from ELF files and the command line: a control byte in one (an escape sequence
# that would recolour the terminal or set its title) is shown as \xNN, never sent.
mkdir -p "$tmp/esc"; echo 'int e(void){return 1;}' > "$tmp/esc/e.c"
esc_name=$(printf 'libe\033]0;pwned\007.so')
cc -shared -fPIC -o "$tmp/esc/$esc_name" "$tmp/esc/e.c" -Wl,-soname,"$esc_name"
echo 'int e(void); int main(void){return e();}' > "$tmp/esc/m.c"; cc -o "$tmp/esc/m" "$tmp/esc/m.c" "$tmp/esc/$esc_name"
rm "$tmp/esc/$esc_name"
"$cuslim" deps "$tmp/esc/m" > "$tmp/esc/tree" 2> "$tmp/esc/err"; rc=$?
check "a missing DT_NEEDED with control bytes: exit 1, shown as \\x1b...\\x07 in the tree, no raw control byte ($(grep -c "x1b" "$tmp/esc/tree"))" \
  '[ $rc = 1 ] && grep -qF "libe\x1b]0;pwned\x07.so not found" "$tmp/esc/tree" && ! LC_ALL=C grep -q "[[:cntrl:]]" <(tr -d "\n\t" < "$tmp/esc/tree")'
"$cuslim" deps "$tmp/esc/$esc_name" > /dev/null 2> "$tmp/esc/err"; rc=$?
check "an error naming such a file: exit 3, the name escaped ($(cat "$tmp/esc/err"))" \
  '[ $rc = 3 ] && grep -qF "libe\x1b]0;pwned\x07.so" "$tmp/esc/err" && ! LC_ALL=C grep -q "[[:cntrl:]]" <(tr -d "\n\t" < "$tmp/esc/err")'

"$cuslim" deps --format list "$tmp/esc/m" > "$tmp/esc/list" 2> "$tmp/esc/err"; rc=$?
check "--format list of it: exit 1, the name escaped, no raw control byte" \
  '[ $rc = 1 ] && grep -qF "libe\x1b]0;pwned\x07.so => not found" "$tmp/esc/list" && ! LC_ALL=C grep -q "[[:cntrl:]]" <(tr -d "\n\t" < "$tmp/esc/list")'
# A found library whose name holds a line break: one line per object still (the break shown as \x0a).
nl_name=$(printf 'libn\nfake.so')
cc -shared -fPIC -o "$tmp/esc/$nl_name" "$tmp/esc/e.c" -Wl,-soname,"$nl_name" && cc -o "$tmp/esc/mn" "$tmp/esc/m.c" "$tmp/esc/$nl_name" -Wl,-rpath,"$tmp/esc"
"$cuslim" deps --format list "$tmp/esc/mn" > "$tmp/esc/nlist" 2> "$tmp/esc/err"; rc=$?
check "--format list of a library named with a line break: one line for it, the break shown as \\x0a ($rc)" \
  '[ $rc = 0 ] && grep -qF "libn\x0afake.so => $tmp/esc/libn\x0afake.so" "$tmp/esc/nlist" && ! grep -q "^fake" "$tmp/esc/nlist"' || cat -A "$tmp/esc/nlist"

# Section headers the loader never reads: past the end of the file, or none at all. glibc loads
# both; deps resolves them, and inspect says GPU code was not looked for instead of "no fatbin".
mkdir -p "$tmp/shdr"; printf '#include <stdio.h>\nint s(void){return puts != 0;}\n' > "$tmp/shdr/s.c"
cc -shared -fPIC -o "$tmp/shdr/libpast.so" "$tmp/shdr/s.c" -Wl,--no-as-needed && cp "$tmp/shdr/libpast.so" "$tmp/shdr/libnone.so"
python3 - "$tmp/shdr/libpast.so" "$tmp/shdr/libnone.so" <<'PY'
import struct, sys
with open(sys.argv[1], "r+b") as f:  # e_shoff far past the end
    f.seek(0x28); f.write(struct.pack("<Q", 1 << 30))
with open(sys.argv[2], "r+b") as f:  # no section headers: e_shoff 0, e_shnum 0, e_shstrndx 0
    f.seek(0x28); f.write(struct.pack("<Q", 0)); f.seek(0x3c); f.write(struct.pack("<HH", 0, 0))
PY
for lib in libpast libnone; do
  loaded=$(python3 -c 'import ctypes, sys; print(ctypes.CDLL(sys.argv[1]).s())' "$tmp/shdr/$lib.so" 2>&1)
  "$cuslim" deps --format list "$tmp/shdr/$lib.so" > "$tmp/shdr/out" 2> "$tmp/shdr/err"; rc=$?
  check "$lib.so (section headers the loader never reads): glibc loads it ($loaded), deps resolves it (exit $rc)" \
    '[ "$loaded" = 1 ] && [ $rc = 0 ] && grep -q "libc.so.6 =>" "$tmp/shdr/out"' || cat "$tmp/shdr/err"
  "$cuslim" inspect --json "$tmp/shdr/$lib.so" > "$tmp/shdr/i.json" 2> "$tmp/shdr/err"; rc=$?
  check "... inspect --json: exit $rc, a fatbin warning that GPU code was not looked for" \
    '[ $rc = 0 ] && python3 -c "import json,sys; w=json.load(open(sys.argv[1]))[0][\"fatbin\"][\"warnings\"]; assert any(\"section headers\" in x and \"not looked for\" in x for x in w), w" "$tmp/shdr/i.json"' || cat "$tmp/shdr/i.json" "$tmp/shdr/err"
done

# A file found under a needed name that glibc refuses stops the search there and the program does
# not start (elf/dl-load.c open_verify, _dl_map_object_from_fd); one of another class or machine is
# passed over. Each case: the real loader's verdict beside deps', bundle's and verify's.
rf="$tmp/refused"; mkdir -p "$rf/good" "$rf/lib32"; cd "$rf"
echo 'int main(void){return 0;}' > m.c; echo 'int g(void){return 0;}' > g.c
for case in text short dir pie exec class32; do
  mkdir -p "bad_$case"; cc -shared -fPIC -o "good/lib$case.so" g.c
  case $case in
    text) head -c 200 /dev/zero | tr '\0' x > "bad_$case/lib$case.so"; want="invalid ELF header" ;;
    short) printf 'ELF' > "bad_$case/lib$case.so"; want="file too short" ;;
    dir) mkdir "bad_$case/lib$case.so"; want="cannot read file data" ;;
    pie) cc -pie -fPIE -o "bad_$case/lib$case.so" m.c; want="cannot dynamically load position-independent executable" ;;
    exec) cc -no-pie -fno-pie -o "bad_$case/lib$case.so" m.c; want="cannot dynamically load executable" ;;
    class32) if ! cc -m32 -shared -fPIC -o "bad_$case/lib$case.so" g.c 2> /dev/null; then
               python3 - "good/lib$case.so" "bad_$case/lib$case.so" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read()); b[4] = 1  # EI_CLASS: ELFCLASS32
open(sys.argv[2], "wb").write(b)
PY
             fi; want="" ;;
  esac
  cc -Wl,--no-as-needed -o "app_$case" m.c -L good -l$case -Wl,--disable-new-dtags -Wl,-rpath,"$rf/bad_$case:$rf/good"
  real=$("./app_$case" 2>&1); real_rc=$?
  "$cuslim" deps --json "./app_$case" > "d_$case.json" 2> /dev/null; rc=$?
  "$cuslim" deps "./app_$case" > "t_$case" 2> /dev/null
  if [ -n "$want" ]; then
    check "refused candidate ($case): the loader fails ($real_rc: $real), deps exits $rc with missing[].refused saying '$want'" \
      '[ $real_rc = 127 ] && [[ "$real" == *"$want"* ]] && [ $rc = 1 ] && python3 -c "import json,sys; m=json.load(open(sys.argv[1]))[\"missing\"]; assert len(m)==1 and sys.argv[2] in m[0][\"refused\"] and sys.argv[3] in m[0][\"refused\"], m" "d_$case.json" "$want" "bad_$case/lib$case.so" && grep -q "lib$case.so refused by the loader: .*$want" "t_$case"' || cat "d_$case.json" "t_$case"
  else
    check "a candidate of another ELF class is passed over, as the loader does ($real_rc): deps takes the next one (exit $rc)" \
      '[ $real_rc = 0 ] && [ $rc = 0 ] && python3 -c "import json,sys; g=json.load(open(sys.argv[1])); assert not g[\"missing\"] and any(o[\"path\"]==sys.argv[2] for o in g[\"objects\"]), g" "d_$case.json" "$rf/good/lib$case.so"' || cat "d_$case.json"
  fi
done
"$cuslim" bundle "./app_pie" -o img-pie --format dir -q 2> bundle-pie.err; rc=$?
check "bundle refuses a program the loader would not start (exit $rc): $(head -c 300 bundle-pie.err)" '[ $rc = 1 ] && grep -q "refused by the loader" bundle-pie.err && [ ! -e img-pie ]'
# More of glibc's header checks, each on a patched copy of the good library put first: the loader's
# words, deps' refusal (without loadable segments the dynamic array is unreachable: cuslim's
# parser says so first, refused all the same).
for case in osabi pad eversion noload; do
  mkdir -p "hdr_$case"; cp good/libtext.so "hdr_$case/libtext.so"
  python3 - "hdr_$case/libtext.so" "$case" <<'PY'
import struct, sys
path, case = sys.argv[1], sys.argv[2]
b = bytearray(open(path, "rb").read())
if case == "osabi": b[7] = 9                               # EI_OSABI: FreeBSD
if case == "pad": b[12] = 1                                # e_ident padding
if case == "eversion": b[0x14:0x18] = struct.pack("<I", 2)  # e_version
if case == "noload":                                       # every PT_LOAD made PT_NULL
    phoff, = struct.unpack_from("<Q", b, 0x20); phentsize, phnum = struct.unpack_from("<HH", b, 0x36)
    for i in range(phnum):
        off = phoff + i * phentsize
        if struct.unpack_from("<I", b, off)[0] == 1: struct.pack_into("<I", b, off, 0)
open(path, "wb").write(b)
PY
  cc -Wl,--no-as-needed -o "app_hdr_$case" m.c -L good -ltext -Wl,--disable-new-dtags -Wl,-rpath,"$rf/hdr_$case:$rf/good"
  real=$("./app_hdr_$case" 2>&1); real_rc=$?
  why=${real##*: }
  "$cuslim" deps --json "./app_hdr_$case" > "d_hdr_$case.json" 2> /dev/null; rc=$?
  check "header check ($case): the loader refuses ($real_rc: $why), deps too, in its words (exit $rc)" \
    '[ $real_rc = 127 ] && [ $rc = 1 ] && python3 -c "import json,sys; m=json.load(open(sys.argv[1]))[\"missing\"]; assert m and (m[0][\"refused\"].endswith(sys.argv[2]) or sys.argv[3] == \"noload\" and m[0][\"refused\"]), m" "d_hdr_$case.json" "$why" "$case"' || cat "d_hdr_$case.json"
done
# A fifo under the name: refused, never waited on (the loader would block).
mkdir -p fifo && mkfifo fifo/libtext.so
cc -Wl,--no-as-needed -o app_fifo m.c -L good -ltext -Wl,--disable-new-dtags -Wl,-rpath,"$rf/fifo:$rf/good"
timeout 20 "$cuslim" deps ./app_fifo > t_fifo 2>&1; rc=$?
check "a fifo under a needed name: refused, no hang (exit $rc)" '[ $rc = 1 ] && grep -q "libtext.so refused by the loader: .*a fifo" t_fifo'
# A dynamic ELF32 x86-64 object (x32), which no modelled loader loads: its own error, the other
# targets shown (it stopped the whole output).
python3 - x32prog <<'PY'
import struct, sys
strtab = b"\0libc.so.6\0"
phoff, phnum = 52, 2
dyn_off = phoff + phnum * 32
dyn = struct.pack("<iI", 1, 1) + struct.pack("<iI", 5, 0x10000 + dyn_off + 24) + struct.pack("<iI", 10, len(strtab)) + struct.pack("<iI", 0, 0)
total = dyn_off + len(dyn) + len(strtab)
ident = b"\x7fELF" + bytes([1, 1, 1, 0]) + b"\0" * 8
hdr = ident + struct.pack("<HHIIIIIHHHHHH", 3, 62, 1, 0, phoff, 0, 0, 52, 32, phnum, 40, 0, 0)
load = struct.pack("<IIIIIIII", 1, 0, 0x10000, 0x10000, total, total, 5, 0x1000)
dynamic = struct.pack("<IIIIIIII", 2, dyn_off, 0x10000 + dyn_off, 0x10000 + dyn_off, len(dyn), len(dyn), 6, 4)
open(sys.argv[1], "wb").write(hdr + load + dynamic + dyn + strtab)
PY
"$cuslim" deps --format list ./x32prog /bin/true > x32.out 2> x32.err; rc=$?
check "an x32 target among others: named as x86-64 ELF32, the others shown (exit $rc: $(cat x32.err))" \
  '[ $rc = 3 ] && grep -q "x32prog: no loader model for x86-64 ELF32 objects" x32.err && grep -q "libc.so.6 =>" x32.out'
# In an image: a broken file (a git-lfs pointer, a cut download) put before the good copy.
"$cuslim" bundle "./app_class32" -o img-ok --format dir -q 2> bundle-ok.err; rc=$?
check "bundle of a program whose candidates load (exit $rc)" '[ $rc = 0 ]' || cat bundle-ok.err
mkdir -p "img-ok$rf/bad_class32" && rm -f "img-ok$rf/bad_class32/libclass32.so" && head -c 200 /dev/zero | tr '\0' x > "img-ok$rf/bad_class32/libclass32.so"
"$cuslim" verify img-ok > verify-bad.out 2>&1; rc=$?
check "verify of an image whose first candidate is not ELF: needed-resolve fails (exit $rc)" \
  '[ $rc = 1 ] && grep -q "FAIL needed-resolve .*libclass32.so: refused by the loader (.*invalid ELF header)" verify-bad.out' || cat verify-bad.out
# A library the image holds outside every directory the search looks in: said so, not "not in the image".
mkdir -p "img-ok/opt/hidden" && mv "img-ok$rf/good/libclass32.so" img-ok/opt/hidden/ && rm -f "img-ok$rf/bad_class32/libclass32.so"
"$cuslim" verify img-ok > verify-hidden.out 2>&1; rc=$?
check "verify: a needed library the image holds where the search does not look is named with where it is (exit $rc)" \
  '[ $rc = 1 ] && grep -q "needs libclass32.so: not found by the loader.s search; the image has it at /opt/hidden/libclass32.so" verify-hidden.out' || cat verify-hidden.out
cd - > /dev/null

"$cuslim" deps --env-ld-library-path --ld-library-path /x /bin/true > /dev/null 2> "$tmp/llp.err"; rc=$?
check "--env-ld-library-path with --ld-library-path: exit 2 (one list was dropped in silence) ($(cat "$tmp/llp.err"))" '[ $rc = 2 ] && grep -q "excludes" "$tmp/llp.err"'
"$cuslim" verify --smoke-timeout 5 /bin/true > /dev/null 2> "$tmp/st.err"; rc=$?
check "verify --smoke-timeout without --gpu: exit 2 ($(cat "$tmp/st.err"))" '[ $rc = 2 ] && grep -q "requires --gpu" "$tmp/st.err"'

finish
