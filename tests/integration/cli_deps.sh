#!/usr/bin/env bash
# `cuslim deps` from the outside: every format, the exit codes of the contract, error messages
# that name the file. Outputs are checked against the real tools (ldd, dot when present).
set -u
cuslim=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/check_lib.sh"

"$cuslim" deps /usr/bin/ssh > "$tmp/tree"; rc=$?
check "tree exits 0" '[ $rc = 0 ]'
check "tree shows libc through the cache" 'grep -q "libc.so.6 \[ld.so.cache\]" "$tmp/tree"'

"$cuslim" deps --format list /usr/bin/ssh > "$tmp/list"
ldd /usr/bin/ssh | awk '/=>/ {print $1, $3}' | sort > "$tmp/ldd.pairs"
awk '/=>/ {print $1, $3}' "$tmp/list" | sort > "$tmp/ours.pairs"
check "list gives ldd's name => path pairs" 'diff "$tmp/ldd.pairs" "$tmp/ours.pairs"'

"$cuslim" deps --format json /usr/bin/ssh > "$tmp/json"
check "json has the contract's fields" 'python3 - "$tmp/json" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d) == {"roots", "objects", "missing"}, d.keys()
for o in d["objects"]:
    assert {"path", "realpath", "soname", "class", "rule", "how", "needed", "parents", "size"} <= set(o), o
    assert o["how"] in {"direct", "rpath", "ld_library_path", "runpath", "ld.so.cache", "ld.so.conf", "default", "dlopen-profile", "trace"}
    assert o["class"] in {"driver", "system", "cuda", "toolkit", "app"}
assert d["roots"] == ["/usr/bin/ssh"]
PY'

"$cuslim" deps --format dot /usr/bin/ssh > "$tmp/dot"
if command -v dot >/dev/null; then check "dot output is valid graphviz" 'dot -Tsvg "$tmp/dot" -o /dev/null'
else check "dot output is a digraph" 'head -1 "$tmp/dot" | grep -q "^digraph"'; fi

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
"$cuslim" deps "$tmp/absent" 2> "$tmp/err"; rc=$?
check "absent input exits 3" '[ $rc = 3 ] && grep -q "absent" "$tmp/err"'
"$cuslim" deps --format bogus /usr/bin/ssh 2> /dev/null; rc=$?
check "bad option exits 2" '[ $rc = 2 ]'
"$cuslim" deps --help > "$tmp/help"
check "help has examples" 'grep -q "Examples" "$tmp/help"'

finish
