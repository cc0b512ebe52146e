# shellcheck shell=bash
# One check helper for the integration scripts. Every check can fail:
#   check "what" 'condition'   evaluates the condition; counts and prints a failure; returns 1 on it
#   must "what" CMD...         a step that has to succeed (a failing step is a failed check)
#   finish                     prints the count; the script's status is 0 only with no failure
fails=0
check() {
  if eval "$2"; then echo "ok   $1"; return 0; fi
  echo "FAIL $1"
  fails=$((fails + 1))
  return 1
}
must() {
  local what=$1 rc; shift
  "$@"; rc=$?
  [ $rc = 0 ] && return 0
  echo "FAIL $what (exit $rc): $*"
  fails=$((fails + 1))
  return 1
}
finish() {
  echo "$fails failed"
  [ "$fails" = 0 ]
}

# cuda_programs DIR NAME...: DIR/cu-NAME for each NAME, a program on the toolkit's libcudart that
# prints NAME and the runtime version. Returns 1 (building nothing) without a CUDA toolkit.
cuda_programs() {
  local dir=$1 name; shift
  [ -e /usr/local/cuda/lib64/libcudart.so ] && [ -e /usr/local/cuda/include/cuda_runtime_api.h ] || return 1
  for name in "$@"; do
    printf '#include <cuda_runtime_api.h>\n#include <stdio.h>\nint main(void){int v=0;cudaRuntimeGetVersion(&v);printf("%s %%d\\n",v);return 0;}\n' "$name" > "$dir/cu-$name.c"
    cc -o "$dir/cu-$name" "$dir/cu-$name.c" -I/usr/local/cuda/include -L/usr/local/cuda/lib64 -lcudart -Wl,-rpath,/usr/local/cuda/lib64 || return 1
  done
}

# delete_inside ROOT PATTERN...: removes what PATTERN (a glob relative to ROOT, '*' may cross '/')
# names inside the tree ROOT, never through a symlink: a bundle dir holds the image's absolute links
# (usr/local/cuda -> /usr/local/cuda-13.0), and `rm ROOT/usr/local/cuda/lib64/x` removes the host's x.
delete_inside() {
  local root=$1 pat; shift
  for pat in "$@"; do find "$root" -path "$root/$pat" -prune -exec rm -rf {} + ; done
}
