#!/usr/bin/env bash
# X7: for each initial weight std in logspace(0, -4, 16), the last training accuracy of the x7 network without
# and with batch norm (dense -> batch_norm -> relu). Expect batch norm ahead at almost every scale, and the plain
# network to learn only where the scale suits it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
nnplug=${NNPLUG:-$here/../build/bin/nnplug}
# The last epoch's training accuracy, or "diverged" when training stopped on a NaN loss.
accuracy() {
  local out
  out=$("$nnplug" train "$here/x7_batch_norm.json" --no-progress "$@" 2>&1 | awk '/^epoch 20\/20/ {print $6}') || true
  echo "${out:-diverged}"
}
bn_layer='{"type":"dense","units":100,"weight_init":INIT},{"type":"batch_norm"},{"type":"relu"}'
printf '%-10s %-12s %s\n' std plain batch_norm
for i in $(seq 0 15); do
  std=$(awk -v i="$i" 'BEGIN { printf "%.3g", 10 ^ (-4 * i / 15) }')
  init="{\"type\":\"normal\",\"std\":$std}"
  sets=()
  for layer in 0 1 2 3 4 5; do sets+=(--set "layers.$layer.weight_init=$init"); done
  layers=$(for _ in 1 2 3 4 5; do printf '%s,' "${bn_layer//INIT/$init}"; done)
  with_bn=$(accuracy --set "layers=[${layers}{\"type\":\"dense\",\"units\":10,\"weight_init\":$init}]")
  printf '%-10s %-12s %s\n' "$std" "$(accuracy "${sets[@]}")" "$with_bn"
done
