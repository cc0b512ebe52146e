#!/usr/bin/env bash
# Nothing of the user's is ever lost, bad input never aborts, and every blob is checked:
# - -o on an existing non-empty directory is refused (its files stay), --force replaces it;
#   -o equal to or inside an input is refused for bundle, slim and trace;
# - adding a tag to an OCI layout keeps the other tags (umoci and skopeo see both); reading a
#   layout of several images without a tag lists the tags; DIR:TAG selects one;
# - an edited config, manifest or layer blob is a digest mismatch (a flipped byte in a gzip layer too);
# - verify fails an empty directory; a truncated ELF is an error for deps/inspect/bundle;
# - a read-only output directory is exit 3 before any work naming the path and reason (a file in the way: exit 2);
# - SIGINT/SIGTERM/SIGHUP leave no temp files; a SIGKILLed run's temps are removed by the next run;
# - several targets: every bad one is reported, the rest are shown, the exit code is the worst.
set -u
cuslim=$(readlink -f "$1")
tmp=$(mktemp -d /var/tmp/cuslim-safety-XXXXXX); trap 'chmod -R u+w "$tmp"; rm -rf "$tmp"' EXIT
source "$(dirname "$0")/check_lib.sh"
cd "$tmp" || exit 1
printf 'int main(void){return 0;}' > app.c && cc -o app app.c

# --- -o never deletes what cuslim did not write ------------------------------------------------
mkdir precious && echo keep > precious/notes.txt
for fmt in oci dir tar; do
  "$cuslim" bundle -q ./app -o precious --format $fmt 2> err; rc=$?
  check "bundle --format $fmt -o a non-empty dir is refused (exit 2), its file stays" '[ $rc = 2 ] && [ "$(cat precious/notes.txt)" = keep ] && grep -q "non-empty directory" err'
done
"$cuslim" bundle -q ./app -o "$tmp/" 2> err; rc=$?
check "bundle -o \$PWD/ is refused and the working directory keeps its files" '[ $rc = 2 ] && [ -f app.c ] && [ -f precious/notes.txt ]'
"$cuslim" bundle -q ./app -o precious --format dir --force; rc=$?
check "--force replaces it" '[ $rc = 0 ] && [ ! -e precious/notes.txt ] && [ -x precious$tmp/app ]'
"$cuslim" bundle -q ./app -o . --format dir --force 2> err; rc=$?
check "-o . --force is refused (exit 2): the working directory is never replaced" '[ $rc = 2 ] && grep -q "working directory" err && [ -f app.c ]'
# Like rm --preserve-root: --force never replaces HOME, a directory holding it, or one directly under /.
mkdir -p fakehome/user && echo mine > fakehome/user/.profile
for o in fakehome/user fakehome /opt; do
  HOME=$tmp/fakehome/user "$cuslim" bundle -q ./app -o "$o" --format dir --force 2> err; rc=$?
  check "-o $o --force with HOME=fakehome/user: refused (exit $rc), the home intact" '[ $rc = 2 ] && grep -q "refused, even with --force" err && [ "$(cat fakehome/user/.profile)" = mine ]' || cat err
done
# An empty home (a CI container's fresh HOME) is no less protected: refused without --force too,
# for a directory output and for a file output alike.
mkdir -p emptyhome
for f in dir tar; do
  HOME=$tmp/emptyhome CUSLIM_CACHE_DIR=$tmp/cache-eh "$cuslim" bundle -q ./app -o emptyhome --format $f 2> err; rc=$?
  check "-o an empty HOME (--format $f, no --force): refused (exit $rc), still an empty directory" '[ $rc = 2 ] && [ -d emptyhome ] && [ -z "$(ls -A emptyhome)" ] && grep -q "your home directory" err && ! grep -q "or --force" err' || cat err
done
cp app prog; "$cuslim" bundle -q ./prog -o ./prog --format tar 2> err; rc=$?
check "bundle ./prog -o ./prog is refused and prog is intact" '[ $rc = 2 ] && cmp -s app prog && grep -q "an input" err'
mkdir incdir && cp app incdir/x
"$cuslim" bundle -q --include "$tmp/incdir" -o incdir/out.tar 2> err; rc=$?
check "-o inside an --include dir is refused" '[ $rc = 2 ] && [ ! -e incdir/out.tar ]'
"$cuslim" trace -q -o ./prog -- ./prog 2> err; rc=$?
check "trace -o ./prog -- ./prog is refused and prog is intact" '[ $rc = 2 ] && cmp -s app prog'
must "bundle an image" "$cuslim" bundle -q ./app -o img --tag one
"$cuslim" slim -q img -o img 2> err; rc=$?
check "slim img -o img is refused, the image intact" '[ $rc = 2 ] && [ -f img/index.json ] && [ -f img/oci-layout ]'

# --- a program named through "..": the Entrypoint is its plain path, no stray dirs in the image ---
mkdir -p sub && (cd sub && "$cuslim" bundle -q ../app -o ../ep-oci) || echo "bundle ../app failed"
ep=$(python3 -c 'import json; d="ep-oci"; i=json.load(open(d+"/index.json"))["manifests"][0]["digest"][7:]; m=json.load(open(d+"/blobs/sha256/"+i)); print(json.load(open(d+"/blobs/sha256/"+m["config"]["digest"][7:]))["config"]["Entrypoint"][0])')
check "bundle ../app: the Entrypoint is $tmp/app ($ep)" '[ "$ep" = "$tmp/app" ]'

# --- the other files a command writes (--report, --junit, report -o) follow the same rule --------
sum_img() { find img -type f | sort | xargs sha256sum | sha256sum; }
before=$(sum_img)
"$cuslim" slim -q img:one -o slimmed --report img/index.json 2> err; rc=$?
check "slim --report inside the input layout is refused (exit 2), the layout intact" '[ $rc = 2 ] && [ "$(sum_img)" = "$before" ] && grep -q "inside the input" err'
"$cuslim" verify img:one --junit img/index.json > /dev/null 2> err; rc=$?
check "verify --junit onto the input's index.json is refused" '[ $rc = 2 ] && [ "$(sum_img)" = "$before" ]'
"$cuslim" verify img:one --report img/index.json > /dev/null 2> err; rc=$?
check "verify --report inside the input is refused" '[ $rc = 2 ] && [ "$(sum_img)" = "$before" ]'
"$cuslim" report img:one -o img/index.json > /dev/null 2> err; rc=$?
check "report -o inside the input is refused" '[ $rc = 2 ] && [ "$(sum_img)" = "$before" ]'
must "an archive image" "$cuslim" bundle -q ./app -o arch.tar --format oci-archive --tag a
cp arch.tar arch.copy
# A transport says what the input is: another kind there is exit 3 naming both (it was read as
# what it is: a directory of tars as a rootfs, a docker-archive as an oci-archive).
must "a docker-archive" "$cuslim" bundle -q ./app -o da.tar --format docker-archive --tag d:1
cp da.tar da-classic.tar && tar --delete -f da-classic.tar index.json oci-layout  # without Docker 25's OCI layout
for case in "docker-archive:img|a docker-archive, this is an OCI layout" "oci-archive:da-classic.tar|an oci-archive, this is a docker-archive" \
            "docker-archive:arch.tar|a docker-archive, this is an oci-archive" "oci:arch.tar|an OCI layout, this is an oci-archive"; do
  ref=${case%%|*} want=${case#*|}
  for cmd in verify run; do
    if [ $cmd = verify ]; then "$cuslim" verify "$ref" > out 2> err; else "$cuslim" run --gpu off "$ref" -- /bin/true > out 2> err; fi; rc=$?
    check "$cmd $ref: exit 3, names $want ($rc: $(head -c 160 err))" '[ $rc = 3 ] && grep -qF "names $want" err'
  done
done
"$cuslim" verify arch.tar:a --junit arch.tar > /dev/null 2> err; rc=$?
check "verify --junit onto the input archive is refused, the archive intact" '[ $rc = 2 ] && cmp -s arch.tar arch.copy && grep -q "is an input" err'
"$cuslim" bundle -q ./app -o rep-oci --report rep-oci/index.json 2> err; rc=$?
check "bundle --report inside its own output is refused" '[ $rc = 2 ] && [ ! -e rep-oci/index.json ] && grep -q "inside the output" err'
echo '{"mine": 1}' > data.json
"$cuslim" bundle -q ./app --include "$tmp/data.json" -o app.tar --report data.json 2> err; rc=$?
check "bundle --report onto an --include input is refused, the file intact" '[ $rc = 2 ] && [ "$(cat data.json)" = "{\"mine\": 1}" ] && grep -q "is an input" err'

# --- tags: add, keep, select -------------------------------------------------------------------
printf 'int main(void){return 1;}' > app2.c && cc -o app2 app2.c
must "bundle a second image into the same layout" "$cuslim" bundle -q ./app2 -o img --tag two
tags=$(python3 -c 'import json,sys; print(" ".join(sorted(m["annotations"]["org.opencontainers.image.ref.name"] for m in json.load(open("img/index.json"))["manifests"])))')
check "index.json holds both tags ($tags)" '[ "$tags" = "one two" ]'
if command -v umoci >/dev/null; then
  check "umoci sees both tags" '[ "$(umoci ls --layout img | sort | tr "\n" " ")" = "one two " ]'
fi
if command -v skopeo >/dev/null; then
  check "skopeo reads img:one and img:two" 'skopeo inspect oci:img:one >/dev/null 2>&1 && skopeo inspect oci:img:two >/dev/null 2>&1'
fi
must "move tag one to app2" "$cuslim" bundle -q ./app2 -o img --tag one
n=$(python3 -c 'import json; print(len(json.load(open("img/index.json"))["manifests"]))')
check "re-tagging moves the tag (still 2 manifests: $n)" '[ "$n" = 2 ]'
"$cuslim" verify img > out 2> err; rc=$?
check "reading a layout of several images without a tag lists the tags" '[ $rc = 2 ] && grep -q "one" err && grep -q "two" err'
"$cuslim" verify --json img:two > out 2> err; rc=$?
check "IMAGE:TAG selects one" '[ $rc != 2 ] && [ $rc != 3 ] && grep -q "\"checks\"" out'
"$cuslim" verify --json oci:img:two > out 2> err; rc=$?
check "oci:DIR:TAG selects one" '[ $rc != 2 ] && [ $rc != 3 ]'
# An untagged image beside tagged ones: DIR:@N names it by its place in index.json, as skopeo does.
"$cuslim" bundle -q ./app -o img --env UNTAGGED=1 2> err  # its own digest
u=$(python3 -c 'import json; m = json.load(open("img/index.json"))["manifests"]; print([i for i, d in enumerate(m) if "org.opencontainers.image.ref.name" not in d.get("annotations", {})][0])')
"$cuslim" report --json "img:@$u" > out 2> err; rc=$?
check "DIR:@N selects the untagged image (N=$u, exit $rc)" '[ $rc != 2 ] && [ $rc != 3 ] && grep -q "$(python3 -c "import json; print(json.load(open(\"img/index.json\"))[\"manifests\"][$u][\"digest\"])")" out'
"$cuslim" verify --json "oci:img:@99" > out 2> err; rc=$?
check "DIR:@N past the end: exit 3, out of range, listing the images by number ($(cat err))" '[ $rc = 3 ] && grep -q "index 99 is out of range" err && grep -q "@[0-9] (untagged)" err'
# -o through a symlink to a layout updates the layout; a file as an OCI output is replaced.
ln -sfn img imglink
"$cuslim" bundle -q ./app -o imglink --tag vialink 2> err; rc=$?
check "-o a symlink to a layout adds the tag there, the link stays (exit $rc)" '[ $rc = 0 ] && [ -L imglink ] && grep -q vialink img/index.json'
echo notes > afile
"$cuslim" bundle -q ./app -o afile --format oci 2> err; rc=$?
check "-o an existing file cuslim did not write (a text file): refused, exit 2, the file intact ($(cat err))" \
  '[ $rc = 2 ] && [ "$(cat afile)" = notes ] && grep -q "an existing file that cuslim did not write" err'
"$cuslim" bundle -q ./app -o afile --format oci --force 2> err; rc=$?
check "... with --force it is replaced by the layout (exit $rc)" '[ $rc = 0 ] && [ -f afile/oci-layout ]'
"$cuslim" bundle -q ./app -o prev.tar 2> err && "$cuslim" bundle -q ./app -o prev.tar 2> err; rc=$?
check "-o an image archive cuslim wrote before is replaced without --force (exit $rc)" '[ $rc = 0 ] && tar tf prev.tar > /dev/null'
for side in "--report notes.json" "--digestfile notes.json"; do
  echo notes > notes.json
  "$cuslim" bundle -q ./app -o side.tar $side 2> err; rc=$?
  check "${side%% *} over a file cuslim did not write: refused, exit 2, the file intact ($(cat err))" '[ $rc = 2 ] && [ "$(cat notes.json)" = notes ]'
done
# The text formats cuslim writes are told by what cuslim puts in them, not by the format: a JSON,
# page or XML file of the user's own stays theirs; the reports cuslim wrote are replaced.
printf '{"settings": {"keep": true}}\n' > user.json
printf '<!DOCTYPE html>\n<html><head><title>Team notes</title></head></html>\n' > user.html
printf '<?xml version="1.0"?>\n<testsuite name="nightly"></testsuite>\n' > user.xml
for side in "--report user.json" "--report user.html" "--digestfile user.json"; do
  cp "${side#* }" keep.orig
  "$cuslim" bundle -q ./app -o side.tar $side 2> err; rc=$?
  check "${side%% *} over the user's own ${side##*.} file: refused, exit 2, the file intact ($(cat err))" '[ $rc = 2 ] && cmp -s "${side#* }" keep.orig'
done
"$cuslim" trace -o user.json -- /bin/true 2> err; rc=$?
check "trace -o over the user's own JSON file: refused, exit 2, the file intact ($(cat err))" '[ $rc = 2 ] && grep -q keep user.json'
"$cuslim" verify side.tar --junit user.xml > /dev/null 2> err; rc=$?
check "verify --junit over the user's own XML file: refused, exit 2, the file intact ($(cat err))" '[ $rc = 2 ] && grep -q nightly user.xml'
"$cuslim" bundle -q ./app -o side.tar --report own.json 2> err && "$cuslim" bundle -q ./app -o dig.tar --format oci-archive --digestfile own.digest 2>> err && "$cuslim" bundle -q ./app -o side.tar --report own.html 2>> err &&
  "$cuslim" verify side.tar --junit own.xml --report own.json > /dev/null 2>> err && "$cuslim" trace -o own.trace -- /bin/true 2>> err &&
  "$cuslim" bundle -q ./app -o side.tar --report own.json 2>> err && "$cuslim" bundle -q ./app -o dig.tar --format oci-archive --digestfile own.digest 2>> err && "$cuslim" bundle -q ./app -o side.tar --report own.html 2>> err &&
  "$cuslim" verify side.tar --junit own.xml > /dev/null 2>> err && "$cuslim" trace -o own.trace -- /bin/true 2>> err &&
  "$cuslim" slim side.tar --target "$PWD/app" -q -o slim-side.tar --report own-slim.json 2>> err && "$cuslim" slim side.tar --target "$PWD/app" -q -o slim-side.tar --report own-slim.json 2>> err &&
  "$cuslim" report side.tar -o own-report.json > /dev/null 2>> err && "$cuslim" report side.tar -o own-report.json > /dev/null 2>> err; rc=$?
check "reports, pages, junit, digests and traces cuslim wrote are replaced without --force (exit $rc: $(cat err))" '[ $rc = 0 ] && grep -q "<title>cuslim bundle" own.html && grep -q "cuslim verify" own.xml && grep -qx "sha256:[0-9a-f]*" own.digest'
# A report's kind follows its extension in any case; `report --report` points at -o.
"$cuslim" report side.tar -o own-upper.JSON > /dev/null 2> err && "$cuslim" report side.tar -o own-upper.HTML > /dev/null 2>> err; rc=$?
check "report -o r.JSON / r.HTML: JSON and a page ($rc: $(cat err))" '[ $rc = 0 ] && python3 -c "import json,sys; json.load(open(sys.argv[1]))" own-upper.JSON && grep -q "<title>cuslim report" own-upper.HTML'
"$cuslim" report side.tar --report x.html > /dev/null 2> err; rc=$?
check "report --report: exit 2, did you mean -o ($(cat err))" '[ $rc = 2 ] && grep -q "unknown option --report (did you mean -o?)" err && [ ! -e x.html ]'
# A symlink to a file of the user's is the user's too: refused at -o and --report, link and file intact.
echo notes > linked.txt; ln -sfn linked.txt out-link.tar; ln -sfn linked.txt rep-link.json
"$cuslim" bundle -q ./app -o out-link.tar 2> err; rc=$?
check "-o a symlink to a file cuslim did not write: refused, exit 2, the link and its file intact ($(cat err))" '[ $rc = 2 ] && [ -L out-link.tar ] && [ "$(cat linked.txt)" = notes ]'
"$cuslim" bundle -q ./app -o side2.tar --report rep-link.json 2> err; rc=$?
check "--report a symlink to a file cuslim did not write: refused, exit 2 ($(cat err))" '[ $rc = 2 ] && [ -L rep-link.json ] && [ "$(cat linked.txt)" = notes ]'
# A blob of an existing layout that is damaged (truncated) is mended by a run that writes its
# layer, not trusted by its name.
must "a layout whose layer will be damaged" "$cuslim" bundle -q ./app -o dmg --tag a
lb=dmg/blobs/sha256/$(python3 -c "import json; i=json.load(open('dmg/index.json')); m=json.load(open('dmg/blobs/sha256/'+i['manifests'][0]['digest'][7:])); print(m['layers'][-1]['digest'][7:])")
truncate -s 100 "$lb"
"$cuslim" bundle -q ./app -o dmg --tag b 2> err; rc=$?
"$cuslim" verify dmg:b > /dev/null 2>&1; vrc=$?
check "a truncated blob in the layout is rewritten by the next run that packs it (exit $rc, verify of the new tag $vrc)" '[ $rc = 0 ] && [ $vrc = 0 ] && [ "$(stat -c %s "$lb")" -gt 100 ]'
"$cuslim" trace -o afile.txt -- /bin/true 2> /dev/null; echo notes > afile.txt
"$cuslim" trace -o afile.txt -- /bin/true 2> err; rc=$?
check "trace -o over a text file: refused, exit 2, the file intact ($(cat err))" '[ $rc = 2 ] && [ "$(cat afile.txt)" = notes ]'
for flag in "bundle ./app -o e.tar --report" "trace -o"; do
  "$cuslim" ${flag%% *} ${flag#* } '' -- /bin/true > /dev/null 2> err; rc=$?
  check "${flag%% *} ${flag##* } '': usage error, exit 2 ($(cat err))" '[ $rc = 2 ] && grep -q "an empty name" err'
done
echo notes > plainfile
for cmdline in "bundle -q ./app -o plainfile/x" "bundle -q ./app -o plainfile/x/y --format dir" "slim img:two -q -o plainfile/x" "trace -o plainfile/t.trace -- ./app"; do
  "$cuslim" $cmdline > /dev/null 2> err; rc=$?
  check "$cmdline: exit 2 before any work, naming the file in the way (exit $rc)" '[ $rc = 2 ] && grep -q "plainfile is not a directory: refused" err && [ "$(cat plainfile)" = notes ]' || cat err
done
mkdir -p ro-dir; chmod 755 ro-dir "$tmp"
if command -v setpriv > /dev/null; then
  for cmdline in "bundle -q ./app -o $tmp/ro-dir/x" "trace -o $tmp/ro-dir/t.trace -- /bin/true" "report img:two -o $tmp/ro-dir/r.html" \
                 "verify img:two --junit $tmp/ro-dir/j.xml"; do
    setpriv --reuid 65534 --regid 65534 --clear-groups "$cuslim" $cmdline > /dev/null 2> err; rc=$?
    check "as nobody, $cmdline (a directory of root): exit 3 before any work, naming it and why (exit $rc)" '[ $rc = 3 ] && grep -q "ro-dir: Permission denied (not writable)" err' || cat err
  done
  # An existing layout of the user's own inside a directory it cannot write: the tag goes into the layout.
  cp -a img ro-dir/lay && chown -R 65534:65534 ro-dir/lay && chmod o+r app
  setpriv --reuid 65534 --regid 65534 --clear-groups "$cuslim" bundle -q ./app -o "$tmp/ro-dir/lay" --tag extra > /dev/null 2> err; rc=$?
  check "as nobody, a tag added to its own layout in a directory of root: written (exit $rc)" \
    '[ $rc = 0 ] && grep -q "\"extra\"" ro-dir/lay/index.json && [ ! -e ro-dir/lay.tmp ] && "$cuslim" verify ro-dir/lay:extra > /dev/null 2>&1' || cat err
fi
# A file deeper than PATH_MAX under --include: exit 3 naming it (it was left out in silence).
python3 -c "
import os; d=os.open('deep',os.O_RDONLY) if os.path.isdir('deep') else (os.mkdir('deep'), os.open('deep',os.O_RDONLY))[1]
for i in range(25): os.mkdir('d'*200,dir_fd=d); d=os.open('d'*200,os.O_RDONLY,dir_fd=d)
os.close(os.open('deepfile',os.O_WRONLY|os.O_CREAT,0o644,dir_fd=d))"
"$cuslim" bundle -q ./app --include "$tmp/deep" -o deep.tar --format tar 2> err; rc=$?
check "a file past PATH_MAX under --include: exit 3, File name too long, no output (exit $rc)" '[ $rc = 3 ] && grep -q "File name too long" err && [ ! -e deep.tar ]' || head -c 300 err
rm -rf deep
# A failed update of a layout (index.json cannot be replaced) leaves the image it held whole.
if cp -a img imm 2>/dev/null && chattr +i imm/index.json 2>/dev/null; then
  before=$(ls imm/blobs/sha256 | sort | tr '\n' ' ')
  "$cuslim" bundle -q /bin/sleep -o imm --tag z > /dev/null 2> err; rc=$?
  after=$(ls imm/blobs/sha256 | sort | tr '\n' ' ')
  chattr -i imm/index.json
  check "a layout update that fails at index.json: exit 3, index.json and every blob it had untouched (exit $rc)" \
    '[ $rc = 3 ] && ( for b in $before; do [ -f imm/blobs/sha256/$b ] || exit 1; done ) && cmp -s img/index.json imm/index.json' || cat err
fi
must "an untagged image into a layout" "$cuslim" bundle -q ./app -o untagged
must "... and again, rebuilt" "$cuslim" bundle -q ./app2 -o untagged
n=$(python3 -c 'import json; print(len(json.load(open("untagged/index.json"))["manifests"]))')
check "the second untagged bundle replaces the first in index.json ($n manifest)" '[ "$n" = 1 ]'
"$cuslim" verify untagged > out 2> err; rc=$?
check "... so the layout reads without naming a tag (verify exit $rc)" '[ $rc = 0 ]'

# --- every blob is checked ---------------------------------------------------------------------
corrupt() {  # corrupt LAYOUT WHICH -> a copy with the config, manifest or first layer edited
  rm -rf bad && cp -r "$1" bad
  python3 - bad "$2" <<'PY'
import json, sys
d, which = sys.argv[1], sys.argv[2]
i = json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]
m = json.load(open(d + "/blobs/sha256/" + i))
target = {"manifest": i, "config": m["config"]["digest"][7:], "layer": m["layers"][0]["digest"][7:]}[which]
p = d + "/blobs/sha256/" + target
b = bytearray(open(p, "rb").read())
if which == "config":
    b = bytearray(json.dumps(dict(json.loads(b), author="edited")).encode())
else:
    b[len(b) // 2] ^= 0xFF
open(p, "wb").write(b)
PY
}
must "a single-image layout" "$cuslim" bundle -q ./app -o single --tag s
for which in config manifest layer; do
  corrupt single $which
  "$cuslim" verify bad > out 2> err; rc=$?
  check "an edited $which blob: exit 3, digest mismatch ($(head -c 150 err))" '[ $rc = 3 ] && grep -q "mismatch" err'
done
check "... the layer's message names the file first: 'cuslim: bad: layer 0 (sha256:...): digest mismatch'" \
  'grep -q "^cuslim: bad: layer 0 (sha256:[0-9a-f]*): digest mismatch" err'

# --- layouts a reader must refuse (skopeo and umoci do), and JSON too deep to build -----------------
edit() {  # edit LAYOUT PYTHON-BODY -> a copy "bad" whose blobs and index the body rewrites (digests fixed up)
  rm -rf bad && cp -r "$1" bad
  python3 - bad "$2" <<'PY'
import hashlib, json, os, sys
d, body = sys.argv[1], sys.argv[2]
idx = json.load(open(d + "/index.json"))
def blob(h): return d + "/blobs/sha256/" + h
def put(data):
    h = hashlib.sha256(data).hexdigest(); open(blob(h), "wb").write(data); return "sha256:" + h, len(data)
m = json.load(open(blob(idx["manifests"][0]["digest"][7:])))
cfg = open(blob(m["config"]["digest"][7:]), "rb").read()
exec(body)
m["config"]["digest"], m["config"]["size"] = put(cfg)
idx["manifests"][0]["digest"], idx["manifests"][0]["size"] = put(json.dumps(m).encode())
open(d + "/index.json", "w").write(json.dumps(idx))
PY
}
refused() {  # refused WHAT PATTERN: verify, slim and run of "bad" exit 3 with PATTERN, never crash
  local pattern=$2
  for cmd in verify slim run; do
    case $cmd in
      verify) "$cuslim" verify bad > out 2> err ;;
      slim) "$cuslim" slim -q bad -o bad-slim --keep '/**' > out 2> err ;;
      run) "$cuslim" run --gpu off --no-cache bad -- /bin/true > out 2> err ;;
    esac; rc=$?
    check "$1: $cmd exits 3 naming it ($rc: $(head -c 160 err))" '[ $rc = 3 ] && grep -q "$pattern" err'
  done
}
edit single 'cfg = ("{\"config\": " + "{\"a\": " * 100000 + "1" + "}" * 100000 + "}").encode()'
refused "a config nested 100000 deep" "nested deeper than"
edit single 'idx["manifests"][0]["annotations"] = {"x": json.loads("[" * 600 + "]" * 600)}'
refused "index.json nested 600 deep" "nested deeper than"
edit single 'open(d + "/oci-layout", "w").write(json.dumps({"imageLayoutVersion": "9.9"}))'
refused "imageLayoutVersion 9.9" "only 1.0.0"
edit single 'm["layers"][0]["mediaType"] = "text/plain"'
refused "a layer of mediaType text/plain" "not a layer media type"
edit single 'm["layers"][0]["mediaType"] = "application/vnd.oci.image.layer.v1.tar+zstd"'
refused "a gzip layer said to be zstd" "mediaType says zstd, the blob is gzip"
edit single 'm["layers"][0]["mediaType"] = "application/vnd.oci.image.layer.v1.tar"'
refused "a gzip layer said to be a plain tar" "mediaType says an uncompressed tar, the blob is gzip"
edit single 'm["schemaVersion"] = 1'
refused "a manifest of schemaVersion 1" "schemaVersion 1: only schema 2"
edit single 'c = json.loads(cfg); c.setdefault("config", {})["WorkingDir"] = "../../.."; cfg = json.dumps(c).encode()'
refused "a config WorkingDir ../../.." "config.WorkingDir: '../../..' is not an absolute path"
# A WorkingDir that is a file (or under one) is the image's error: run exits 3 naming it, not 1 as a
# failed chdir in the sandbox (a code the program's own would be confused with).
for wd in /etc/passwd /etc/passwd/sub; do
  edit single 'c = json.loads(cfg); c.setdefault("config", {})["WorkingDir"] = "'$wd'"; cfg = json.dumps(c).encode()'
  "$cuslim" run --gpu off --no-cache bad -- /bin/true > out 2> err; rc=$?
  check "run of an image whose WorkingDir is $wd: exit 3 naming it ($rc: $(head -c 160 err))" '[ $rc = 3 ] && grep -q "WorkingDir '"'"'$wd'"'"'" err'
done
edit single 'idx["manifests"][0]["mediaType"] = "application/vnd.oci.image.index.v1+json"'
refused "an index entry saying index for a manifest" "the blob is an image manifest"
edit single 'idx["manifests"][0]["mediaType"] = "text/plain"'
refused "an index entry of mediaType text/plain" "says text/plain"
rm -rf bad bad-slim
# Adding a tag to a layout whose index holds an entry a reader refuses: refused, the layout untouched.
must "a layout to break" "$cuslim" bundle -q ./app -o badentry --tag a
python3 -c "import json,sys; p=sys.argv[1]+'/index.json'; i=json.load(open(p)); i['manifests'].append({'digest':'sha256:zz','annotations':{'org.opencontainers.image.ref.name':5}}); open(p,'w').write(json.dumps(i))" badentry
before=$(sha256sum badentry/index.json)
"$cuslim" bundle -q ./app -o badentry --tag b > out 2> err; rc=$?
check "a tag added to a layout with an unreadable index entry: exit 3, refused, index.json untouched ($(head -c 160 err))" \
  '[ $rc = 3 ] && grep -q "manifests\[1\]" err && grep -q "refusing to update" err && [ "$(sha256sum badentry/index.json)" = "$before" ]'
# ... and so is one whose blob is missing, of another size, or of another kind than it says.
for bad in 'e["digest"] = "sha256:" + "1" * 64' 'e["size"] = e["size"] + 1' 'e["mediaType"] = "application/vnd.oci.image.index.v1+json"'; do
  rm -rf badentry2 && "$cuslim" bundle -q ./app -o badentry2 --tag a
  python3 -c "import json,sys; p=sys.argv[1]+'/index.json'; i=json.load(open(p)); e=dict(i['manifests'][0]); e['annotations']={'org.opencontainers.image.ref.name':'bad'}; exec(sys.argv[2]); i['manifests'].append(e); open(p,'w').write(json.dumps(i))" badentry2 "$bad"
  before=$(sha256sum badentry2/index.json)
  "$cuslim" bundle -q ./app -o badentry2 --tag b > out 2> err; rc=$?
  check "a tag added beside an entry a reader refuses ($bad): exit 3, index.json untouched ($(head -c 140 err))" \
    '[ $rc = 3 ] && grep -q "refusing to update" err && [ "$(sha256sum badentry2/index.json)" = "$before" ]'
done
"$cuslim" bundle -q ./app -o goodtags --tag 'bad tag/../x' > out 2> err; rc=$?
check "--tag outside the OCI ref.name grammar: usage error, nothing written" '[ $rc = 2 ] && [ ! -e goodtags ]'
head -c 2000 "$tmp/app" | gzip > gz.tar.gz; head -c 100 gz.tar.gz > trunc.tar.gz
"$cuslim" verify trunc.tar.gz > out 2> err; rc=$?
check "a truncated gzip rootfs is said to be one ($(cat err))" '[ $rc = 3 ] && grep -q "gzip stream without a readable tar inside (truncated or corrupt)" err'

# --- empty or bad inputs -----------------------------------------------------------------------
mkdir empty; "$cuslim" verify empty > out 2>&1; rc=$?
check "verify fails an empty directory" '[ $rc = 1 ] && grep -q "not an image" out'
mkdir notimg && echo hi > notimg/readme.txt; "$cuslim" verify notimg > out 2>&1; rc=$?
check "verify fails a directory that holds no program" '[ $rc = 1 ] && grep -q "not an image" out'
mkdir -p certs-only/etc/ssl/certs && echo x > certs-only/etc/passwd && echo c > certs-only/etc/ssl/certs/ca.pem
"$cuslim" slim certs-only -o certs-slim.tar > out 2> err; rc=$?
check "slim of a rootfs with no program and nothing named: exit 2, nothing to keep (not an image of the keep-set alone)" '[ $rc = 2 ] && grep -q "nothing to keep" err && [ ! -e certs-slim.tar ]' || cat err
cp -a untagged nolayout && rm nolayout/oci-layout
"$cuslim" verify nolayout > out 2> err; rc=$?
check "a layout without its oci-layout file: exit 3 naming it (not read as a rootfs)" '[ $rc = 3 ] && grep -q "no oci-layout file: a damaged OCI layout" err' || cat err
# An image in skopeo's dir: format is not a rootfs (cuslim's dir: is): exit 3 saying so, bare or as dir:.
if command -v skopeo > /dev/null; then
  skopeo copy -q oci:untagged:@0 dir:skdir 2> err || skopeo copy -q oci:untagged dir:skdir 2>> err
  for ref in skdir dir:skdir; do
    for cmd in verify report "slim -o skslim.tar --target /bin/true"; do
      "$cuslim" $cmd $ref > out 2> err2; rc=$?
      check "$cmd $ref of a skopeo dir: image: exit 3 naming the format, nothing written ($rc: $(head -c 200 err2))" \
        '[ -f skdir/manifest.json ] && [ $rc = 3 ] && grep -q "skopeo.s dir: format" err2 && [ ! -e skslim.tar ]'
    done
  done
else
  check "skopeo is installed (scripts/test installs it)" false
fi
head -c 100 app > trunc
for cmd in "deps" "inspect" "bundle -q -o t.tar"; do
  "$cuslim" $cmd ./trunc > out 2> err; rc=$?
  check "$cmd of a 100-byte truncated ELF: exit 3 naming it" '[ $rc = 3 ] && grep -q "trunc: truncated" err'
done
cp app class32 && printf '\001' | dd of=class32 bs=1 seek=4 conv=notrunc status=none  # ELFCLASS32 over an ELF64 header
for cmd in "deps" "inspect" "bundle -q -o c32.tar"; do
  "$cuslim" $cmd ./class32 > out 2> err; rc=$?
  check "$cmd of an ELF64 file whose class byte says 32: exit 3, a corrupt header" '[ $rc = 3 ] && grep -q "class32: corrupt ELF header" err' || cat err
done
"$cuslim" deps ./trunc ./app > out 2> err; rc=$?
check "deps with a bad and a good target: reports the bad one, shows the good one, exit 3" '[ $rc = 3 ] && grep -q "trunc" err && grep -q "libc.so.6" out'
"$cuslim" inspect ./trunc "$tmp" ./app > out 2> err; rc=$?
check "inspect with two bad targets reports both and inspects the good one" '[ $rc = 3 ] && [ "$(grep -c cuslim: err)" = 2 ] && grep -q "/app" out'

# --- read-only output directory ------------------------------------------------------------------
if [ "$(id -u)" != 0 ] || command -v setpriv >/dev/null; then
  mkdir ro && chmod 0555 ro
  as_user() { if [ "$(id -u)" = 0 ]; then setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; else "$@"; fi; }
  chmod 0755 "$tmp"; chmod o+r app
  for fmt in oci tar; do
    as_user "$cuslim" bundle -q "$tmp/app" -o "$tmp/ro/out" --format $fmt > out 2> err; rc=$?
    check "read-only output dir ($fmt): exit 3 before any work naming the path and the reason, no abort" '[ $rc = 3 ] && grep -q "$tmp/ro: Permission denied" err'
  done
  cp app noread && chmod 0000 noread
  mkdir -p "$tmp/wr" && chmod 0777 "$tmp/wr"
  as_user "$cuslim" bundle -q "$tmp/noread" -o "$tmp/wr/out" > out 2> err; rc=$?
  check "an unreadable target: exit 3, Permission denied (not \"not a program\")" '[ $rc = 3 ] && grep -q "noread: Permission denied" err' || cat err
fi

"$cuslim" bundle -q ./app -o ep.tar --entrypoint /nonexistent 2> err; rc=$?
check "bundle --entrypoint a path the image lacks: a warning naming it (exit $rc)" '[ $rc = 0 ] && grep -q "warning: --entrypoint /nonexistent: not in the image" err' || cat err
# A bare name is looked up through the image PATH, as the runtime does: one it holds is quiet.
"$cuslim" bundle -q ./app -o ep2.tar --entrypoint nosuchprog 2> err; rc=$?
check "bundle --entrypoint a bare name no PATH dir holds: a warning naming the PATH (exit $rc)" \
  '[ $rc = 0 ] && grep -q "warning: --entrypoint nosuchprog: no directory of the image.s PATH (.*) holds it" err' || cat err
"$cuslim" bundle -q ./app -o ep3.tar --entrypoint app 2> err; rc=$?
check "bundle --entrypoint app, the bundled program on the PATH: no warning (exit $rc)" '[ $rc = 0 ] && ! grep -q "entrypoint" err' || cat err
# Through the image's own links (bin -> usr/bin on merged-/usr systems): held, no warning.
"$cuslim" bundle -q /bin/sh -o ep5.tar --entrypoint /bin/sh 2> err; rc=$?
check "bundle /bin/sh --entrypoint /bin/sh: found through the image's links, no warning (exit $rc)" '[ $rc = 0 ] && ! grep -q "entrypoint" err' || cat err
"$cuslim" bundle -q /bin/sh -o ep6.tar --entrypoint sh --env PATH=/bin 2> err; rc=$?
check "bundle /bin/sh --entrypoint sh with PATH=/bin: no warning (exit $rc)" '[ $rc = 0 ] && ! grep -q "entrypoint" err' || cat err
printf 'name: ep\ntargets: [%s/app]\nentrypoint: missing-tool\nout: %s/ep4.tar\n' "$tmp" "$tmp" > ep.yaml
"$cuslim" build -q ep.yaml 2> err; rc=$?
check "build: an entrypoint the image lacks is blamed on the spec key, not a flag (exit $rc)" \
  '[ $rc = 0 ] && grep -q "ep.yaml: entrypoint: missing-tool: no directory" err && ! grep -q -- "--entrypoint" err' || cat err
"$cuslim" bundle -q ./app -o b.tar --base "$tmp/no-such-image" 2> err; rc=$?
check "bundle --base a path that does not exist: exit 2 saying so, not only unknown profile (exit $rc)" '[ $rc = 2 ] && grep -q "no-such-image: no such image" err' || cat err

# --- scripts and what --include brings -----------------------------------------------------------
printf '#!/bin/sh\necho hello from a script\n' > hello.sh && chmod +x hello.sh
mkdir -p inc/stubs inc/drv && printf 'x' > inc/drv/libcuda.so.580.65.06 && printf 'x' > inc/stubs/libcuda.so && printf 'data\n' > inc/data.txt
"$cuslim" bundle -q ./hello.sh --include "$tmp/inc" -o script-img 2> err; rc=$?
check "bundle of a #! script exits 0 and brings its interpreter" '[ $rc = 0 ]'
out=$("$cuslim" run --gpu off script-img 2>&1)
check "the script runs from the image with no host files ($out)" '[ "$out" = "hello from a script" ]'
check "driver files and driver stubs from --include are left out, with a warning" 'grep -q "inc/drv/libcuda.so.580.65.06: driver file left out" err && grep -q "inc/stubs/libcuda.so: driver file left out" err'
"$cuslim" verify script-img > out 2>&1; rc=$?
check "... so verify finds no driver file in it" '! grep -q "FAIL no-driver-files" out'
if [ -f /usr/local/cuda/include/cuda.h ]; then
  "$cuslim" bundle -q ./app --include /usr/local/cuda/include/cuda.h -o tk.tar 2> err; rc=$?
  check "a toolkit file packed through --include is named in a warning" '[ $rc = 0 ] && grep -q "toolkit-class file(s) packed.*cuda.h" err'
fi

# --- --force never crosses into another file system (a mount point under OUT) -------------------
mkdir -p mnt-src mnt-out/inner
if mount -t tmpfs -o size=1m tmpfs mnt-out/inner 2>/dev/null; then
  echo precious > mnt-out/inner/onmount.txt; echo x > mnt-out/top.txt
  "$cuslim" bundle -q ./app -o mnt-out --format dir --force 2> err; rc=$?
  check "--force over a directory holding a mount point: refused, exit 2, naming it; the mounted files intact ($(cat err))" \
    '[ $rc = 2 ] && grep -q "a mount point (another file system)" err && [ "$(cat mnt-out/inner/onmount.txt)" = precious ] && [ -z "$(ls -A | grep cuslim-old)" ]'
  umount mnt-out/inner
else
  echo "note: no tmpfs mount here (not root in a full container?): the mount-point check was not run"
fi

# --- signals leave nothing behind -----------------------------------------------------------------
big="$tmp/big"; mkdir -p "$big"; head -c 300000000 /dev/urandom > "$big/blob"
for sig in INT TERM HUP; do
  "$cuslim" bundle -q --include "$big" -o sig.tar.gz & pid=$!
  sleep 1; kill -$sig $pid; wait $pid; rc=$?
  left=$(ls -A | grep -c cuslim-tmp)
  check "SIG$sig during a bundle: no temp output left ($left), no output (exit $rc)" '[ "$left" = 0 ] && [ ! -e sig.tar.gz ]'
done
# The handler removes temps with system calls only: a signal landing inside malloc (many small
# entries being packed) must not deadlock it. 30 interrupts at varied moments, each must end.
mkdir -p many; for i in $(seq 3000); do echo "$i" > "many/f$i"; done
hung=0; leftover=0
for i in $(seq 30); do
  "$cuslim" bundle -q --include many --include "$big" -o many.oci & pid=$!
  sleep "0.$(( (i * 37) % 9 + 1 ))"; kill -INT $pid
  for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  if kill -0 $pid 2>/dev/null; then hung=$((hung + 1)); kill -KILL $pid; fi
  wait $pid 2>/dev/null
  [ -z "$(ls -A | grep cuslim-tmp)" ] || leftover=$((leftover + 1))
  rm -rf many.oci .many.oci.cuslim-tmp-*
done
check "30 SIGINTs at varied moments: every run ended within 10 s ($hung hung), none left a temp ($leftover)" '[ $hung = 0 ] && [ $leftover = 0 ]'
"$cuslim" bundle -q --include "$big" -o killed.tar.gz & pid=$!
sleep 1; kill -KILL $pid; wait $pid 2>/dev/null
check "SIGKILL leaves a temp file (what the next run must clean)" '[ "$(ls -A | grep -c "killed.tar.gz.cuslim-tmp")" -ge 1 ]'
must "a later run to the same name" "$cuslim" bundle -q ./app -o killed.tar.gz
check "... removes the dead run's temp file" '[ "$(ls -A | grep -c cuslim-tmp)" = 0 ]'
# Into an existing layout: the temp blob sits beside blobs/ (umoci gc reads every name there as a
# digest), and a later run removes it even when its own layer is cached and nothing is packed.
must "a layout to add to" "$cuslim" bundle -q ./app -o lay --tag small
"$cuslim" bundle -q --include "$big" -o oci:lay:big & pid=$!
for _ in $(seq 50); do ls -A lay | grep -q cuslim-tmp && break; sleep 0.1; done
kill -KILL $pid; wait $pid 2>/dev/null
check "SIGKILL mid-pack leaves its temp blob outside blobs/sha256" '[ "$(ls -A lay | grep -c cuslim-tmp)" = 1 ] && [ "$(ls -A lay/blobs/sha256 | grep -c cuslim-tmp)" = 0 ]'
must "the same small image again (its layer is cached)" "$cuslim" bundle -q ./app -o lay --tag small
check "... removes the dead run's temp blob" '[ "$(ls -A lay | grep -c cuslim-tmp)" = 0 ]'
# An interrupted or failed addition leaves the layout as it was: no blob of the new image lands in
# blobs/sha256 before index.json names it (the image is staged inside the layout, then moved in).
blobs_before=$(ls lay/blobs/sha256 | sort | tr '\n' ' '); index_before=$(sha256sum < lay/index.json)
# python3's system layer (libz, libexpat, ...) is new to the layout and packed in a moment, before
# the big layer: written straight into blobs/sha256, it was left there.
"$cuslim" bundle -q "$(readlink -f "$(command -v python3)")" --include "$big" -o oci:lay:interrupted & pid=$!
for _ in $(seq 50); do ls -A lay | grep -q cuslim-tmp && break; sleep 0.1; done
sleep 1.5; kill -INT $pid; wait $pid; rc=$?
check "SIGINT while adding a tag to a layout: exit $rc, no new blob, index.json and the tags unchanged, no temp left" \
  '[ $rc = 130 ] && [ "$(ls lay/blobs/sha256 | sort | tr "\n" " ")" = "$blobs_before" ] && [ "$(sha256sum < lay/index.json)" = "$index_before" ] && [ "$(ls -A lay | grep -c cuslim-tmp)" = 0 ]'
must "adding that tag afterwards" "$cuslim" bundle -q --include many -o oci:lay:added
check "... adds its blobs and tag, keeping the others" 'grep -q "\"added\"" lay/index.json && grep -q "\"small\"" lay/index.json && [ "$(ls lay/blobs/sha256 | wc -l)" -gt "$(echo $blobs_before | wc -w)" ] && [ "$(ls -A lay | grep -c cuslim-tmp)" = 0 ]'
if command -v umoci >/dev/null; then
  check "umoci gc accepts the layout" 'umoci gc --layout lay'
fi

# --- several cuslim runs adding tags to one layout at once lose none ---------------------------
must "a layout for parallel writers" "$cuslim" bundle -q ./app -o par --tag base
pids=()
for i in 1 2 3 4 5 6; do "$cuslim" bundle -q ./app2 -o "oci:par:t$i" & pids+=($!); done
writers_failed=0; for p in "${pids[@]}"; do wait "$p" || writers_failed=$((writers_failed + 1)); done
tags=$(python3 -c 'import json; print(" ".join(sorted(m["annotations"]["org.opencontainers.image.ref.name"] for m in json.load(open("par/index.json"))["manifests"])))')
check "six parallel writers: all exit 0 ($writers_failed failed) and every tag is there ($tags)" '[ $writers_failed = 0 ] && [ "$tags" = "base t1 t2 t3 t4 t5 t6" ]'
# Six writers creating a new layout at once: the first one's layout appears, the others join it.
pids=()
for i in 1 2 3 4 5 6; do "$cuslim" bundle -q ./app2 -o "oci:newpar:t$i" & pids+=($!); done
writers_failed=0; for p in "${pids[@]}"; do wait "$p" || writers_failed=$((writers_failed + 1)); done
tags=$(python3 -c 'import json; print(" ".join(sorted(m["annotations"]["org.opencontainers.image.ref.name"] for m in json.load(open("newpar/index.json"))["manifests"])))')
check "six parallel writers creating one new layout: all exit 0 ($writers_failed failed) and every tag is there ($tags)" \
  '[ $writers_failed = 0 ] && [ "$tags" = "t1 t2 t3 t4 t5 t6" ] && [ "$(ls -A | grep -c cuslim-tmp)" = 0 ]'
# What appears at OUT while a run writes is never replaced: the run is stopped once it writes,
# something is put at OUT, and the run goes on.
stopped_run() {  # OUT ARGS...: starts a bundle to OUT, stops it once its temp output exists; pid in $pid
  local out=$1; shift
  "$cuslim" bundle -q --include "$big" --compression zstd "$@" -o "$out" & pid=$!
  for _ in $(seq 200); do ls -A | grep -q "^\.$out\.cuslim-tmp" && break; sleep 0.02; done
  kill -STOP $pid
}
stopped_run raced --format oci
mkdir -p raced/project; echo precious > raced/project/f1.c
kill -CONT $pid; wait $pid; rc=$?
check "a directory made at OUT while the OCI output was written: left as it is, exit 3 ($rc)" \
  '[ $rc = 3 ] && [ "$(cat raced/project/f1.c)" = precious ] && [ "$(ls -A raced)" = project ] && [ "$(ls -A | grep -c cuslim-tmp)" = 0 ]'
stopped_run raced.tar --format oci-archive
echo precious > raced.tar
kill -CONT $pid; wait $pid; rc=$?
check "a file written at OUT while the archive was packed: left as it is, exit 3 ($rc)" '[ $rc = 3 ] && [ "$(cat raced.tar)" = precious ]'
stopped_run joined --format oci --tag big
must "another run's layout at OUT meanwhile" "$cuslim" bundle -q ./app -o oci:joined:small
kill -CONT $pid; wait $pid; rc=$?
tags=$(python3 -c 'import json; print(" ".join(sorted(m["annotations"]["org.opencontainers.image.ref.name"] for m in json.load(open("joined/index.json"))["manifests"])))')
check "a layout another run made at OUT meanwhile: the image joins it, both tags kept (exit $rc: $tags)" '[ $rc = 0 ] && [ "$tags" = "big small" ]'
if command -v umoci >/dev/null; then
  check "... and umoci reads both" 'umoci ls --layout joined | sort | tr "\n" " " | grep -q "^big small $"'
fi
# A layout without its index.json gets a new one (as skopeo gives it); one nested too deep is refused saying so.
mkdir -p noindex && echo '{"imageLayoutVersion": "1.0.0"}' > noindex/oci-layout
"$cuslim" bundle -q ./app -o noindex --tag t 2> err; rc=$?
check "a layout holding only oci-layout: the image is added with a new index.json (exit $rc)" \
  '[ $rc = 0 ] && "$cuslim" verify noindex:t > /dev/null 2>&1 && grep -q "\"t\"" noindex/index.json' || cat err
mkdir -p deepindex && cp noindex/oci-layout deepindex/ && python3 -c 'print("{\"a\":" * 600 + "1" + "}" * 600)' > deepindex/index.json
"$cuslim" bundle -q ./app -o deepindex --tag t 2> err; rc=$?
check "a layout whose index.json is nested 600 deep: exit 3 saying so, the file untouched (exit $rc)" \
  '[ $rc = 3 ] && grep -q "nested deeper than 512 levels" err && [ "$(head -c 5 deepindex/index.json)" = "{\"a\":" ]' || cat err
# --- -o is never a file the output is made of, nor the spec or a profile, nor in --root --------------
mkdir -p dl/app dl/lib; echo 'int f(void){return 7;}' > dl/f.c; cc -shared -fPIC -o dl/lib/libf.so dl/f.c
echo 'int f(void);int main(void){return f();}' > dl/m.c; cc -o dl/app/m dl/m.c -Ldl/lib -lf -Wl,-rpath,"$tmp/dl/lib"
cp dl/lib/libf.so dl/libf.so.orig; echo keep > dl/lib/notes.txt
"$cuslim" bundle -q ./dl/app/m -o dl/lib/libf.so --format tar 2> err; rc=$?
check "bundle -o over a library the program loads: exit 2, the library intact ($(cat err))" '[ $rc = 2 ] && cmp -s dl/lib/libf.so dl/libf.so.orig && grep -qE "a file the output is made of|a file that cuslim did not write|an existing file that cuslim did not write" err'
"$cuslim" bundle -q ./dl/app/m -o dl/lib --format dir --force 2> err; rc=$?
check "bundle -o DIR --force where DIR holds a loaded library: exit 2, DIR intact" '[ $rc = 2 ] && cmp -s dl/lib/libf.so dl/libf.so.orig && [ -f dl/lib/notes.txt ]'
printf 'name: z\ntargets: [./app]\nout: z.tar\nformat: tar\n' > z.yaml; cp z.yaml z.yaml.orig
"$cuslim" build -q z.yaml -o z.yaml 2> err; rc=$?
check "build SPEC -o SPEC: exit 2, the spec intact" '[ $rc = 2 ] && cmp -s z.yaml z.yaml.orig'
printf 'name: myprof\nkind: framework\ndescription: t\n' > p.yaml; cp p.yaml p.yaml.orig
"$cuslim" bundle -q ./app --profile p.yaml -o p.yaml --format tar 2> err; rc=$?
check "bundle --profile P -o P: exit 2, the profile intact" '[ $rc = 2 ] && cmp -s p.yaml p.yaml.orig'
mkdir -p rootfs/bin; cp /bin/true rootfs/bin/; cp rootfs/bin/true true.orig
"$cuslim" bundle -q --root rootfs --include /bin/true -o rootfs/bin/true --format tar 2> err; rc=$?
check "bundle --root R -o R/FILE it packs: exit 2, the root's file intact" '[ $rc = 2 ] && cmp -s rootfs/bin/true true.orig && grep -q "the output is an input" err'

# --- inputs that are not plain files or readable dirs ----------------------------------------------
mkfifo fifo
timeout 30 "$cuslim" bundle -q ./fifo -o f.tar --format tar 2> err; rc=$?
check "a fifo as the target: exit 3 at once, named (not a hang: $rc)" '[ $rc = 3 ] && grep -q "fifo: not a regular file" err'
timeout 30 "$cuslim" bundle -q /bin/true --include "$PWD/fifo" -o f3.tar --format tar 2> err; rc=$?
check "a fifo named by --include: exit 3 naming it, nothing written ($rc)" '[ $rc = 3 ] && grep -q "fifo: --include: a fifo" err && [ ! -e f3.tar ]'
mkdir -p fifodir && mkfifo fifodir/inner && echo x > fifodir/file
timeout 30 "$cuslim" bundle -q /bin/true --include "$PWD/fifodir" -o f4.tar --format tar 2> err; rc=$?
check "a fifo inside an --include directory: a warning, the rest ships ($rc)" '[ $rc = 0 ] && grep -q "inner: not a regular file" err && tar -tf f4.tar | grep -q "fifodir/file"'
timeout 30 "$cuslim" slim fifo -o f2 --format dir 2> err; rc=$?
check "a fifo as slim's input image: exit 3 at once (not a hang: $rc)" '[ $rc = 3 ] && grep -q "not a regular file" err'
mkdir -p wh; echo x > wh/.wh.fake
"$cuslim" bundle -q ./app --include wh -o wh.tar 2> err; rc=$?
check "a .wh.-named file under --include: exit 3, named ($(cat err))" '[ $rc = 3 ] && grep -q "wh/.wh.fake: a name starting with .wh." err && [ ! -e wh.tar ]'
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
  mkdir -p unr/inc/d; echo important > unr/inc/d/model.bin; cp app unr/; chmod 755 "$tmp" unr unr/inc; chmod 000 unr/inc/d; chmod 777 unr
  (cd unr && setpriv --reuid=65534 --regid=65534 --clear-groups "$cuslim" bundle -q ./app --include inc -o s.tar --format tar 2> err); rc=$?
  check "an unreadable directory under --include (as nobody): exit 3 naming it, not packed empty ($(cat unr/err))" '[ $rc = 3 ] && grep -q "inc/d" unr/err && [ ! -e unr/s.tar ]'
  chmod 755 unr/inc/d
fi

# --- spec files that are not YAML text -------------------------------------------------------------
printf 'name: x\ntargets: [./app]\nout: nul-out\n\0junk' > nul.yaml
"$cuslim" build nul.yaml > out 2> err; rc=$?
check "a spec holding a NUL byte: exit 3, said (not a cut file read as 'out: required')" '[ $rc = 3 ] && grep -q "NUL byte at offset" err && [ ! -e nul-out ]'
python3 -c "print('name: x\nkeep: ' + '[' * 700 + ']' * 700)" > deep.yaml
"$cuslim" build deep.yaml > out 2> err; rc=$?
check "a spec nested 700 deep: exit 3, nested too deeply ($(cat err))" '[ $rc = 3 ] && grep -q "nested too deeply" err'
# --- outputs that are devices, fifos or system names: refused, never renamed over ----------------
if [ "$(id -u)" = 0 ]; then  # mknod needs root (CI runs as root)
mknod chardev c 1 3; mkfifo apipe; ln -s chardev devlink
for args in "bundle ./app -o chardev" "bundle ./app -o apipe --format oci-archive" "bundle ./app -o devlink --format tar" \
            "bundle ./app -o /dev/null --format tar" "bundle ./app -o /dev/stdout --format tar" "bundle ./app -o /proc/self/fd/1 --format tar" \
            "bundle ./app -o -" "trace -o chardev -- ./app" "verify single:s --junit apipe" "bundle ./app -o dgout --digestfile chardev"; do
  "$cuslim" $args > sp.out 2> err; rc=$?
  check "$args: exit 2, named ($(head -c 120 err))" '[ $rc = 2 ] && [ -c chardev ] && [ -p apipe ] && [ -L devlink ] && [ -c /dev/null ] && [ -L /dev/stdout ]'
done
rm -f chardev apipe devlink sp.out
else
  echo "note: not root: the device-output cases were not run"
fi
# --- refusals before anything is written ------------------------------------------------------------
must "a layout whose index.json will be broken" "$cuslim" bundle -q ./app -o bi --tag v1
printf '[]' > bi/index.json; before=$(ls bi/blobs/sha256 | wc -l)
"$cuslim" bundle -q ./app2 -o bi --tag v2 2> err; rc=$?
check "a broken index.json: exit 3, no blob added ($before -> $(ls bi/blobs/sha256 | wc -l))" '[ $rc = 3 ] && [ "$(ls bi/blobs/sha256 | wc -l)" = "$before" ] && grep -q "refusing to update" err'
echo OLD > old.tar; mkdir rd.json
"$cuslim" bundle -q ./app -o old.tar --format tar --report rd.json 2> err; rc=$?
check "--report naming a directory: exit 2 before the output is replaced" '[ $rc = 2 ] && [ "$(cat old.tar)" = OLD ] && grep -q "is a directory" err'
"$cuslim" bundle -q ./app -o dg --tag d --digestfile dg.digest; rc=$?
check "--digestfile without a push: the written image's manifest digest" \
  '[ $rc = 0 ] && [ "$(cat dg.digest)" = "$(python3 -c "import json;print(json.load(open(\"dg/index.json\"))[\"manifests\"][0][\"digest\"])")" ]'
# --- sparse files stay sparse: a 1 TB hole is not 1 TB of zeros in a layer, a dir or the disk ----------
mkdir -p sparse; truncate -s 1T sparse/huge; truncate -s 64M sparse/mid; printf 'needle' | dd of=sparse/mid bs=1 seek=40000000 conv=notrunc 2>/dev/null
timeout 120 "$cuslim" bundle -q ./app --include sparse -o sp-img --tag s 2> err; rc=$?
stored=$(du -sb sp-img/blobs | cut -f1)
check "bundle --include of a 1 TB sparse file: exit $rc, the image stays small ($stored bytes)" '[ $rc = 0 ] && [ "$stored" -lt 20000000 ]'
timeout 120 "$cuslim" slim -q sp-img:s -o sp-dir --format dir --keep "$tmp/sparse/*" 2> err; rc=$?
used=$(du -sk sp-dir | cut -f1)
check "slim of it to a dir: exit $rc, holes kept ($used kB on disk), sizes and bytes right" \
  '[ $rc = 0 ] && [ "$used" -lt 20000 ] && [ "$(stat -c %s "sp-dir$tmp/sparse/huge")" = 1099511627776 ] && cmp -s sparse/mid "sp-dir$tmp/sparse/mid"'
if command -v umoci >/dev/null; then  # umoci writes what it unpacks dense: the 64 MB one alone
  mkdir -p sparse-mid; cp --sparse=always sparse/mid sparse-mid/
  "$cuslim" bundle -q ./app --include sparse-mid -o sp-mid --tag s && umoci unpack --image sp-mid:s sp-u >/dev/null 2>&1; rc=$?
  check "umoci (Go's tar reader) reads the sparse entry with its bytes (exit $rc)" '[ $rc = 0 ] && cmp -s sparse/mid "sp-u/rootfs$tmp/sparse-mid/mid"'
  rm -rf sp-u
fi

# --- a rootfs directory as --base: refused saying why and what works; its advice works ----------
mkdir -p basedir/etc && echo hi > basedir/etc/motd
"$cuslim" bundle -q ./app -o based --base dir:basedir 2> err; rc=$?
check "--base dir:DIR: exit 2 saying a directory has no layers and naming what a base can be ($rc)" \
  '[ $rc = 2 ] && grep -q "has no layers to build on" err && grep -q "docker-archive" err && [ ! -e based ]' || cat err
"$cuslim" slim -q dir:basedir --keep '*' -o oci:baselay:t 2> err && "$cuslim" bundle -q ./app -o based --base baselay:t 2>> err; rc=$?
check "... and its advice (slim dir:DIR --keep '*' -o oci:LAYOUT:TAG) gives a base that works ($rc)" \
  '[ $rc = 0 ] && "$cuslim" slim -q based --keep "*" -o based-dir --format dir && [ "$(cat based-dir/etc/motd)" = hi ]' || cat err

# --- a full disk: the error names the output asked for, not its temp name; nothing is left ------
mkdir -p small && head -c 3000000 /dev/urandom > big.bin
if mount -t tmpfs -o size=1m tmpfs small 2>/dev/null; then
  for fmt in tar oci; do
    "$cuslim" bundle -q ./app --include big.bin -o small/out-$fmt --format $fmt $([ $fmt = oci ] && echo --compression zstd) 2> err; rc=$?
    check "bundle --format $fmt onto a full disk: exit 3 naming small/out-$fmt and ENOSPC, never a temp name; nothing left ($rc)" \
      '[ $rc = 3 ] && grep -q "small/out-$fmt" err && grep -q "No space left on device" err && ! grep -q "cuslim-tmp" err && [ -z "$(ls -A small)" ]' || cat err
  done
  # A report that does not fit, written after the image: the error names the report, "file: what: why",
  # and says the image itself was written (it was: the exit code alone would say it was not).
  head -c 2000000 /dev/urandom > small/fill 2>/dev/null
  "$cuslim" bundle -q ./app -o side.tar --format tar --report small/r.html 2> err; rc=$?
  check "--report onto a full disk: exit 3, 'small/r.html: writing: No space left', the output said written ($(cat err))" \
    '[ $rc = 3 ] && grep -q "^cuslim: --report small/r.html: writing: No space left on device (the output was written: side.tar)" err && [ -s side.tar ] && [ "$(ls -A small)" = fill ]'
  umount small
else
  echo "skip a full disk (no tmpfs mount here: not root, or no CAP_SYS_ADMIN) -- not counted"
fi

# --- what was printed reached standard output, or the exit code says it did not ----------------
"$cuslim" deps ./app --format json > /dev/full 2> err; rc=$?
check "deps --format json > /dev/full: exit 3 naming standard output and the reason ($rc)" '[ $rc = 3 ] && grep -q "standard output: No space left on device" err' || cat err
"$cuslim" inspect ./app --json >&- 2> err; rc=$?
check "inspect --json with stdout closed: exit 3 ($rc)" '[ $rc = 3 ] && grep -q "standard output" err' || cat err
out=$("$cuslim" deps ./app --format json | head -c 1; echo " ${PIPESTATUS[0]}")
check "a reader that stops early (| head) is not an error: '$out'" '[ "$out" = "{ 0" ] || [ "$out" = "{ 141" ]'
# An oci-archive cut short before its index: said as that, not as "a rootfs tarball".
"$cuslim" bundle -q ./app -o whole.oci.tar --format oci-archive && head -c 20000 whole.oci.tar > cut.oci.tar
"$cuslim" verify oci-archive:cut.oci.tar > /dev/null 2> err; rc=$?
check "verify oci-archive: of an archive cut short: exit 3, 'truncated or corrupt ... before its index.json' ($(cat err))" \
  '[ $rc = 3 ] && grep -q "cut.oci.tar: truncated or corrupt (.*) before its index.json" err'

finish
