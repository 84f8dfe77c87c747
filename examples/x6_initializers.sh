#!/usr/bin/env bash
# X6: one network, three initializers for every layer. Expect std 0.01 not to learn, He to learn fastest.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
nnplug=${NNPLUG:-$here/../build/bin/nnplug}
for init in '{"type":"normal","std":0.01}' '{"type":"variance_scaling","scale":1,"distribution":"normal"}' '"he_normal"'; do
  echo "== weight_init $init"
  sets=()
  for layer in 0 1 2 3 4; do sets+=(--set "layers.$layer.weight_init=$init"); done
  "$nnplug" train "$here/x6_initializers.json" --no-progress "${sets[@]}" | grep -E '^(epoch|test)'
done
