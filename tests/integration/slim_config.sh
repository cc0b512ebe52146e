#!/usr/bin/env bash
# slim keeps the runtime config of its input: ExposedPorts, Volumes and StopSignal (set by umoci
# on a bundled image) survive slim into OCI and docker-archive outputs, as skopeo reads them.
set -u
cuslim=$(readlink -f "$1")
source "$(dirname "$0")/check_lib.sh"
command -v umoci > /dev/null && command -v skopeo > /dev/null || { echo "skip: umoci or skopeo missing"; exit 77; }
tmp=$(mktemp -d /var/tmp/cuslim-config-XXXXXX); trap 'rm -rf "$tmp"' EXIT
must "bundle /bin/true" "$cuslim" bundle -q /bin/true -o "$tmp/img" --tag t
umoci config --image "$tmp/img:t" --config.exposedports 8080/tcp --config.volume /data --config.stopsignal SIGINT > /dev/null 2>&1
check "umoci sets ports, a volume and a stop signal" '[ $? = 0 ]'
must "slim to OCI" "$cuslim" slim -q "$tmp/img:t" -o "$tmp/slim" --tag s
must "slim to docker-archive" "$cuslim" slim -q "$tmp/img:t" -o "$tmp/slim.docker.tar" --tag s:1
for ref in "oci:$tmp/slim:s" "docker-archive:$tmp/slim.docker.tar"; do
  skopeo inspect --config "$ref" > "$tmp/cfg.json" 2> "$tmp/err" || cat "$tmp/err"
  check "$ref keeps ExposedPorts, Volumes and StopSignal" 'python3 - "$tmp/cfg.json" <<PY
import json, sys
c = json.load(open(sys.argv[1]))["config"]
assert list(c.get("ExposedPorts", {})) == ["8080/tcp"], c
assert list(c.get("Volumes", {})) == ["/data"], c
assert c.get("StopSignal") == "SIGINT", c
PY'
done
finish
