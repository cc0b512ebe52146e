#!/usr/bin/env bash
# Rewrites tests/golden/bundle-tar.sha256 after an intended change of the layer format.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cuslim=${1:-$here/../../build/cuslim}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
bash "$here/bundle_fixture.sh" "$cuslim" "$work" > "$here/bundle-tar.sha256"
echo "golden digest: $(cat "$here/bundle-tar.sha256")"
