#!/usr/bin/env bash
# The nnplug command on bad input: exit status 1 (not a crash, which is >= 128) and one clear message.
set -u
nnplug=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0

expect() {  # expect "description" "expected message fragment" args...
  local what=$1 fragment=$2
  shift 2
  local out rc
  out=$("$nnplug" "$@" 2>&1)
  rc=$?
  if [ "$rc" -ne 1 ] || [[ "$out" != *"$fragment"* ]]; then
    echo "FAIL: $what: exit $rc, output: $out"
    failures=$((failures + 1))
  else
    echo "ok: $what"
  fi
}

printf '{\n  "layers": [\n    {"type": "dense" "units": 3}\n  ]\n}\n' >"$dir/bad.json"
expect "invalid JSON" "nnplug: error: $dir/bad.json:3:" train "$dir/bad.json"
expect "missing spec file" "nnplug: error: $dir/none.json: cannot open the spec file" train "$dir/none.json"
cat >"$dir/nodata.json" <<JSON
{"data": {"format": "idx", "train_images": "missing.gz", "train_labels": "missing.gz"},
 "layers": [{"type": "dense", "units": 10}], "loss": "softmax_cross_entropy", "optimizer": {"type": "sgd", "lr": 0.1}}
JSON
expect "missing data file" "nnplug: error: $dir/missing.gz: file not found" train "$dir/nodata.json"
expect "unknown backend" "unknown backend 'tpu'; available: cpu" train "$dir/nodata.json" --backend tpu

echo "$failures failed"
[ "$failures" -eq 0 ]
