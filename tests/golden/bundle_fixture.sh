#!/usr/bin/env bash
# The fixed fixture behind the golden digest: text files with fixed content and modes, bundled
# with --include alone as an uncompressed tar. The digest depends only on cuslim's writer.
# usage: bundle_fixture.sh CUSLIM WORKDIR   -> prints "sha256  tar" of the bundle
set -eu
cuslim=$1; work=$2
mkdir -p "$work/fixture/bin" "$work/fixture/share/doc"
printf '#!/bin/sh\necho golden\n' > "$work/fixture/bin/run"; chmod 0755 "$work/fixture/bin/run"
printf 'cuslim golden fixture\n' > "$work/fixture/share/doc/README"; chmod 0640 "$work/fixture/share/doc/README"
ln -sfn ../share/doc/README "$work/fixture/bin/README"
touch -d '2011-11-11 11:11:11' "$work/fixture/bin/run" "$work/fixture/share/doc/README"
env -u SOURCE_DATE_EPOCH "$cuslim" bundle -q --root "$work" --include /fixture -o "$work/golden.tar" --format tar
sha256sum "$work/golden.tar" | cut -d' ' -f1
