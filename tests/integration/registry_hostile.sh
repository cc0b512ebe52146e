#!/usr/bin/env bash
# A registry that misbehaves (registry_hostile.py, TLS on 127.0.0.1) never makes cuslim abort,
# hang or read what it did not ask for: a Retry-After of 400 digits on the manifest and on blobs
# pulled by several workers is a capped wait, then the pull goes on (not an exception, not
# std::terminate); a manifest answer without an end is stopped past the manifest limit (exit 3,
# at once); an image index entry whose digest is a tag, or whose size is wrong, is refused
# (exit 3) without fetching that tag. Exits 77 with the reason when a tool is missing.
set -u
cuslim=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
for tool in openssl python3; do
  command -v "$tool" >/dev/null || { echo "skip: $tool not installed (scripts/test installs it)"; exit 77; }
done
tmp=$(mktemp -d /var/tmp/cuslim-hostile-registry-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
source "$here/check_lib.sh"
export HOME="$tmp/home"; mkdir -p "$HOME"  # no docker config of the user's is read

certs="$tmp/certs"; mkdir -p "$certs"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=cuslim-test-ca -keyout "$tmp/ca.key" -out "$certs/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' > "$tmp/san.ext"
openssl x509 -req -in "$tmp/server.csr" -CA "$certs/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial -days 2 -extfile "$tmp/san.ext" \
  -out "$tmp/server.crt" 2>/dev/null
must "an image of two layers to serve" "$cuslim" bundle -q /bin/sh --layers auto -o "$tmp/img"
layers=$(python3 -c 'import json,sys;i=json.load(open(sys.argv[1]+"/index.json"));d=i["manifests"][0]["digest"].split(":")[1];print(len(json.load(open(sys.argv[1]+"/blobs/sha256/"+d))["layers"]))' "$tmp/img")
check "the served image has two layers (pulled by two workers) ($layers)" '[ "$layers" -ge 2 ]'

port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
python3 "$here/registry_hostile.py" --port "$port" --cert "$tmp/server.crt" --key "$tmp/server.key" --layout "$tmp/img" \
  --log "$tmp/requests.log" > "$tmp/server.out" 2>&1 & pid=$!
for _ in $(seq 100); do python3 -c "import socket;socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && break; sleep 0.1; done
reg="127.0.0.1:$port"

# Retry-After past any double: a capped wait (10 s), on the manifest and on the workers' blobs.
timeout 120 "$cuslim" report "docker://$reg/retry/app:1" --json --cert-dir "$certs" > "$tmp/retry.json" 2> "$tmp/retry.err"; rc=$?
check "a 400-digit Retry-After: waited, then pulled (exit 0, not 134 or an exception) ($rc: $(head -c 300 "$tmp/retry.err"))" \
  '[ $rc = 0 ] && python3 -c "import json,sys;json.load(open(sys.argv[1]))" "$tmp/retry.json"'
check "each retried path was asked twice (the 503, then the bytes)" \
  '[ "$(grep -c "/v2/retry/app/manifests/1" "$tmp/requests.log")" = 2 ] && [ "$(grep "/v2/retry/app/blobs/" "$tmp/requests.log" | sort | uniq -c | awk "\$1 != 2" | wc -l)" = 0 ]'

# A manifest without an end: stopped past the limit, at once.
start=$(date +%s)
timeout 60 "$cuslim" report "docker://$reg/endless/app:1" --json --cert-dir "$certs" > /dev/null 2> "$tmp/endless.err"; rc=$?
took=$(( $(date +%s) - start ))
check "an endless manifest: exit 3, larger than the limit, not a hang ($rc after ${took}s: $(cat "$tmp/endless.err"))" \
  '[ $rc = 3 ] && grep -q "larger than" "$tmp/endless.err"'

# An index entry that names a tag, or gives the wrong size.
"$cuslim" report "docker://$reg/idxtag/app:1" --json --cert-dir "$certs" > /dev/null 2> "$tmp/idxtag.err"; rc=$?
check "an index entry whose digest is a tag: exit 3 naming it ($rc: $(cat "$tmp/idxtag.err"))" \
  '[ $rc = 3 ] && grep -q "is not a sha256 digest" "$tmp/idxtag.err"'
check "... and that tag was never fetched" '[ "$(grep -c "/v2/idxtag/app/manifests/" "$tmp/requests.log")" = 1 ]'
"$cuslim" report "docker://$reg/idxsize/app:1" --json --cert-dir "$certs" > /dev/null 2> "$tmp/idxsize.err"; rc=$?
check "an index entry of the wrong size: exit 3, a size mismatch ($rc: $(cat "$tmp/idxsize.err"))" \
  '[ $rc = 3 ] && grep -q "size mismatch: got [0-9]* bytes, the image index gives 5" "$tmp/idxsize.err"'
finish
