# Shared by the integration scripts: run an OCI image with the real consumers (umoci + runc).
# shellcheck shell=bash

# run_image LAYOUT TAG [ARGS...]: unpacks LAYOUT:TAG under $tmp with umoci and runs it with runc
# (the image's own args unless ARGS are given), printing what it printed. The environment is
# emptied unless RUN_IMAGE_KEEP_ENV=1 (then the image's Env is used). The unpacked rootfs size
# in bytes is written to $tmp/last.size.
run_image() {
  local layout=$1 tag=$2; shift 2
  local b="$tmp/run-$RANDOM$RANDOM"
  umoci unpack --image "$layout:$tag" "$b" >/dev/null 2>&1 || { echo "umoci unpack failed"; return 1; }
  KEEP_ENV=${RUN_IMAGE_KEEP_ENV:-0} python3 - "$b/config.json" "$@" <<'PY'
import json, os, sys
c = json.load(open(sys.argv[1]))
if len(sys.argv) > 2:
    c["process"]["args"] = sys.argv[2:]
if os.environ["KEEP_ENV"] != "1":
    c["process"]["env"] = []          # no environment at all
c["process"]["terminal"] = False
json.dump(c, open(sys.argv[1], "w"))
PY
  (cd "$b" && timeout 60 runc run "cuslim-$RANDOM$RANDOM" 2>&1)
  du -sb "$b/rootfs" | cut -f1 > "$tmp/last.size"
}
