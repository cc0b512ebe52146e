#!/usr/bin/env bash
# The examples that can run here: build examples/cublas-app with its CMake project (needs nvcc),
# bundle it and verify it statically; check that the other examples parse.
set -u
cuslim=$(readlink -f "$1"); top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0
check() { if eval "$2"; then echo "ok   $1"; else echo "FAIL $1"; fails=$((fails+1)); fi; }
python3 - "$top" <<'PY' && echo "ok   examples' YAML parses" || { echo "FAIL examples' YAML"; exit 1; }
import sys
try:
    import yaml
except ImportError:
    print("(PyYAML missing: YAML not parsed)")
    sys.exit(0)
for f in ("examples/ci/github-workflow.yml", "examples/kubernetes/verify-job.yaml"):
    yaml.safe_load(open(f"{sys.argv[1]}/{f}"))
PY
nvcc=${CUDACXX:-/usr/local/cuda/bin/nvcc}
if [ ! -x "$nvcc" ]; then echo "skip: no nvcc, examples/cublas-app not built"; echo "$fails failed"; exit $([ $fails = 0 ] && echo 77 || echo 1); fi
cmake -S "$top/examples/cublas-app" -B "$tmp/b" -DCMAKE_CUDA_COMPILER="$nvcc" -DCUSLIM_DIR="$(dirname "$cuslim")" > "$tmp/cmake.log" 2>&1 &&
  cmake --build "$tmp/b" -j2 > "$tmp/build.log" 2>&1; rc=$?
[ $rc = 0 ] || tail -20 "$tmp/build.log"
check "examples/cublas-app builds, bundles and verifies (its CMake image target)" '[ $rc = 0 ] && [ -f "$tmp/b/cublas-app-oci/index.json" ]'
check "the bundle carries libcublasLt and no driver" '"$cuslim" verify --json "$tmp/b/cublas-app-oci" | grep -q "\"ok\": true"'
echo "$fails failed"
[ $fails = 0 ]
