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
  local what=$1; shift
  if "$@"; then return 0; fi
  echo "FAIL $what (exit $?): $*"
  fails=$((fails + 1))
  return 1
}
finish() {
  echo "$fails failed"
  [ "$fails" = 0 ]
}
