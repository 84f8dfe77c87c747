# Sourced by the command-line tests: check "description" "expected fragment" "output" counts a failure when the
# fragment is missing, expect_exit "description" WANT STATUS when the exit status is not WANT (a number, or
# "nonzero"), and `finish` reports the count and sets the exit status.
failures=0
check() {
  if [[ "$3" != *"$2"* ]]; then
    echo "FAIL: $1: expected '$2' in:"
    echo "$3" | tail -30
    failures=$((failures + 1))
  else
    echo "ok: $1"
  fi
}
expect_exit() {
  if { [ "$2" = nonzero ] && [ "$3" -eq 0 ]; } || { [ "$2" != nonzero ] && [ "$3" -ne "$2" ]; }; then
    echo "FAIL: $1: exit status $3, expected $2"
    failures=$((failures + 1))
  fi
}
finish() {
  echo "$failures failed"
  [ "$failures" -eq 0 ]
}
