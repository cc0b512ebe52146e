#!/usr/bin/env bash
# The examples that can run here: build examples/cublas-app with its CMake project (needs nvcc),
# bundle it and verify it statically; check that the other examples parse.
set -u
cuslim=$(readlink -f "$1"); top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/check_lib.sh"
# PyYAML is installed by scripts/test (python3-yaml): its absence is a failure, not a pass.
check "examples' YAML parses (PyYAML)" 'python3 - "$top" <<PY
import sys, yaml
for f in ("examples/ci/github-workflow.yml", "examples/kubernetes/verify-job.yaml", "examples/kubernetes/verify-daemonset.yaml",
          "examples/kubernetes/push-job.yaml"):
    doc = yaml.safe_load(open(f"{sys.argv[1]}/{f}"))
    assert isinstance(doc, dict) and doc, f
PY' 
nvcc=${CUDACXX:-/usr/local/cuda/bin/nvcc}
if [ ! -x "$nvcc" ]; then echo "skip: no nvcc, examples/cublas-app not built"; echo "$fails failed"; exit $([ $fails = 0 ] && echo 77 || echo 1); fi
cmake -S "$top/examples/cublas-app" -B "$tmp/b" -DCMAKE_CUDA_COMPILER="$nvcc" -DCUSLIM_DIR="$(dirname "$cuslim")" > "$tmp/cmake.log" 2>&1 &&
  cmake --build "$tmp/b" -j2 > "$tmp/build.log" 2>&1; rc=$?
[ $rc = 0 ] || tail -20 "$tmp/build.log"
check "examples/cublas-app builds, bundles and verifies (its CMake image target)" '[ $rc = 0 ] && [ -f "$tmp/b/cublas-app-oci/index.json" ]'
check "the bundle carries libcublasLt and no driver" '"$cuslim" verify --json "$tmp/b/cublas-app-oci" | grep -q "\"ok\": true"'
finish
