# Sourced by the command-line tests: check "description" "expected fragment" "output" counts a failure when the
# fragment is missing, and `finish` reports the count and sets the exit status.
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
finish() {
  echo "$failures failed"
  [ "$failures" -eq 0 ]
}
