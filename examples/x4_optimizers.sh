#!/usr/bin/env bash
# X4: the same network trained by each optimizer at the chapter's defaults. Expect momentum, AdaGrad and Adam to
# reach a lower training loss than plain SGD after the same number of iterations.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
nnplug=${NNPLUG:-$here/../build/bin/nnplug}
for optimizer in '{"type":"sgd","lr":0.01}' '{"type":"sgd","lr":0.01,"momentum":0.9}' '{"type":"adagrad","lr":0.01}' \
                 '{"type":"adam","lr":0.001}'; do
  echo "== optimizer $optimizer"
  "$nnplug" train "$here/x4_optimizers.json" --no-progress --set "optimizer=$optimizer" | grep -E '^(epoch|test)'
done
