#!/usr/bin/env bash
# examples/embed/demo.cpp or demo.py (the demo as a program), for one epoch: it trains, scores the test set above
# 80 %, saves, loads the file back and predicts the first test image (an ankle boot, class 9).
#   usage: embed_demo.sh COMMAND... (the program and its arguments before the epoch count)
set -u
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
out=$("$@" 1 2>&1)
rc=$?
echo "$out"
[ "$rc" -eq 0 ] || { echo "FAIL: the demo exited $rc"; exit 1; }
[[ "$out" =~ test\ accuracy\ 0\.(8|9) ]] || { echo "FAIL: no test accuracy above 0.8"; exit 1; }
[ -s demo.safetensors ] || { echo "FAIL: no saved model"; exit 1; }
[[ "$out" == *"the first test image is class 9"* ]] || { echo "FAIL: the loaded model's prediction"; exit 1; }
echo "ok"
