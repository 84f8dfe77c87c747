#!/usr/bin/env bash
# X8: the overfitting network, then the same with weight decay 0.1 (L2, PyTorch's weight_decay), then with
# dropout 0.15 after every hidden layer. Compare the last training accuracy with the test accuracy.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
nnplug=${NNPLUG:-$here/../build/bin/nnplug}
run() { "$nnplug" train "$here/x8_overfitting.json" --no-progress "$@" | grep -E '^(epoch 200|test)'; }
echo "== plain"; run
echo "== weight decay 0.1"; run --set optimizer.weight_decay=0.1
dropout=$(printf '{"type":"dense","units":100,"activation":"relu","weight_init":"he_normal"},{"type":"dropout","rate":0.15},%.0s' 1 2 3 4 5 6)
echo "== dropout 0.15"; run --set "layers=[${dropout}{\"type\":\"dense\",\"units\":10,\"weight_init\":\"he_normal\"}]"
