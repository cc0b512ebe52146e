#!/usr/bin/env bash
# Golden-digest test: the fixed fixture must bundle to the recorded sha256 (regenerate.sh).
set -u
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
got=$(bash "$here/bundle_fixture.sh" "$1" "$work") || { echo "FAIL bundling the fixture"; exit 1; }
want=$(cat "$here/bundle-tar.sha256")
tar -tvf "$work/golden.tar"
if [ "$got" = "$want" ]; then echo "ok   golden digest $got"; else echo "FAIL golden digest $got, want $want (tests/golden/regenerate.sh if intended)"; exit 1; fi
