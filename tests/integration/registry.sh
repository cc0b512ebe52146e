#!/usr/bin/env bash
# Registry round trips against a real distribution registry (Debian's docker-registry) on
# 127.0.0.1 with TLS (a CA and a server certificate made here with openssl) and htpasswd Basic
# auth (bcrypt, htpasswd -B): cuslim pushes (bundle, slim -o docker://...), skopeo and cuslim pull
# back (digests equal), credentials from the docker config (auths, credHelpers), a second image on the first as --base uploads only its new blobs (counted
# in the registry's log), two CUDA programs bundled with the default --layers auto share system and CUDA layers, the docker config's auths, chunked upload, and the failures: bad
# credentials, a wrong CA, a blob whose bytes do not match its digest -- clear errors, documented
# exit codes, nothing left tagged or written. Then the transports oci:, oci-archive:,
# docker-archive:, dir: for inputs and outputs, and the Bearer token flow against a token server
# in Python in front of the registry, and a registry that dies mid-upload (registry_cut_proxy.py). Exits 77 with the reason when a tool is missing.
set -u
cuslim=$(readlink -f "$1")
here=$(cd "$(dirname "$0")" && pwd)
for tool in docker-registry openssl skopeo htpasswd python3 curl; do
  command -v "$tool" >/dev/null || { echo "skip: $tool not installed (scripts/test installs it)"; exit 77; }
done
tmp=$(mktemp -d /var/tmp/cuslim-registry-XXXXXX)
export CUSLIM_CACHE_DIR="$tmp/cache"  # where pushed and pulled blobs were seen (mount sources), run's images: this test's own
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$tmp"; }
trap cleanup EXIT
source "$here/check_lib.sh"
free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# --- a CA, a server certificate for 127.0.0.1, a second CA that signed nothing, htpasswd ---------
certs="$tmp/certs"; wrong="$tmp/wrong-ca"; mkdir -p "$certs" "$wrong"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=cuslim-test-ca -keyout "$tmp/ca.key" -out "$certs/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' > "$tmp/san.ext"
openssl x509 -req -in "$tmp/server.csr" -CA "$certs/ca.crt" -CAkey "$tmp/ca.key" -CAcreateserial -days 2 -extfile "$tmp/san.ext" \
  -out "$tmp/server.crt" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=some-other-ca -keyout "$tmp/wrong.key" -out "$wrong/ca.crt" 2>/dev/null
htpasswd -Bbn tester 's3cret:pw' > "$tmp/htpasswd"  # bcrypt: what distribution's htpasswd accepts
check "test CA and server certificate made" '[ -s "$certs/ca.crt" ] && [ -s "$tmp/server.crt" ]' || { finish; exit 1; }

# --- the registry: TLS + Basic auth, 127.0.0.1 only -------------------------------------------
start_registry() {  # NAME PORT AUTH-YAML
  cat > "$tmp/$1.yml" <<YML
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $tmp/storage-$1
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$2
  tls:
    certificate: $tmp/server.crt
    key: $tmp/server.key
$3
YML
  docker-registry serve "$tmp/$1.yml" > "$tmp/$1.log" 2>&1 & pids+=($!)
  for _ in $(seq 100); do curl -s --cacert "$certs/ca.crt" -o /dev/null "https://127.0.0.1:$2/v2/" && return 0; sleep 0.1; done
  return 1
}
port=$(free_port)
reg="127.0.0.1:$port"
must "registry starts" start_registry basic "$port" "auth:
  htpasswd:
    realm: cuslim-test
    path: $tmp/htpasswd"
auth=(--creds 'tester:s3cret:pw' --cert-dir "$certs")
uploads() { grep 'msg="response completed"' "$tmp/basic.log" | grep -c 'http.request.method=PUT.*/blobs/uploads/'; }
digest_of() { skopeo inspect --cert-dir "$certs" --creds 'tester:s3cret:pw' "docker://$1" 2>/dev/null | python3 -c 'import json,sys;print(json.load(sys.stdin)["Digest"])'; }

# --- push: bundle -o docker://, digests compared with skopeo's view -------------------------------
"$cuslim" bundle -q /usr/bin/ssh -o "docker://$reg/cuslim/ssh:1" "${auth[@]}" --digestfile "$tmp/ssh.digest" > "$tmp/push1.out" 2> "$tmp/push1.err"; rc=$?
check "bundle -o docker:// with TLS + Basic auth exits 0 ($(cat "$tmp/push1.err"))" '[ $rc = 0 ]'
check "push prints the pushed reference with its digest" 'grep -q "^pushed docker://$reg/cuslim/ssh@sha256:" "$tmp/push1.out"'
d1=$(cat "$tmp/ssh.digest" 2>/dev/null)
check "--digestfile holds a sha256 digest ($d1)" '[[ "$d1" =~ ^sha256:[0-9a-f]{64}$ ]]'
check "skopeo inspect sees the same manifest digest" '[ "$(digest_of "$reg/cuslim/ssh:1")" = "$d1" ]'
mkdir -p "$tmp/skopeo-pull"
check "skopeo copy pulls it back" 'skopeo copy -q --src-cert-dir "$certs" --src-creds "tester:s3cret:pw" "docker://$reg/cuslim/ssh:1" "oci:$tmp/skopeo-pull:1"'
check "skopeo's pulled manifest has the pushed digest" \
  '[ "$(python3 -c "import json;print(json.load(open(\"$tmp/skopeo-pull/index.json\"))[\"manifests\"][0][\"digest\"])")" = "$d1" ]'
first_uploads=$(uploads)
layer_count() { skopeo inspect --cert-dir "$certs" --creds 'tester:s3cret:pw' "docker://$1" | python3 -c 'import json,sys;print(len(json.load(sys.stdin)["Layers"]))'; }
ssh_layers=$(layer_count "$reg/cuslim/ssh:1")
check "--layers auto by default: ssh:1 has its system and app layers ($ssh_layers)" '[ "$ssh_layers" = 2 ]'
check "first push uploaded config and every layer ($((ssh_layers + 1)) blobs; log: $first_uploads)" '[ "$first_uploads" = $((ssh_layers + 1)) ]'
# The same image into another repository: every blob is mounted from the one cuslim pushed it to
# (its blob-location cache), no byte sent; without that cache (another cache dir) all go up again.
before=$(uploads)
"$cuslim" bundle -q /usr/bin/ssh -o "docker://$reg/cuslim/ssh-copy:1" "${auth[@]}" > "$tmp/copy.out" 2> "$tmp/copy.err"; rc=$?
check "the same image into another repository: all $((ssh_layers + 1)) blobs mounted from the first, none uploaded ($rc: $(cat "$tmp/copy.out" "$tmp/copy.err"))" \
  '[ $rc = 0 ] && [ $(( $(uploads) - before )) = 0 ] && grep -q "(0 blobs, 0 bytes uploaded; 0 blobs, 0 bytes already there; $((ssh_layers + 1)) blobs, [0-9]* bytes mounted" "$tmp/copy.out"'
before=$(uploads)
CUSLIM_CACHE_DIR="$tmp/cache-empty" "$cuslim" bundle -q /usr/bin/ssh -o "docker://$reg/cuslim/ssh-copy2:1" "${auth[@]}" > "$tmp/copy2.out" 2>&1; rc=$?
check "... with no record of where they are: uploaded again ($rc: $(cat "$tmp/copy2.out"))" \
  '[ $rc = 0 ] && [ $(( $(uploads) - before )) = $((ssh_layers + 1)) ] && grep -q " 0 blobs, 0 bytes mounted" "$tmp/copy2.out"'

# --- pull: verify and run read docker:// ---------------------------------------------------------
"$cuslim" verify "docker://$reg/cuslim/ssh:1" "${auth[@]}" > "$tmp/verify.out" 2>&1; rc=$?
check "verify docker:// pulls and passes (exit $rc)" '[ $rc = 0 ] && grep -q "^OK" "$tmp/verify.out"'
"$cuslim" verify "docker://$reg/cuslim/ssh@$d1" "${auth[@]}" > /dev/null 2>&1; rc=$?
check "verify docker://...@DIGEST (pinned) passes" '[ $rc = 0 ]'
out=$("$cuslim" run --gpu off "docker://$reg/cuslim/ssh:1" "${auth[@]}" -- /usr/bin/ssh -V 2>&1); rc=$?
check "run docker:// runs the pulled image ($out)" '[ $rc = 0 ] && [[ "$out" == OpenSSH_* ]]'
blob_gets() { grep 'msg="response completed"' "$tmp/basic.log" | grep -c 'http.request.method=GET.*/blobs/sha256:'; }
before=$(blob_gets)
out=$("$cuslim" run -v --gpu off "docker://$reg/cuslim/ssh:1" "${auth[@]}" -- /usr/bin/ssh -V 2>&1); rc=$?
check "run docker:// again: the image cache's copy, found by the manifest's digest; no blob pulled ($(( $(blob_gets) - before )) blob GETs; $(echo "$out" | grep -m1 "cache"))" \
  '[ $rc = 0 ] && [[ "$out" == *"image cache hit"* ]] && [[ "$out" == *OpenSSH_* ]] && [ "$(blob_gets)" = "$before" ]'
# Pinned to a digest the cache holds: runs without asking the registry (a node runs what it has
# while the registry is down).
"$cuslim" run --gpu off "docker://$reg/cuslim/ssh@$d1" "${auth[@]}" -- /usr/bin/ssh -V > /dev/null 2>&1
requests() { grep -c 'msg="response completed"' "$tmp/basic.log"; }
before=$(requests)
out=$("$cuslim" run -v --gpu off "docker://$reg/cuslim/ssh@$d1" "${auth[@]}" -- /usr/bin/ssh -V 2>&1); rc=$?
check "run docker://...@DIGEST the cache holds: a cache hit with no request to the registry ($(( $(requests) - before )) requests)" \
  '[ $rc = 0 ] && [[ "$out" == *"image cache hit"* ]] && [[ "$out" == *OpenSSH_* ]] && [ "$(requests)" = "$before" ]'
# The tag moves to another image: the next run pulls and runs that one, not the cached copy.
must "skopeo moves the tag ssh-moving:1 to the first image" skopeo copy -q --dest-cert-dir "$certs" --dest-creds "tester:s3cret:pw" "oci:$tmp/skopeo-pull:1" "docker://$reg/cuslim/ssh-moving:1"
"$cuslim" run --gpu off "docker://$reg/cuslim/ssh-moving:1" "${auth[@]}" -- /usr/bin/ssh -V > /dev/null 2>&1
must "bundle ssh-keygen into a layout" "$cuslim" bundle -q /usr/bin/ssh-keygen -o "oci:$tmp/keygen-layout:1"
must "skopeo moves the tag ssh-moving:1 to another image" skopeo copy -q --dest-cert-dir "$certs" --dest-creds "tester:s3cret:pw" "oci:$tmp/keygen-layout:1" "docker://$reg/cuslim/ssh-moving:1"
out=$("$cuslim" run --gpu off "docker://$reg/cuslim/ssh-moving:1" "${auth[@]}" -- /usr/bin/ssh -V 2>&1); rc=$?
check "run docker:// after the tag moved runs the new image (ssh-keygen's, no ssh: 127), not the cached one ($rc: $out)" '[ $rc = 127 ]'

# --- a second image on the first (--base docker://): only its new blobs go up ----------------------
before=$(uploads)
"$cuslim" bundle -q /usr/bin/ssh-keygen --base "docker://$reg/cuslim/ssh:1" -o "docker://$reg/cuslim/keygen:1" "${auth[@]}" \
  --digestfile "$tmp/keygen.digest" > "$tmp/push2.out" 2> "$tmp/push2.err"; rc=$?
check "bundle --base docker:// -o docker:// exits 0 ($(cat "$tmp/push2.err"))" '[ $rc = 0 ]'
second=$(( $(uploads) - before ))
echo "     second push: $(cat "$tmp/push2.out")"
own=$(( $(layer_count "$reg/cuslim/keygen:1") - ssh_layers ))  # keygen:1's layers above the base's
check "second push (another repository) uploaded its $own layer(s) and its config, mounted the base's $ssh_layers layers (log: $second)" \
  '[ "$own" -ge 1 ] && [ "$second" = $((own + 1)) ] && grep -q "($((own + 1)) blobs, [0-9]* bytes uploaded; 0 blobs, 0 bytes already there; $ssh_layers blobs, [0-9]* bytes mounted" "$tmp/push2.out"'
before=$(uploads)
"$cuslim" bundle -q /usr/bin/ssh-keygen --base "docker://$reg/cuslim/ssh:1" -o "docker://$reg/cuslim/ssh:keygen" "${auth[@]}" > "$tmp/push3.out" 2>&1; rc=$?
third=$(( $(uploads) - before ))
echo "     same repository: $(cat "$tmp/push3.out")"
check "same image into the base's repository: the shared layers are already there (HEAD), its own $((own + 1)) blobs mounted from keygen's repository, none sent (log: $third)" \
  '[ $rc = 0 ] && [ "$third" = 0 ] && grep -q "(0 blobs, 0 bytes uploaded; $ssh_layers blobs, [0-9]* bytes already there; $((own + 1)) blobs, [0-9]* bytes mounted" "$tmp/push3.out"'
base_layer=$(skopeo inspect --cert-dir "$certs" --creds 'tester:s3cret:pw' "docker://$reg/cuslim/ssh:1" | python3 -c 'import json,sys;print(json.load(sys.stdin)["Layers"][0])')
keygen_layer=$(skopeo inspect --cert-dir "$certs" --creds 'tester:s3cret:pw' "docker://$reg/cuslim/keygen:1" | python3 -c 'import json,sys;print(json.load(sys.stdin)["Layers"][0])')
check "cuslim's pull kept the base layer's digest: keygen:1 starts with ssh:1's layer" '[ -n "$base_layer" ] && [ "$base_layer" = "$keygen_layer" ]'
check "skopeo inspect sees keygen:1 at the printed digest" '[ "$(digest_of "$reg/cuslim/keygen:1")" = "$(cat "$tmp/keygen.digest")" ]'

# --- --layers auto (the default): two CUDA programs share their system and CUDA layers in the registry --
if cuda_programs "$tmp" one two; then
  "$cuslim" bundle -q "$tmp/cu-one" -o "docker://$reg/cuslim/cuda-apps:one" "${auth[@]}" > "$tmp/l1.out" 2> "$tmp/l1.err"; rc1=$?
  before=$(uploads)
  "$cuslim" bundle -q "$tmp/cu-two" -o "docker://$reg/cuslim/cuda-apps:two" "${auth[@]}" > "$tmp/l2.out" 2> "$tmp/l2.err"; rc2=$?
  lsecond=$(( $(uploads) - before ))
  echo "     default layers, second CUDA app: $(cat "$tmp/l2.out")"
  check "default --layers auto: both CUDA apps pushed ($(cat "$tmp/l1.err" "$tmp/l2.err"))" '[ $rc1 = 0 ] && [ $rc2 = 0 ]'
  check "default --layers auto: the second uploads only its app layer and config; system and CUDA layers already there (log: $lsecond)" \
    '[ "$lsecond" = 2 ] && grep -q "(2 blobs, [0-9]* bytes uploaded; 3 blobs, [0-9]* bytes already there" "$tmp/l2.out"'
  layers_of() { skopeo inspect --cert-dir "$certs" --creds 'tester:s3cret:pw' "docker://$reg/cuslim/cuda-apps:$1" | python3 -c 'import json,sys;print(" ".join(json.load(sys.stdin)["Layers"]))'; }
  l1=($(layers_of one)); l2=($(layers_of two))
  check "default --layers auto: 4 layers each, the first three (system, the toolkit's links, cuda-cudart) byte-identical, the app layers differ" \
    '[ ${#l1[@]} = 4 ] && [ "${l1[0]}" = "${l2[0]}" ] && [ "${l1[1]}" = "${l2[1]}" ] && [ "${l1[2]}" = "${l2[2]}" ] && [ "${l1[3]}" != "${l2[3]}" ]'
  out=$("$cuslim" run --gpu off "docker://$reg/cuslim/cuda-apps:two" "${auth[@]}" 2>&1); rc=$?
  check "default --layers auto: the pulled layered image runs ($out)" '[ $rc = 0 ] && [[ "$out" == "two "* ]]'
else
  echo "skip-part: --layers auto sharing (no CUDA toolkit at /usr/local/cuda)"
fi

# --- slim docker:// -o docker://, chunked upload, credentials from the docker config ---------------
mkdir -p "$tmp/dockercfg"
printf '{"auths":{"https://%s":{"auth":"%s"}}}\n' "$reg" "$(printf 'tester:s3cret:pw' | base64 -w0)" > "$tmp/dockercfg/config.json"
DOCKER_CONFIG="$tmp/dockercfg" "$cuslim" slim -q "docker://$reg/cuslim/keygen:1" -o "docker://$reg/cuslim/keygen:slim" --cert-dir "$certs" \
  --chunk-size 65536 > "$tmp/slim.out" 2> "$tmp/slim.err"; rc=$?
check "slim docker:// -o docker:// with \$DOCKER_CONFIG auths and --chunk-size (exit $rc: $(cat "$tmp/slim.err"))" '[ $rc = 0 ]'
check "the registry took PATCH chunks" 'grep -q "http.request.method=PATCH" "$tmp/basic.log"'
check "skopeo reads the slimmed image" '[ -n "$(digest_of "$reg/cuslim/keygen:slim")" ]'

mkdir -p "$tmp/helpercfg" "$tmp/bin"
printf '#!/bin/sh\nread s\n[ "$s" = "%s" ] && echo "{\\"Username\\":\\"tester\\",\\"Secret\\":\\"s3cret:pw\\"}" && exit 0\necho "credentials not found in native keychain"; exit 1\n' "$reg" > "$tmp/bin/docker-credential-cuslimtest"
chmod +x "$tmp/bin/docker-credential-cuslimtest"
printf '{"credHelpers":{"%s":"cuslimtest"}}\n' "$reg" > "$tmp/helpercfg/config.json"
PATH="$tmp/bin:$PATH" DOCKER_CONFIG="$tmp/helpercfg" "$cuslim" verify "docker://$reg/cuslim/keygen:1" --cert-dir "$certs" > /dev/null 2> "$tmp/helper.err"; rc=$?
check "credHelpers: the helper's credentials pull the image (exit $rc: $(cat "$tmp/helper.err"))" '[ $rc = 0 ]'
# The docker config is read at the first challenge: a registry that asks for no credentials is
# reached whatever the config says (a missing helper, broken JSON); one that asks gets the error.
aport=$(free_port); areg="127.0.0.1:$aport"
must "an open registry (TLS, no auth) starts" start_registry open "$aport" ""
"$cuslim" bundle -q /bin/true -o "docker://$areg/cuslim/open:1" --cert-dir "$certs" > /dev/null 2>&1
mkdir -p "$tmp/brokencfg"
for cfg in '{"credsStore":"nosuchhelper"}' '{not json'; do
  printf '%s\n' "$cfg" > "$tmp/brokencfg/config.json"
  DOCKER_CONFIG="$tmp/brokencfg" "$cuslim" verify "docker://$areg/cuslim/open:1" --cert-dir "$certs" > /dev/null 2> "$tmp/broken.err"; rc=$?
  check "docker config $cfg: an open registry is still pulled from (exit $rc: $(cat "$tmp/broken.err"))" '[ $rc = 0 ]'
done
DOCKER_CONFIG="$tmp/brokencfg" "$cuslim" verify "docker://$reg/cuslim/keygen:1" --cert-dir "$certs" > /dev/null 2> "$tmp/broken2.err"; rc=$?
check "... a registry that asks for credentials gets the config error (exit $rc: $(cat "$tmp/broken2.err"))" \
  '[ $rc = 3 ] && grep -q "asks for credentials" "$tmp/broken2.err" && grep -q "config.json" "$tmp/broken2.err"'

# An empty auth is no credentials (docker's reading): the open registry is pulled from anonymously,
# the entry's username/password are used when it has them; an auth that is not USER:PASS is
# invalid input in the file (exit 3, no "see --help").
printf '{"auths":{"%s":{"auth":""}}}\n' "$areg" > "$tmp/brokencfg/config.json"
DOCKER_CONFIG="$tmp/brokencfg" "$cuslim" verify "docker://$areg/cuslim/open:1" --cert-dir "$certs" > /dev/null 2> "$tmp/empty.err"; rc=$?
check "docker config auth \"\": anonymous, the open registry is pulled from ($rc: $(cat "$tmp/empty.err"))" '[ $rc = 0 ]'
printf '{"auths":{"%s":{"auth":"","username":"tester","password":"s3cret:pw"}}}\n' "$reg" > "$tmp/brokencfg/config.json"
DOCKER_CONFIG="$tmp/brokencfg" "$cuslim" verify "docker://$reg/cuslim/keygen:1" --cert-dir "$certs" > /dev/null 2> "$tmp/empty2.err"; rc=$?
check "docker config auth \"\" with username and password: those are used ($rc: $(cat "$tmp/empty2.err"))" '[ $rc = 0 ]'
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$reg" "$(printf 'nocolon' | base64 -w0)" > "$tmp/brokencfg/config.json"
DOCKER_CONFIG="$tmp/brokencfg" "$cuslim" verify "docker://$reg/cuslim/keygen:1" --cert-dir "$certs" > /dev/null 2> "$tmp/nocolon.err"; rc=$?
check "docker config auth without a colon: exit 3 naming the file's entry, no usage hint ($rc: $(cat "$tmp/nocolon.err"))" \
  '[ $rc = 3 ] && grep -q "config.json: auths.$reg.auth: credentials must be USER:PASS" "$tmp/nocolon.err" && ! grep -q "see cuslim" "$tmp/nocolon.err"'

# A credential helper that never answers: killed after the limit (exit 3 naming it), and killed when
# cuslim is interrupted (SIGINT) -- with what it started (its process group).
mkdir -p "$tmp/stuckcfg"
printf '#!/bin/sh\necho $$ > %s/stuck.pid\nsleep 300 &\necho $! > %s/stuck-child.pid\nwait\n' "$tmp" "$tmp" > "$tmp/bin/docker-credential-stuck"
chmod +x "$tmp/bin/docker-credential-stuck"
printf '{"credHelpers":{"%s":"stuck"}}\n' "$reg" > "$tmp/stuckcfg/config.json"
gone() { local st; st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 0; [ "$st" = Z ] || [ "$st" = X ]; }  # gone, or an unreaped zombie
t0=$(date +%s)
PATH="$tmp/bin:$PATH" DOCKER_CONFIG="$tmp/stuckcfg" CUSLIM_CRED_HELPER_TIMEOUT_S=2 "$cuslim" verify "docker://$reg/cuslim/keygen:1" --cert-dir "$certs" \
  > /dev/null 2> "$tmp/stuck.err"; rc=$?
took=$(( $(date +%s) - t0 ))
check "a credential helper that never answers: exit 3 after the limit (${took}s), naming it ($(cat "$tmp/stuck.err"))" \
  '[ $rc = 3 ] && [ "$took" -lt 30 ] && grep -q "docker-credential-stuck get ($reg): no answer within 2 s" "$tmp/stuck.err"'
sleep 0.3
check "... the helper and the process it started were killed" 'gone "$(cat "$tmp/stuck.pid")" && gone "$(cat "$tmp/stuck-child.pid")"'
rm -f "$tmp/stuck.pid" "$tmp/stuck-child.pid"
PATH="$tmp/bin:$PATH" DOCKER_CONFIG="$tmp/stuckcfg" "$cuslim" verify "docker://$reg/cuslim/keygen:1" --cert-dir "$certs" > /dev/null 2> "$tmp/sigint.err" &
vpid=$!
for _ in $(seq 100); do [ -s "$tmp/stuck-child.pid" ] && break; sleep 0.1; done
kill -INT "$vpid"; wait "$vpid"; rc=$?
sleep 0.3
check "SIGINT while a credential helper runs: cuslim ends by the signal ($rc $(cat "$tmp/sigint.err")) and the helper and its child are killed" \
  '[ $rc = 130 ] && [ -s "$tmp/stuck.pid" ] && gone "$(cat "$tmp/stuck.pid")" && gone "$(cat "$tmp/stuck-child.pid")"'

# --creds goes to one registry: a command that reads from one registry host and pushes to another is
# refused before any request (exit 2, naming --src-creds/--dest-creds).
before=$(grep -c 'msg="response completed"' "$tmp/basic.log")
"$cuslim" slim -q "docker://$reg/cuslim/keygen:1" -o "docker://$areg/cuslim/crossed:1" --creds 'tester:s3cret:pw' --cert-dir "$certs" \
  > /dev/null 2> "$tmp/cross1.err"; rc=$?
check "slim docker://A -o docker://B --creds: usage error naming --src-creds and --dest-creds ($rc: $(cat "$tmp/cross1.err"))" \
  '[ $rc = 2 ] && grep -q -- "--src-creds" "$tmp/cross1.err" && grep -q -- "--dest-creds" "$tmp/cross1.err"'
"$cuslim" bundle -q /bin/true --base "docker://$reg/cuslim/keygen:1" -o "docker://$areg/cuslim/crossed:2" --creds 'tester:s3cret:pw' \
  --cert-dir "$certs" > /dev/null 2> "$tmp/cross2.err"; rc=$?
check "bundle --base docker://A -o docker://B --creds: usage error ($rc: $(cat "$tmp/cross2.err"))" '[ $rc = 2 ] && grep -q -- "--src-creds" "$tmp/cross2.err"'
check "... and neither registry was asked anything" '[ "$(grep -c "msg=\"response completed\"" "$tmp/basic.log")" = "$before" ]'
"$cuslim" slim -q "docker://$reg/cuslim/keygen:1" -o "docker://$areg/cuslim/crossed:3" --src-creds 'tester:s3cret:pw' --cert-dir "$certs" \
  > /dev/null 2> "$tmp/cross3.err"; rc=$?
check "slim docker://A -o docker://B --src-creds (the open registry needs none): pushed ($rc: $(cat "$tmp/cross3.err"))" \
  '[ $rc = 0 ] && skopeo inspect --cert-dir "$certs" "docker://$areg/cuslim/crossed:3" > /dev/null'
"$cuslim" slim -q "docker://$areg/cuslim/crossed:3" -o "docker://$reg/cuslim/crossed:4" --dest-creds 'tester:s3cret:pw' --cert-dir "$certs" \
  > /dev/null 2> "$tmp/cross4.err"; rc=$?
check "slim docker://B -o docker://A --dest-creds: pushed with the destination's credentials ($rc: $(cat "$tmp/cross4.err"))" \
  '[ $rc = 0 ] && [ -n "$(digest_of "$reg/cuslim/crossed:4")" ]'
"$cuslim" slim -q "docker://$areg/cuslim/crossed:3" -o "docker://$reg/cuslim/crossed:5" --src-creds 'tester:s3cret:pw' --cert-dir "$certs" \
  > /dev/null 2> "$tmp/cross5.err"; rc=$?
check "... --src-creds alone is never sent to the destination: exit 4, no credentials there ($rc: $(cat "$tmp/cross5.err"))" \
  '[ $rc = 4 ] && grep -q "no credentials" "$tmp/cross5.err"'

# A certs.d *.crt that holds no certificate: exit 3 naming it (not a silent skip, then "unknown CA").
mkdir -p "$tmp/badcerts" && cp "$certs/ca.crt" "$tmp/badcerts/" && echo "not a certificate" > "$tmp/badcerts/zz-broken.crt"
"$cuslim" verify "docker://$reg/cuslim/keygen:1" --creds 'tester:s3cret:pw' --cert-dir "$tmp/badcerts" > /dev/null 2> "$tmp/badcrt.err"; rc=$?
check "--cert-dir with a *.crt that is no certificate: exit 3 naming the file ($rc: $(cat "$tmp/badcrt.err"))" \
  '[ $rc = 3 ] && grep -q "$tmp/badcerts/zz-broken.crt" "$tmp/badcrt.err"'

# Client certificates pair up as docker pairs them: a key without its certificate, and a *.cert
# or *.key that holds none, are exit 3 naming the file (not ignored, not a TLS error later).
for case in lonekey junkcert junkkey; do
  d="$tmp/clientcerts-$case"; mkdir -p "$d" && cp "$certs/ca.crt" "$d/"
  case $case in
    lonekey) cp "$tmp/wrong.key" "$d/client.key"; want="$d/client.key: client key without its certificate $d/client.cert" ;;
    junkcert) echo junk > "$d/client.cert"; cp "$tmp/wrong.key" "$d/client.key"; want="$d/client.cert: no certificate could be read from it" ;;
    junkkey) cp "$wrong/ca.crt" "$d/client.cert"; echo junk > "$d/client.key"; want="$d/client.key: no PEM private key in it" ;;
  esac
  "$cuslim" verify "docker://$reg/cuslim/keygen:1" --creds 'tester:s3cret:pw' --cert-dir "$d" > /dev/null 2> "$tmp/$case.err"; rc=$?
  check "--cert-dir, $case: exit 3 naming the file ($rc: $(cat "$tmp/$case.err"))" '[ $rc = 3 ] && grep -qF "$want" "$tmp/$case.err"'
done

# docker's reference rule: docker://nvidia/cuda is Docker Hub's nvidia/cuda (no network here: the
# error names the host it went to), never a host "nvidia".
"$cuslim" verify "docker://nvidia/cuda:12.4.1" > /dev/null 2> "$tmp/hub.err"; rc=$?
check "docker://nvidia/cuda:12.4.1 goes to registry-1.docker.io, not to a host 'nvidia' ($rc: $(head -c 300 "$tmp/hub.err"))" \
  '[ $rc = 4 ] && grep -q "https://registry-1.docker.io/v2/nvidia/cuda/" "$tmp/hub.err" && ! grep -q "https://nvidia/" "$tmp/hub.err"'

# Manifests up to 4 MiB, as the registry and skopeo take them: a 2 MiB one is pulled; a 5 MiB one in
# a layout is refused naming the limit.
big_manifest() {  # SRC-LAYOUT DST-LAYOUT BYTES: the image with an annotation of BYTES in its manifest
  python3 - "$@" <<'PY'
import hashlib, json, os, shutil, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
shutil.rmtree(dst, ignore_errors=True); shutil.copytree(src, dst)
idx = json.load(open(dst + "/index.json")); d = idx["manifests"][0]
m = json.load(open(dst + "/blobs/sha256/" + d["digest"][7:]))
m.setdefault("annotations", {})["cuslim.test/padding"] = "x" * n
b = json.dumps(m).encode(); h = hashlib.sha256(b).hexdigest()
open(dst + "/blobs/sha256/" + h, "wb").write(b)
d["digest"], d["size"] = "sha256:" + h, len(b)
idx["manifests"] = [d]; json.dump(idx, open(dst + "/index.json", "w"))
PY
}
"$cuslim" bundle -q /bin/true -o "$tmp/small-oci" --tag 1
big_manifest "$tmp/small-oci" "$tmp/big2-oci" 2000000
must "skopeo pushes an image with a 2 MB manifest" skopeo copy -q --dest-cert-dir "$certs" --dest-creds "tester:s3cret:pw" "oci:$tmp/big2-oci:1" "docker://$reg/cuslim/bigmanifest:1"
"$cuslim" verify "docker://$reg/cuslim/bigmanifest:1" "${auth[@]}" > /dev/null 2> "$tmp/big2.err"; rc=$?
check "a 2 MB manifest is pulled (it was refused over 1 MiB) ($rc: $(head -c 300 "$tmp/big2.err"))" '[ $rc = 0 ]'
big_manifest "$tmp/small-oci" "$tmp/big5-oci" 5000000
"$cuslim" verify "oci:$tmp/big5-oci:1" > /dev/null 2> "$tmp/big5.err"; rc=$?
check "a 5 MB manifest in a layout: exit 3 naming the 4 MiB limit ($rc: $(head -c 300 "$tmp/big5.err"))" '[ $rc = 3 ] && grep -q "larger than 4 MiB" "$tmp/big5.err"'

# An index whose only entry is another index: said so, naming it (not "it has: ").
man=$(curl -s --cacert "$certs/ca.crt" -u 'tester:s3cret:pw' -H 'Accept: application/vnd.oci.image.manifest.v1+json' "https://$reg/v2/cuslim/ssh/manifests/1")
inner=$(python3 -c 'import hashlib,json,sys; m=sys.argv[1].encode(); print(json.dumps({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:"+hashlib.sha256(m).hexdigest(),"size":len(m),"platform":{"os":"linux","architecture":"amd64"}}]}))' "$man")
inner_d=sha256:$(printf '%s' "$inner" | sha256sum | cut -d' ' -f1)
outer=$(python3 -c 'import json,sys; print(json.dumps({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":sys.argv[1],"size":int(sys.argv[2])}]}))' "$inner_d" "${#inner}")
put_index() { curl -s --cacert "$certs/ca.crt" -u 'tester:s3cret:pw' -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' \
  --data-binary "$2" "https://$reg/v2/cuslim/ssh/manifests/$1" -o /dev/null -w '%{http_code} ' >> "$tmp/nested.put"; }
put_index "$inner_d" "$inner"; put_index nested "$outer"
"$cuslim" verify "docker://$reg/cuslim/ssh:nested" "${auth[@]}" > /dev/null 2> "$tmp/nested.err"; rc=$?
check "an index whose only entry is an index: exit 3 saying nested indexes are not followed, naming it ($rc: $(cat "$tmp/nested.put" | tr '\n' ' ')$(head -c 400 "$tmp/nested.err"))" \
  '[ $rc = 3 ] && grep -q "nested image index ($inner_d)" "$tmp/nested.err" && grep -q "does not follow" "$tmp/nested.err"'

# Pinned to an image index's digest (what docker pull and skopeo inspect give for a multi-platform
# image): once run, the index's platform manifest is noted, so the next run asks the registry nothing.
"$cuslim" run --gpu off "docker://$reg/cuslim/ssh@$inner_d" "${auth[@]}" -- /usr/bin/ssh -V > /dev/null 2>&1; rc1=$?
before=$(requests)
out=$("$cuslim" run -v --gpu off "docker://$reg/cuslim/ssh@$inner_d" "${auth[@]}" -- /usr/bin/ssh -V 2>&1); rc=$?
check "run docker://...@INDEX-DIGEST the cache holds: a cache hit with no request to the registry ($rc1 $rc, $(( $(requests) - before )) requests)" \
  '[ $rc1 = 0 ] && [ $rc = 0 ] && [[ "$out" == *"image cache hit"* ]] && [[ "$out" == *OpenSSH_* ]] && [ "$(requests)" = "$before" ]'

# --- parallel blob transfers and progress on a TTY ------------------------------------------------
# Each worker has its own connection: the registry sees the blobs of one push come from several
# client ports with the default --registry-jobs, from one with --registry-jobs 1; same image either way.
head -c 4000000 /dev/urandom > "$tmp/par.bin"
ports_of() { grep 'msg="response completed"' "$tmp/basic.log" | grep "/v2/cuslim/$1/blobs/" | grep -o 'http.request.remoteaddr="\?[0-9.]*:[0-9]*' | sort -u | wc -l; }
if command -v script > /dev/null; then
  script -qec "'$cuslim' bundle /bin/true --include '$tmp/par.bin' -o 'docker://$reg/cuslim/par:1' --creds 'tester:s3cret:pw' --cert-dir '$certs' --digestfile '$tmp/par.digest'" /dev/null > "$tmp/par.tty" 2>&1; rc=$?
  pp=$(ports_of par)  # the first push alone
  check "push on a TTY exits 0 and shows a pushing line with bytes and share (a rate after half a second)" \
    '[ $rc = 0 ] && grep -aq "pushing [0-9.]* [kMG]\?B / [0-9.]* [kMG]B ([0-9]*%)" "$tmp/par.tty"' || tail -3 "$tmp/par.tty"
  script -qec "'$cuslim' verify 'docker://$reg/cuslim/par:1' --creds 'tester:s3cret:pw' --cert-dir '$certs'" /dev/null > "$tmp/pull.tty" 2>&1; rc=$?
  check "pull on a TTY (verify docker://) passes and shows a pulling line with bytes and share" \
    '[ $rc = 0 ] && grep -aq "pulling [0-9.]* [kMG]\?B / [0-9.]* [kMG]B ([0-9]*%)" "$tmp/pull.tty"' || tail -3 "$tmp/pull.tty"
else
  "$cuslim" bundle -q /bin/true --include "$tmp/par.bin" -o "docker://$reg/cuslim/par:1" "${auth[@]}" --digestfile "$tmp/par.digest" > /dev/null
  pp=$(ports_of par)
  echo "skip-part: progress lines (no script from util-linux for a TTY)"
fi
"$cuslim" bundle /bin/true --include "$tmp/par.bin" -o "docker://$reg/cuslim/par:1" "${auth[@]}" > /dev/null 2> "$tmp/par.err"
check "without a TTY a push prints no progress line" '! grep -aq "pushing" "$tmp/par.err" && ! grep -aq $'"'"'\r'"'"' "$tmp/par.err"'
"$cuslim" bundle -q /bin/true --include "$tmp/par.bin" -o "docker://$reg/cuslim/par-one:1" "${auth[@]}" --registry-jobs 1 --digestfile "$tmp/par1.digest"; rc=$?
check "--registry-jobs 1 pushes the same image (same digest)" '[ $rc = 0 ] && [ "$(cat "$tmp/par1.digest")" = "$(cat "$tmp/par.digest")" ]'
p1=$(ports_of par-one)
check "default --registry-jobs: the first push's blobs went up on several connections ($pp client ports); --registry-jobs 1: one ($p1)" '[ "$pp" -ge 2 ] && [ "$p1" = 1 ]'
mkdir -p "$tmp/par-pull"
check "skopeo pulls the image pushed in parallel" 'skopeo copy -q --src-cert-dir "$certs" --src-creds "tester:s3cret:pw" "docker://$reg/cuslim/par:1" "oci:$tmp/par-pull:1"'
"$cuslim" slim -q "docker://$reg/cuslim/par:1" "${auth[@]}" --keep "$tmp/par.bin" -o "$tmp/par-slim" --format dir; rc=$?
check "cuslim's parallel pull gives the bytes back (slim docker:// --format dir)" '[ $rc = 0 ] && cmp -s "$tmp/par.bin" "$tmp/par-slim$tmp/par.bin"'

# --- failures: clear errors, exit 4 for the registry, nothing tagged ---------------------------------
"$cuslim" bundle -q /usr/bin/ssh -o "docker://$reg/cuslim/bad:1" --creds tester:wrong --cert-dir "$certs" > /dev/null 2> "$tmp/bad.err"; rc=$?
check "bad credentials: exit 4 and a 401 message ($(cat "$tmp/bad.err"))" '[ $rc = 4 ] && grep -q "401 Unauthorized" "$tmp/bad.err" && grep -q "^cuslim: docker://$reg/cuslim/bad:1: push: " "$tmp/bad.err"'
check "bad credentials: nothing tagged" '! skopeo inspect --cert-dir "$certs" --creds "tester:s3cret:pw" "docker://$reg/cuslim/bad:1" >/dev/null 2>&1'
"$cuslim" verify "docker://$reg/cuslim/ssh:1" --cert-dir "$certs" > /dev/null 2> "$tmp/anon.err"; rc=$?
check "no credentials: exit 4, says how to give them" '[ $rc = 4 ] && grep -q "no credentials" "$tmp/anon.err"'
"$cuslim" verify "docker://$reg/cuslim/ssh:1" --creds 'tester:s3cret:pw' --cert-dir "$wrong" > /dev/null 2> "$tmp/ca.err"; rc=$?
check "wrong CA: exit 4, a certificate error ($(cat "$tmp/ca.err"))" '[ $rc = 4 ] && grep -qi "certificate" "$tmp/ca.err"'
"$cuslim" verify "docker://$reg/cuslim/ssh:1" --creds 'tester:s3cret:pw' --tls-verify=false > /dev/null 2>&1; rc=$?
check "--tls-verify=false (asked for) reads it without the CA" '[ $rc = 0 ]'
"$cuslim" verify "docker://$reg/cuslim/nope:1" "${auth[@]}" > /dev/null 2> "$tmp/404.err"; rc=$?
check "a missing tag: exit 4, 404 named ($(cat "$tmp/404.err"))" '[ $rc = 4 ] && grep -q "404 Not Found" "$tmp/404.err"'
"$cuslim" verify "docker://$reg/Bad_Name:1" > /dev/null 2>&1; rc=$?
check "an invalid reference is a usage error (2)" '[ $rc = 2 ]'
# A blob whose bytes no longer match its digest (same length, one byte changed on the registry's disk).
layer=${base_layer#sha256:}
data="$tmp/storage-basic/docker/registry/v2/blobs/sha256/${layer:0:2}/$layer/data"
check "the registry stores the layer at $data" '[ -f "$data" ]'
python3 - "$data" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 0xFF; open(p, "wb").write(bytes(b))
PY
"$cuslim" slim -q "docker://$reg/cuslim/ssh:1" "${auth[@]}" -o "$tmp/from-bad" > /dev/null 2> "$tmp/mismatch.err"; rc=$?
check "a blob not matching its digest: exit 3, 'digest mismatch' ($(cat "$tmp/mismatch.err"))" '[ $rc = 3 ] && grep -q "digest mismatch" "$tmp/mismatch.err"'
check "... and nothing written" '[ ! -e "$tmp/from-bad" ]'
# A hostile image in the registry (a layer entry ../escape): refused, named by its reference.
python3 - "$tmp/hostile" <<'PY'
import hashlib, io, json, os, sys, tarfile
d = sys.argv[1]; os.makedirs(d + "/blobs/sha256", exist_ok=True)
def blob(b):
    h = hashlib.sha256(b).hexdigest(); open(f"{d}/blobs/sha256/{h}", "wb").write(b); return "sha256:" + h, len(b)
t = io.BytesIO()
with tarfile.open(fileobj=t, mode="w") as tf:
    i = tarfile.TarInfo("../escape"); data = b"x"; i.size = len(data); tf.addfile(i, io.BytesIO(data))
ld, ls = blob(t.getvalue())
cd, cs = blob(json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [ld]}, "config": {}}).encode())
md, ms = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": ld, "size": ls}]}).encode())
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": ms,
    "annotations": {"org.opencontainers.image.ref.name": "1"}}]}, open(d + "/index.json", "w"))
json.dump({"imageLayoutVersion": "1.0.0"}, open(d + "/oci-layout", "w"))
PY
must "skopeo pushes a hostile image" skopeo copy -q --dest-cert-dir "$certs" --dest-creds "tester:s3cret:pw" "oci:$tmp/hostile:1" "docker://$reg/cuslim/hostile:1"
"$cuslim" verify "docker://$reg/cuslim/hostile:1" "${auth[@]}" > /dev/null 2> "$tmp/hostile.err"; rc=$?
check "a pulled hostile layer is refused (exit 3), named by its reference ($(head -c 200 "$tmp/hostile.err"))" '[ $rc = 3 ] && grep -q "docker://$reg/cuslim/hostile:1" "$tmp/hostile.err" && ! grep -q "cuslim-run-" "$tmp/hostile.err"'

# A registry that dies mid-upload (a relay that cuts every connection after 1 MB went up).
cport=$(free_port)
python3 "$here/registry_cut_proxy.py" --listen "$cport" --to "$port" --cut 1048576 > "$tmp/cut.log" 2>&1 & pids+=($!)
for _ in $(seq 50); do grep -q listening "$tmp/cut.log" && break; sleep 0.1; done
"$cuslim" bundle -q /usr/bin/ssh -o "docker://127.0.0.1:$cport/cuslim/cut:1" "${auth[@]}" > /dev/null 2> "$tmp/cut.err"; rc=$?
check "registry gone mid-upload: exit 4, the step named ($(cat "$tmp/cut.err"))" '[ $rc = 4 ] && grep -q "push: blob sha256:[0-9a-f]*: PUT" "$tmp/cut.err"'
check "registry gone mid-upload: the message holds no upload session state (_state)" '! grep -q "_state" "$tmp/cut.err"'
check "registry gone mid-upload: nothing tagged" '! skopeo inspect --cert-dir "$certs" --creds "tester:s3cret:pw" "docker://$reg/cuslim/cut:1" >/dev/null 2>&1'

# --- transports for inputs and outputs ------------------------------------------------------------
"$cuslim" bundle -q /usr/bin/ssh -o "oci:$tmp/t-oci:one"; rc=$?
check "bundle -o oci:DIR:TAG writes a layout tagged TAG" '[ $rc = 0 ] && skopeo inspect "oci:$tmp/t-oci:one" >/dev/null'
"$cuslim" bundle -q /usr/bin/ssh -o "oci-archive:$tmp/t.archive:two"; rc=$?
check "bundle -o oci-archive:FILE:TAG writes an oci-archive" '[ $rc = 0 ] && skopeo inspect "oci-archive:$tmp/t.archive:two" >/dev/null'
"$cuslim" bundle -q /usr/bin/ssh -o "docker-archive:$tmp/t.darchive:cuslim/ssh:3"; rc=$?
check "bundle -o docker-archive:FILE:REF writes a docker-archive tagged REF" \
  '[ $rc = 0 ] && skopeo inspect "docker-archive:$tmp/t.darchive" >/dev/null && tar -xOf "$tmp/t.darchive" manifest.json | grep -q "cuslim/ssh:3"'
for a in "$tmp/t.archive" "$tmp/t.darchive"; do
  check "$(basename "$a"): no cuslim-cache.json in the archive ($(tar tf "$a" | tr '\n' ' '))" \
    'tar tf "$a" > "$tmp/names" && grep -q "^index.json$\|^manifest.json$" "$tmp/names" && ! grep -q "cuslim-cache" "$tmp/names"'
done
"$cuslim" bundle -q /usr/bin/ssh -o "dir:$tmp/t-rootfs"; rc=$?
check "bundle -o dir:PATH writes a rootfs dir" '[ $rc = 0 ] && [ -x "$tmp/t-rootfs/usr/bin/ssh" ]'
for in in "oci:$tmp/t-oci:one" "oci-archive:$tmp/t.archive:two" "docker-archive:$tmp/t.darchive:cuslim/ssh:3" "dir:$tmp/t-rootfs"; do
  "$cuslim" verify "$in" > /dev/null 2>&1; rc=$?
  check "verify $in" '[ $rc = 0 ]'
done
"$cuslim" bundle -q /usr/bin/ssh -o "oci-archive:$tmp/x.tar" --format docker-archive > /dev/null 2>&1; rc=$?
check "a transport and a --format that disagree: usage error" '[ $rc = 2 ]'
"$cuslim" slim -q "oci-archive:$tmp/t.archive:two" -o "oci:$tmp/t-oci:slim"; rc=$?
check "slim oci-archive:FILE:TAG -o oci:DIR:TAG adds the tag to the layout" '[ $rc = 0 ] && skopeo inspect "oci:$tmp/t-oci:slim" >/dev/null && skopeo inspect "oci:$tmp/t-oci:one" >/dev/null'
"$cuslim" bundle -q /bin/true -o "$tmp/t-oci:plain"; rc=$?
check "bundle -o LAYOUT:TAG (an existing layout, no transport) adds the tag, as an input reads it" \
  '[ $rc = 0 ] && [ ! -e "$tmp/t-oci:plain" ] && skopeo inspect "oci:$tmp/t-oci:plain" >/dev/null && skopeo inspect "oci:$tmp/t-oci:one" >/dev/null'
# A tag holding ':' (valid in an OCI ref.name): the path ends at the first ':', as skopeo splits.
"$cuslim" bundle -q /bin/true -o "oci:$tmp/colon:v1:x"; rc=$?
check "-o oci:DIR:v1:x writes DIR tagged v1:x (skopeo reads it)" '[ $rc = 0 ] && [ -f "$tmp/colon/index.json" ] && skopeo inspect "oci:$tmp/colon:v1:x" >/dev/null'
"$cuslim" verify "oci:$tmp/colon:v1:x" > /dev/null 2>&1; r1=$?; "$cuslim" verify "$tmp/colon:v1:x" > /dev/null 2>&1; r2=$?
check "... and cuslim reads it back as oci:DIR:v1:x and DIR:v1:x ($r1 $r2)" '[ $r1 = 0 ] && [ $r2 = 0 ]'
"$cuslim" bundle -q /bin/true -o "oci-archive:$tmp/colon.tar:v2:y"; rc=$?
check "-o oci-archive:FILE:v2:y: the file is FILE, skopeo reads the tag" '[ $rc = 0 ] && [ -f "$tmp/colon.tar" ] && skopeo inspect "oci-archive:$tmp/colon.tar:v2:y" >/dev/null'
# docker-archive REF compared as docker does: NAME:TAG is docker.io/NAME:TAG, and the other way round.
skopeo copy -q "oci:$tmp/colon:v1:x" "docker-archive:$tmp/multi.tar:foo/true:1" --additional-tag bar/x:2 2>/dev/null
"$cuslim" verify "docker-archive:$tmp/multi.tar:bar/x:2" > /dev/null 2>&1; r1=$?
"$cuslim" bundle -q /bin/true -o "docker-archive:$tmp/own.tar:foo/true:1"
"$cuslim" verify "docker-archive:$tmp/own.tar:docker.io/foo/true:1" > /dev/null 2>&1; r2=$?
check "docker-archive:FILE:bar/x:2 finds skopeo's docker.io/bar/x:2, docker.io/foo/true:1 finds cuslim's foo/true:1 ($r1 $r2)" '[ $r1 = 0 ] && [ $r2 = 0 ]'
# A registry host that is an IPv6 address in brackets, as docker:// takes it: in a docker-archive REF
# too (written and read back by it; skopeo reads the archive).
"$cuslim" bundle -q /bin/true -o "docker-archive:$tmp/v6.tar:[::1]:5000/app:1" 2> "$tmp/v6.err"; r1=$?
"$cuslim" verify "docker-archive:$tmp/v6.tar:[::1]:5000/app:1" > /dev/null 2>&1; r2=$?
check "docker-archive:FILE:[::1]:5000/app:1 is written, tagged so, and read back by that REF ($r1 $r2: $(cat "$tmp/v6.err"))" \
  '[ $r1 = 0 ] && [ $r2 = 0 ] && tar -xOf "$tmp/v6.tar" manifest.json | grep -qF "[::1]:5000/app:1" && skopeo inspect "docker-archive:$tmp/v6.tar" > /dev/null'
long=$(printf 'b%.0s' $(seq 60)); long="$long/$long/$long/$long/$long"
"$cuslim" bundle -q /bin/true -o "docker://$reg/$long:1" "${auth[@]}" > /dev/null 2> "$tmp/long.err"; rc=$?
check "a repository name over 255 characters: usage error before any work ($rc)" '[ $rc = 2 ] && grep -q "longer than 255" "$tmp/long.err"'
# Misspelt transports and bad tags: usage errors (skopeo refuses each), never a file of that odd name.
mkdir -p "$tmp/odd" && cd "$tmp/odd" || exit 1
for o in "docker:/$reg/x:1" "Docker://$reg/x" "OCI:lay" "oci::t" "oci-archive::t" "docker-archive::r" "oci:lay:bad tag" "oci-archive:a.tar:b..d" \
         "docker-archive:d.tar:Bad/Name" "oci:" "dir:" "docker://127.0.0.1:99999/x:1" "docker://127.0.0.1:abc/x:1" "docker://bad_host.example/x" \
         "docker://Nvidia/cuda:1" "docker-archive:d.tar:UPPER/x:1"; do
  "$cuslim" bundle -q /bin/true -o "$o" > /dev/null 2> "$tmp/odd.err"; rc=$?
  check "bundle -o '$o': usage error ($rc: $(head -c 160 "$tmp/odd.err"))" '[ $rc = 2 ] && grep -q "^cuslim: bundle: " "$tmp/odd.err"'
done
"$cuslim" bundle -q /bin/true -o d.docker.tar --tag UPPER/x:1 > /dev/null 2> "$tmp/odd.err"; rc=$?
check "bundle --tag UPPER/x:1 to a docker archive: usage error, as docker://UPPER/x:1 is ($rc: $(head -c 160 "$tmp/odd.err"))" '[ $rc = 2 ]'
check "... and nothing was written for any of them ($(ls -A | tr '\n' ' '))" '[ -z "$(ls -A)" ]'
cd "$tmp" || exit 1
for in in "oci:" "dir:" "Oci:$tmp/t-oci:one" "docker:/$reg/cuslim/ssh:1" "docker://127.0.0.1:99999/cuslim/ssh:1"; do
  "$cuslim" verify "$in" > /dev/null 2> "$tmp/odd.err"; rc=$?
  check "verify '$in': usage error ($rc: $(head -c 120 "$tmp/odd.err"))" '[ $rc = 2 ]'
done
"$cuslim" bundle -q /bin/true -o "docker://$reg/cuslim/digestfile:1" "${auth[@]}" --digestfile /nonexistent-dir/d > /dev/null 2> "$tmp/df.err"; rc=$?
check "--digestfile in a missing directory: usage error before any push ($rc: $(cat "$tmp/df.err"))" \
  '[ $rc = 2 ] && grep -q -- "--digestfile /nonexistent-dir/d" "$tmp/df.err"'
check "... nothing was pushed" '! skopeo inspect --cert-dir "$certs" --creds "tester:s3cret:pw" "docker://$reg/cuslim/digestfile:1" >/dev/null 2>&1'
mkfifo "$tmp/df.fifo"; mkdir -p "$tmp/df.dir"
printf 'name: b\ntargets: [/bin/true]\nout: docker://%s/cuslim/digestfile:3\ntag: "3"\n' "$reg" > "$tmp/df-spec.yaml"
for df in /dev/null "$tmp/df.fifo" /proc/self/fd/1 "$tmp/df.dir" "" /nonexistent-dir/d; do
  "$cuslim" bundle -q /bin/true -o "docker://$reg/cuslim/digestfile:2" "${auth[@]}" --digestfile "$df" > /dev/null 2> "$tmp/df2.err"; rc=$?
  check "bundle -o docker:// --digestfile '$df': usage error before any push ($rc: $(cat "$tmp/df2.err"))" '[ $rc = 2 ] && grep -q -- "--digestfile" "$tmp/df2.err"'
  "$cuslim" build -q "$tmp/df-spec.yaml" "${auth[@]}" --digestfile "$df" > /dev/null 2> "$tmp/df3.err"; rc=$?
  check "build (out: docker://) --digestfile '$df': usage error before any push ($rc: $(cat "$tmp/df3.err"))" '[ $rc = 2 ] && grep -q -- "--digestfile" "$tmp/df3.err"'
done
check "... nothing was pushed for any of them" '! skopeo inspect --cert-dir "$certs" --creds "tester:s3cret:pw" "docker://$reg/cuslim/digestfile:2" >/dev/null 2>&1 && ! skopeo inspect --cert-dir "$certs" --creds "tester:s3cret:pw" "docker://$reg/cuslim/digestfile:3" >/dev/null 2>&1'
printf 'name: b\ntargets: [/bin/true]\nout: docker://%s/cuslim/spec:1\n' "$reg" > "$tmp/name-spec.yaml"
"$cuslim" build -q "$tmp/name-spec.yaml" "${auth[@]}" > /dev/null 2> "$tmp/specname.err"; rc=$?
check "build: a spec with no tag: and out docker://...:1 pushes :1 (the name yields to OUT's tag) ($rc: $(cat "$tmp/specname.err"))" \
  '[ $rc = 0 ] && skopeo inspect --cert-dir "$certs" --creds "tester:s3cret:pw" "docker://$reg/cuslim/spec:1" >/dev/null'
printf 'name: b\ntargets: [/bin/true]\n' > "$tmp/k8s-spec.yaml"
"$cuslim" build -q "$tmp/k8s-spec.yaml" -o "docker://$reg/cuslim/team-app:1" "${auth[@]}" --digestfile "$tmp/k8s.digest" > /dev/null 2> "$tmp/k8s.err"; rc=$?
check "build SPEC -o docker://...:1 --digestfile (the Kubernetes push job's shape): pushed as :1 ($rc: $(cat "$tmp/k8s.err"))" \
  '[ $rc = 0 ] && [ "$(skopeo inspect --cert-dir "$certs" --creds "tester:s3cret:pw" --format "{{.Digest}}" "docker://$reg/cuslim/team-app:1")" = "$(cat "$tmp/k8s.digest")" ]'
printf 'name: b\ntag: b\ntargets: [/bin/true]\nout: docker://%s/cuslim/spec:1\n' "$reg" > "$tmp/tag-spec.yaml"
"$cuslim" build -q "$tmp/tag-spec.yaml" "${auth[@]}" > /dev/null 2> "$tmp/spectag.err"; rc=$?
check "build: out docker://...:1 against the spec's tag: b: the spec's error at its tag: (exit 3), not --tag ($rc: $(cat "$tmp/spectag.err"))" \
  '[ $rc = 3 ] && grep -q "tag-spec.yaml:2:6: tag: .b., and the spec.s out: docker://.* names the tag .1." "$tmp/spectag.err" && ! grep -q -- "--tag says" "$tmp/spectag.err"'
"$cuslim" bundle -q /bin/true -o "docker://$reg/cuslim/tagged" --tag t5 "${auth[@]}" > /dev/null 2> "$tmp/t5.err"; rc=$?
check "-o docker://HOST/REPO --tag T pushes REPO:T ($rc: $(cat "$tmp/t5.err"))" \
  '[ $rc = 0 ] && skopeo inspect --cert-dir "$certs" --creds "tester:s3cret:pw" "docker://$reg/cuslim/tagged:t5" >/dev/null'

# --- a tag option with a docker:// input names the tag the reference left out, agrees with one it
# spells and never goes with a digest; a push names a tag or a digest, not both
"$cuslim" verify "docker://$reg/cuslim/tagged" --tag t5 "${auth[@]}" > /dev/null 2> "$tmp/tagopt.err"; rc=$?
check "verify docker://HOST/REPO --tag T pulls REPO:T ($rc: $(cat "$tmp/tagopt.err"))" '[ $rc = 0 ]'
if command -v script > /dev/null; then  # on a TTY: the pull, then the unpacking of what was pulled
  script -qec "$(printf '%q ' "$cuslim" verify "docker://$reg/cuslim/tagged:t5" "${auth[@]}")" "$tmp/pulltty.out" > /dev/null 2>&1; rc=$?
  check "verify docker:// on a TTY shows pulling, then unpacking with bytes and share ($rc)" \
    '[ $rc = 0 ] && grep -aq "pulling" "$tmp/pulltty.out" && grep -aq "unpacking [0-9.]* [kMG]\?B / [0-9.]* [kMG]\?B ([0-9]*%)" "$tmp/pulltty.out"' || tr "\r" "\n" < "$tmp/pulltty.out" | tail -5
fi
"$cuslim" slim -q "docker://$reg/cuslim/tagged" --from-tag t5 -o "$tmp/fromtag" "${auth[@]}" 2> "$tmp/fromtag.err"; rc=$?
check "slim docker://HOST/REPO --from-tag T pulls REPO:T ($rc: $(cat "$tmp/fromtag.err"))" '[ $rc = 0 ] && [ -f "$tmp/fromtag/index.json" ]'
"$cuslim" verify "docker://$reg/cuslim/tagged:t5" --tag other "${auth[@]}" > /dev/null 2> "$tmp/tagopt2.err"; rc=$?
check "verify docker://...:t5 --tag other: usage error naming both ($rc: $(cat "$tmp/tagopt2.err"))" '[ $rc = 2 ] && grep -q "t5" "$tmp/tagopt2.err" && grep -q "other" "$tmp/tagopt2.err"'
"$cuslim" verify "docker://$reg/cuslim/ssh@$d1" --tag other "${auth[@]}" > /dev/null 2> "$tmp/tagopt3.err"; rc=$?
check "verify docker://...@DIGEST --tag T: usage error ($rc: $(cat "$tmp/tagopt3.err"))" '[ $rc = 2 ]'
"$cuslim" bundle -q /bin/true -o "docker://$reg/cuslim/both:1@$d1" "${auth[@]}" > /dev/null 2> "$tmp/both.err"; rc=$?
check "-o docker://REPO:TAG@DIGEST: usage error, nothing pushed ($rc: $(cat "$tmp/both.err"))" \
  '[ $rc = 2 ] && ! skopeo inspect --cert-dir "$certs" --creds "tester:s3cret:pw" "docker://$reg/cuslim/both:1" >/dev/null 2>&1'
"$cuslim" report "docker://$reg/cuslim/tagged:t5" "${auth[@]}" --json > "$tmp/rep.json" 2> "$tmp/rep.err"; rc=$?
check "report docker:// takes the registry flags ($rc: $(cat "$tmp/rep.err"))" '[ $rc = 0 ] && python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$tmp/rep.json"'
"$cuslim" bundle -q /bin/true -o "$tmp/same-oci" --report "$tmp/same.json" --digestfile "$tmp/same.json" 2> "$tmp/same.err"; rc=$?
check "--report and --digestfile naming one file: usage error before any work ($rc: $(cat "$tmp/same.err"))" \
  '[ $rc = 2 ] && [ ! -e "$tmp/same-oci" ] && [ ! -e "$tmp/same.json" ] && grep -q "name the same file" "$tmp/same.err"'
"$cuslim" verify "$tmp/fromtag" --report "$tmp/same2.json" --junit "$tmp/same2.json" > /dev/null 2> "$tmp/same2.err"; rc=$?
check "verify --report and --junit naming one file: usage error ($rc: $(cat "$tmp/same2.err"))" '[ $rc = 2 ] && [ ! -e "$tmp/same2.json" ]'

# --- --json with a push: stdout is one JSON document holding what was pushed; the line goes to stderr
"$cuslim" bundle /bin/true -o "docker://$reg/cuslim/json:1" "${auth[@]}" --json > "$tmp/pj.out" 2> "$tmp/pj.err"; rc=$?
check "bundle --json -o docker://: stdout parses as JSON with pushed.digest = the registry's (exit $rc)" '[ $rc = 0 ] && python3 - "$tmp/pj.out" "$(digest_of "$reg/cuslim/json:1")" <<PY
import json, sys
j = json.load(open(sys.argv[1]))
assert j["pushed"]["digest"] == sys.argv[2] and j["pushed"]["reference"].endswith("@" + sys.argv[2]), (j.get("pushed"), sys.argv[2])
PY'
check "... and the pushed line is on stderr" 'grep -q "^pushed docker://$reg/cuslim/json@sha256:" "$tmp/pj.err"'
"$cuslim" slim "docker://$reg/cuslim/json:1" -o "docker://$reg/cuslim/json:slim" "${auth[@]}" --json > "$tmp/psj.out" 2> "$tmp/psj.err"; rc=$?
check "slim --json -o docker://: stdout is one JSON document with pushed (exit $rc)" \
  '[ $rc = 0 ] && python3 -c "import json,sys; assert json.load(open(sys.argv[1]))[\"pushed\"][\"digest\"].startswith(\"sha256:\")" "$tmp/psj.out"'

# --- plain HTTP is never spoken: an http:// token realm and a redirect to http:// are refused, and
# the plain-HTTP listener behind them hears nothing (no credentials, no request)
lport=$(free_port); hport=$(free_port)
python3 "$here/registry_http_lure.py" --port "$lport" --plain-port "$hport" --cert "$tmp/server.crt" --key "$tmp/server.key" \
  --log "$tmp/plain-heard.log" > "$tmp/lure.out" 2>&1 & pids+=($!)
for _ in $(seq 100); do curl -s --cacert "$certs/ca.crt" -o /dev/null "https://127.0.0.1:$lport/v2/" && break; sleep 0.1; done
"$cuslim" verify "docker://127.0.0.1:$lport/cuslim/bearer:1" --creds tester:lured --cert-dir "$certs" > /dev/null 2> "$tmp/lure1.err"; rc=$?
check "an http:// token realm: exit 4 naming it ($rc: $(cat "$tmp/lure1.err"))" '[ $rc = 4 ] && grep -q "is not an https:// URL" "$tmp/lure1.err"'
"$cuslim" verify "docker://127.0.0.1:$lport/redirect/app:1" --creds tester:lured --cert-dir "$certs" > /dev/null 2> "$tmp/lure2.err"; rc=$?
check "a redirect to http://: exit 4, refused ($rc: $(cat "$tmp/lure2.err"))" '[ $rc = 4 ] && grep -q "HTTPS only" "$tmp/lure2.err"'
check "... the plain-HTTP listener heard nothing: $(head -c 300 "$tmp/plain-heard.log")" '[ -f "$tmp/plain-heard.log" ] && [ ! -s "$tmp/plain-heard.log" ]'

# --- Bearer: a token server in Python; the registry checks the token it signed -------------------------
"$here/registry_token_server.py" --selftest >/dev/null 2>&1 || { echo "skip-part: token flow (python3-cryptography missing)"; finish; exit; }
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=cuslim-token -keyout "$tmp/token.key" -out "$tmp/token.crt" 2>/dev/null
start_token_registry() {  # NAME REGISTRY-PORT [token server options]: a token server, then the registry that trusts it
  local name=$1 port=$2 tport; shift 2; tport=$(free_port)
  python3 "$here/registry_token_server.py" --port "$tport" --key "$tmp/token.key" --cert "$tmp/token.crt" --user tester --password 's3cret:pw' \
    --tls-cert "$tmp/server.crt" --tls-key "$tmp/server.key" "$@" > "$tmp/$name-token.log" 2>&1 & pids+=($!)
  # It imports cryptography first: on a loaded machine that takes seconds. Listening before any use.
  for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$tport") 2>/dev/null && break; sleep 0.1; done
  (exec 3<>"/dev/tcp/127.0.0.1/$tport") 2>/dev/null || { echo "token server: $(tail -1 "$tmp/$name-token.log")"; return 1; }
  start_registry "$name" "$port" "auth:
  token:
    realm: https://127.0.0.1:$tport/token
    service: cuslim-test
    issuer: cuslim-test-issuer
    rootcertbundle: $tmp/token.crt"
}
bport=$(free_port); breg="127.0.0.1:$bport"
must "token server and token registry start" start_token_registry bearer "$bport"
"$cuslim" bundle -q /usr/bin/ssh -o "docker://$breg/cuslim/ssh:tok" "${auth[@]}" --digestfile "$tmp/tok.digest" > /dev/null 2> "$tmp/tok.err"; rc=$?
check "Bearer flow: push through a token from the realm (exit $rc: $(cat "$tmp/tok.err"))" '[ $rc = 0 ]'
check "the token server was asked for push scope" 'grep -q "scope=repository%3Acuslim%2Fssh%3Apull%2Cpush" "$tmp/bearer-token.log"'
"$cuslim" verify "docker://$breg/cuslim/ssh:tok" "${auth[@]}" > /dev/null 2>&1; rc=$?
check "Bearer flow: pull back and verify" '[ $rc = 0 ]'
"$cuslim" verify "docker://$breg/cuslim/ssh:tok" --creds tester:nope --cert-dir "$certs" > /dev/null 2> "$tmp/tokbad.err"; rc=$?
check "Bearer flow, bad credentials: exit 4 from the token server ($(cat "$tmp/tokbad.err"))" '[ $rc = 4 ] && grep -q "token from" "$tmp/tokbad.err"'
"$cuslim" bundle -q /usr/bin/ssh-keygen --base "docker://$breg/cuslim/ssh:tok" -o "docker://$breg/cuslim/keygen:tok" "${auth[@]}" \
  > "$tmp/tokmount.out" 2> "$tmp/tokmount.err"; rc=$?
check "Bearer flow, --base from another repository: pushed, the base layers mounted (exit $rc: $(cat "$tmp/tokmount.err"))" \
  '[ $rc = 0 ] && grep -q "blobs, [0-9]* bytes mounted" "$tmp/tokmount.out" && ! grep -q " 0 blobs, 0 bytes mounted" "$tmp/tokmount.out"'
check "... the token asked for the source repository too (scope repository:cuslim/ssh:pull)" \
  'grep -q "scope=repository%3Acuslim%2Fkeygen%3Apull%2Cpush&scope=repository%3Acuslim%2Fssh%3Apull" "$tmp/bearer-token.log"'
# Two registries in one command: the Basic one ($reg) as the destination, the token one as the source.
# The token server logs the user of every Basic header it gets: the destination's never reaches it.
"$cuslim" bundle -q /usr/bin/ssh-keygen --base "docker://$breg/cuslim/ssh:tok" -o "docker://$reg/cuslim/crossed:tok" \
  --src-creds 'tester:s3cret:pw' --dest-creds 'intruder:not-for-the-source' --cert-dir "$certs" > /dev/null 2> "$tmp/crosstok.err"; rc=$?
check "--src-creds to the source's token server, --dest-creds to the destination only: exit 4 from the destination ($rc: $(cat "$tmp/crosstok.err"))" \
  '[ $rc = 4 ] && grep -q "credentials from --dest-creds refused" "$tmp/crosstok.err" && grep -q "^cuslim: docker://$reg/cuslim/crossed:tok: push" "$tmp/crosstok.err"'
check "... the source's token server got the source's credentials and never the destination's" \
  'grep -q "basic-user=tester" "$tmp/bearer-token.log" && ! grep -q "intruder" "$tmp/bearer-token.log"'
"$cuslim" bundle -q /usr/bin/ssh-keygen --base "docker://$breg/cuslim/ssh:tok" -o "docker://$reg/cuslim/crossed:tok" \
  --src-creds 'tester:s3cret:pw' --dest-creds 'tester:s3cret:pw' --cert-dir "$certs" > /dev/null 2> "$tmp/crosstok2.err"; rc=$?
check "--src-creds and --dest-creds, each right: pushed ($rc: $(cat "$tmp/crosstok2.err"))" '[ $rc = 0 ] && [ -n "$(digest_of "$reg/cuslim/crossed:tok")" ]'
# A token realm nobody listens on: the error names the reference and the step.
dport=$(free_port); deadport=$(free_port)
start_registry deadrealm "$dport" "auth:
  token:
    realm: https://127.0.0.1:$deadport/token
    service: cuslim-test
    issuer: cuslim-test-issuer
    rootcertbundle: $tmp/token.crt"
"$cuslim" verify "docker://127.0.0.1:$dport/cuslim/x:1" "${auth[@]}" > /dev/null 2> "$tmp/deadrealm.err"; rc=$?
check "a token realm that cannot be reached: exit 4, 'cuslim: docker://...: token from https://...: why' ($rc: $(cat "$tmp/deadrealm.err"))" \
  '[ $rc = 4 ] && grep -q "^cuslim: docker://127.0.0.1:$dport/cuslim/x:1: token from https://127.0.0.1:$deadport/token: ." "$tmp/deadrealm.err" \
   && [ $(grep -o "127.0.0.1:$deadport/token" "$tmp/deadrealm.err" | wc -l) = 1 ]'
# A token server that grants nothing on other repositories: the mount is declined, a plain upload follows.
bport2=$(free_port); breg2="127.0.0.1:$bport2"
must "second token server (--first-scope-only) and registry start" start_token_registry bearer2 "$bport2" --first-scope-only
"$cuslim" bundle -q /usr/bin/ssh -o "docker://$breg2/cuslim/ssh:tok" "${auth[@]}" > /dev/null 2>&1
"$cuslim" bundle -q /usr/bin/ssh-keygen --base "docker://$breg2/cuslim/ssh:tok" -o "docker://$breg2/cuslim/keygen:tok" "${auth[@]}" \
  > "$tmp/tokplain.out" 2> "$tmp/tokplain.err"; rc=$?
check "Bearer flow, a token server that grants no pull on the base repository: the mount is declined, plain uploads (exit $rc: $(cat "$tmp/tokplain.err"))" \
  '[ $rc = 0 ] && grep -q " 0 blobs, 0 bytes mounted" "$tmp/tokplain.out"'
# A token server under load (503, Retry-After: 1, twice): the token request is retried as registry
# requests are, and the push goes through.
bport3=$(free_port)
must "third token server (--busy-first 2) and registry start" start_token_registry bearer3 "$bport3" --busy-first 2
"$cuslim" bundle -q /bin/true -o "docker://127.0.0.1:$bport3/cuslim/busy:1" "${auth[@]}" > /dev/null 2> "$tmp/tokbusy.err"; rc=$?
check "a token server answering 503 twice: retried, then pushed (exit $rc: $(cat "$tmp/tokbusy.err"))" \
  '[ $rc = 0 ] && [ $(grep -c "\" 503 " "$tmp/bearer3-token.log") = 2 ] && [ $(grep -c "\" 200 " "$tmp/bearer3-token.log") -ge 1 ]'
# Identity tokens (OAuth2 refresh tokens: what `docker login` keeps for registries such as ACR):
# from auths' `identitytoken` and from a helper's "<token>" user, the realm is asked with a POST
# refresh_token grant, never with a Basic header; a wrong one is the token server's 401.
bport4=$(free_port); breg4="127.0.0.1:$bport4"
must "fourth token server (--refresh-token) and registry start" start_token_registry bearer4 "$bport4" --refresh-token 'rt-1/x+y='
mkdir -p "$tmp/idcfg" "$tmp/idbadcfg" "$tmp/idhelpcfg"
printf '{"auths":{"%s":{"auth":"%s","identitytoken":"rt-1/x+y="}}}\n' "$breg4" "$(printf '00000000-0000-0000-0000-000000000000:' | base64)" > "$tmp/idcfg/config.json"
DOCKER_CONFIG="$tmp/idcfg" "$cuslim" bundle -q /bin/true -o "docker://$breg4/cuslim/oauth:1" --cert-dir "$certs" > /dev/null 2> "$tmp/idtok.err"; rc=$?
check "auths identitytoken: pushed through an access token from a refresh_token grant (exit $rc: $(cat "$tmp/idtok.err"))" \
  '[ $rc = 0 ] && grep -q "grant=refresh_token client_id=cuslim scope=repository:cuslim/oauth:pull,push" "$tmp/bearer4-token.log" && ! grep -q "basic-user=" "$tmp/bearer4-token.log"'
printf '#!/bin/sh\nread s\necho "{\\"Username\\":\\"<token>\\",\\"Secret\\":\\"rt-1/x+y=\\"}"\n' > "$tmp/bin/docker-credential-oauthtest"
chmod +x "$tmp/bin/docker-credential-oauthtest"
printf '{"credHelpers":{"%s":"oauthtest"}}\n' "$breg4" > "$tmp/idhelpcfg/config.json"
PATH="$tmp/bin:$PATH" DOCKER_CONFIG="$tmp/idhelpcfg" "$cuslim" verify "docker://$breg4/cuslim/oauth:1" --cert-dir "$certs" > /dev/null 2> "$tmp/idhelp.err"; rc=$?
check "a helper's <token> identity token pulls the image back (exit $rc: $(cat "$tmp/idhelp.err"))" \
  '[ $rc = 0 ] && [ $(grep -c "grant=refresh_token" "$tmp/bearer4-token.log") -ge 2 ]'
printf '{"auths":{"%s":{"identitytoken":"expired"}}}\n' "$breg4" > "$tmp/idbadcfg/config.json"
DOCKER_CONFIG="$tmp/idbadcfg" "$cuslim" verify "docker://$breg4/cuslim/oauth:1" --cert-dir "$certs" > /dev/null 2> "$tmp/idbad.err"; rc=$?
check "a refused identity token: exit 4, the token server's 401 naming the config ($rc: $(cat "$tmp/idbad.err"))" \
  '[ $rc = 4 ] && grep -q "token from https://.*401" "$tmp/idbad.err" && grep -q "credentials from $tmp/idbadcfg/config.json refused" "$tmp/idbad.err"'
printf '{"auths":{"%s":{"identitytoken":"rt-1/x+y="}}}\n' "$reg" > "$tmp/idbadcfg/config.json"
DOCKER_CONFIG="$tmp/idbadcfg" "$cuslim" verify "docker://$reg/cuslim/keygen:1" --cert-dir "$certs" > /dev/null 2> "$tmp/idbasic.err"; rc=$?
check "an identity token for a Basic registry: exit 4 saying so ($rc: $(cat "$tmp/idbasic.err"))" \
  '[ $rc = 4 ] && grep -q "holds an identity token (OAuth), which only a Bearer token realm takes" "$tmp/idbasic.err"'
finish
