#!/usr/bin/env bash
# Names are bytes. Debian's ca-certificates (real names such as
# NetLock_Arany_=Class_Gold=_Főtanúsítvány.crt) plus a name that is not UTF-8 at all go through
# bundle, slim (its keep-set holds /etc/ssl/certs), OCI and docker-archive outputs, and come back
# byte-identical through umoci unpack + runc, skopeo, and cuslim's own reader -- in the C locale
# and under LC_ALL=C.UTF-8.
set -u
cuslim=$(readlink -f "$1"); cache=${2:-/var/tmp/cuslim-debs-ca}
for tool in umoci runc skopeo dpkg-deb apt-get; do command -v $tool >/dev/null || { echo "skip: $tool missing"; exit 77; }; done
[ "$(id -u)" = 0 ] || { echo "skip: needs root (umoci unpack, runc)"; exit 77; }
tmp=$(mktemp -d /var/tmp/cuslim-names-XXXXXX); trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/check_lib.sh"
source "$(dirname "$0")/runc_lib.sh"

if ! ls "$cache"/ca-certificates_*.deb >/dev/null 2>&1; then
  mkdir -p "$cache" && (cd "$cache" && apt-get download -q ca-certificates >/dev/null 2>&1)
  ls "$cache"/ca-certificates_*.deb >/dev/null 2>&1 || { echo "skip: could not download ca-certificates"; exit 77; }
fi
# A rootfs: ls and its closure (cuslim bundle --format dir), Debian's certificates with the
# /etc/ssl/certs links update-ca-certificates would make, and one name that is not UTF-8.
must "bundle ls as a rootfs dir" "$cuslim" bundle -q /usr/bin/ls -o "$tmp/base" --format dir
dpkg-deb -x "$cache"/ca-certificates_*.deb "$tmp/base"
mkdir -p "$tmp/base/etc/ssl/certs"
for c in "$tmp"/base/usr/share/ca-certificates/mozilla/*.crt; do
  n=$(basename "$c" .crt); ln -s "/usr/share/ca-certificates/mozilla/$n.crt" "$tmp/base/etc/ssl/certs/$n.pem"
done
printf 'not utf-8\n' > "$tmp/base/etc/ssl/certs/$(printf 'latin1-\xe9t\xe9.pem')"
check "the fixture has the real non-ASCII name" '[ -L "$tmp/base/etc/ssl/certs/NetLock_Arany_=Class_Gold=_Főtanúsítvány.pem" ]'
want=$(cd "$tmp/base/etc/ssl/certs" && LC_ALL=C ls | sha256sum)

for loc in C C.UTF-8; do
  rm -rf "$tmp/slim" "$tmp/slim.docker.tar" "$tmp/back"
  LC_ALL=$loc "$cuslim" slim -q "$tmp/base" -o "$tmp/slim" --tag s --target /usr/bin/ls > "$tmp/slim.log" 2>&1; rc=$?
  check "LC_ALL=$loc: slim of an image with ca-certificates exits 0 ($(tail -1 "$tmp/slim.log" 2>/dev/null))" '[ $rc = 0 ]'
  got=$(run_image "$tmp/slim" s /usr/bin/ls /etc/ssl/certs | sha256sum)
  check "LC_ALL=$loc: runc lists the same bytes as the host (every cert name, the non-UTF-8 one too)" '[ "$got" = "$want" ]'
  LC_ALL=$loc "$cuslim" slim -q "$tmp/base" -o "$tmp/slim.docker.tar" --tag s:1 --target /usr/bin/ls > /dev/null 2>&1; rc=$?
  check "LC_ALL=$loc: docker-archive output exits 0" '[ $rc = 0 ]'
  check "LC_ALL=$loc: skopeo reads the docker-archive" 'skopeo inspect "docker-archive:$tmp/slim.docker.tar" > /dev/null 2>&1'
  LC_ALL=$loc "$cuslim" slim -q "$tmp/slim.docker.tar" -o "$tmp/back" --format dir --keep '/etc/ssl/*' --no-keep-set > /dev/null 2>&1; rc=$?
  back=$(cd "$tmp/back/etc/ssl/certs" 2>/dev/null && LC_ALL=C ls | sha256sum)
  check "LC_ALL=$loc: cuslim reads its own archive back byte-exact" '[ $rc = 0 ] && [ "$back" = "$want" ]'
done
check "a PAX reader sees the UTF-8 name as text (python tarfile)" 'python3 - "$tmp/slim" <<PY
import json, sys, tarfile, gzip, io
d = sys.argv[1]
i = json.load(open(d + "/index.json"))["manifests"][0]["digest"][7:]
m = json.load(open(d + "/blobs/sha256/" + i))
names = [n for l in m["layers"] for n in tarfile.open(fileobj=io.BytesIO(gzip.decompress(open(d + "/blobs/sha256/" + l["digest"][7:], "rb").read()))).getnames()]
assert "etc/ssl/certs/NetLock_Arany_=Class_Gold=_Főtanúsítvány.pem" in names, [n for n in names if "NetLock" in n]
PY'
# A program whose name is not valid UTF-8: JSON views show it (U+FFFD), an image config cannot
# name it (JSON strings are UTF-8): bundle says so, naming it, and writes nothing.
bad=$(printf '%s/tr\xff' "$tmp"); cp /bin/true "$bad"
"$cuslim" deps --format json /bin/true "$bad" > "$tmp/deps.json" 2> "$tmp/deps.err"; rc=$?
check "deps --format json of a non-UTF-8 target and another exits 0 with both ($(tail -1 "$tmp/deps.err"))" \
  '[ $rc = 0 ] && python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d[\"roots\"]) == 2" "$tmp/deps.json"'
check "... and its object carries path_hex, the exact bytes of the name (U+FFFD alone could be any byte)" \
  'python3 -c "import json,sys,os; d=json.load(open(sys.argv[1])); want=os.fsencode(sys.argv[2]).hex(); assert any(o.get(\"path_hex\")==want for o in d[\"objects\"]), [o.get(\"path_hex\") for o in d[\"objects\"]]" "$tmp/deps.json" "$bad"'
mkdir -p "$tmp/rdir/x"; cp /bin/true "$(printf '%s/rdir/x/b\xfe' "$tmp")"
"$cuslim" report --json "$tmp/rdir" > "$tmp/r.json" 2> /dev/null; rc=$?
check "report --json of a tree with a non-UTF-8 name: its largest entry carries path_hex (rc=$rc)" \
  'python3 -c "import json,sys; d=json.load(open(sys.argv[1])); h=[e.get(\"path_hex\") for g in d[\"groups\"] for e in g[\"largest\"]]; assert \"2f782f62fe\" in h, h" "$tmp/r.json"'
"$cuslim" bundle -q "$bad" -o "$tmp/bad-oci" 2> "$tmp/bad.err"; rc=$?
check "bundle of a non-UTF-8 program: exit 3 naming it, nothing written ($(tail -1 "$tmp/bad.err"))" \
  '[ $rc = 3 ] && grep -q "not valid UTF-8" "$tmp/bad.err" && grep -q "tr" "$tmp/bad.err" && [ ! -e "$tmp/bad-oci" ]'
finish
