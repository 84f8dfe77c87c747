#!/usr/bin/env bash
# nnplug gradcheck: a small CNN with batch norm, pooling, dropout and an L2 penalty passes, so does one whose ReLU
# sits on its kink; a model with an activation whose backward pass is twice the true one fails, on the layer before
# it and not on the one after.
set -u
nnplug=$1
broken_plugins=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }
check() {  # check "description" "expected regex" "output"
  if grep -Eq -- "$2" <<<"$3"; then echo "ok: $1"; else fail "$1: expected /$2/ in:"; echo "$3"; fi
}

cat > "$work/cnn.json" <<'SPEC'
{
  "seed": 3,
  "data": {"format": "gaussian_blobs", "samples": 60, "centers": 3, "features": 16, "standardize": "per_feature",
           "sample_shape": [1, 4, 4]},
  "layers": [
    {"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same", "activation": "tanh"},
    {"type": "batch_norm"},
    {"type": "max_pool2d", "pool_size": 2},
    {"type": "dropout", "rate": 0.3},
    {"type": "flatten"},
    {"type": "dense", "units": 3, "weight_regularizer": {"type": "l2", "lambda": 0.1}}
  ],
  "loss": "softmax_cross_entropy",
  "optimizer": "adam",
  "training": {"epochs": 1, "batch_size": 8}
}
SPEC
out=$("$nnplug" gradcheck "$work/cnn.json" --burn-in 3 --batch-size 8 2>&1)
rc=$?
echo "$out"
[ "$rc" -eq 0 ] || fail "gradcheck of a correct model exited $rc"
check "float64" "float64; 3 samples, 10 coordinates per tensor, h = 1e-05" "$out"
check "burn-in" "burn-in: 3 steps of adam" "$out"
check "dropout switched off" "dropout off: layers\[3\] \(dropout\)" "$out"
check "conv weight checked" "layers\[0\] \(conv2d\) +weight +10 .* pass" "$out"
check "batch norm scale checked" "layers\[1\] \(batch_norm\) +weight .* pass" "$out"
check "penalties checked separately" "data loss \+ penalties" "$out"
check "verdict" "gradient check passed" "$out"

# A residual block from the example's block file: the sum of both paths' gradients at the block's input.
cat > "$work/residual.json" <<SPEC
{
  "seed": 3,
  "data": {"format": "gaussian_blobs", "samples": 60, "centers": 3, "features": 32, "sample_shape": [2, 4, 4]},
  "blocks": {"basic": "$(cd "$(dirname "$0")/.." && pwd)/examples/blocks/resnet_basic_block.json"},
  "layers": [
    {"name": "stem", "type": "conv2d", "filters": 4, "kernel_size": 3, "padding": 1, "activation": "tanh"},
    {"name": "layer1", "block": "basic", "filters": 4, "repeat": 2, "stride": 2, "downsample": true, "rest": {"stride": 1, "downsample": false}},
    {"type": "global_avg_pool2d"},
    {"name": "fc", "type": "dense", "units": 3}
  ],
  "loss": "softmax_cross_entropy",
  "optimizer": "adam"
}
SPEC
out=$("$nnplug" gradcheck "$work/residual.json" --batch-size 8 2>&1)
rc=$?
echo "$out"
[ "$rc" -eq 0 ] || fail "gradcheck of a residual network exited $rc"
check "the stem, read by both paths of the first block" "stem \(conv2d\) +weight .* (pass|ok with kinks)" "$out"
check "a projection shortcut" "layer1.0.downsample.0 \(conv2d\) +weight .* (pass|ok with kinks)" "$out"
check "verdict on a graph" "gradient check passed" "$out"

# Images with a blank border, as Fashion-MNIST's: behind a conv's zero initial bias the ReLU's input there is
# exactly 0, a kink at the point itself. Backpropagation gives the slope on one side (the centred difference
# averages both, at every h): the check sets the biases against the one-sided derivatives and passes.
for n in $(seq 0 11); do
  row=""
  for y in 0 1 2 3 4 5; do for x in 0 1 2 3 4 5; do
    if [ $y -ge 2 ] && [ $y -le 3 ] && [ $x -ge 2 ] && [ $x -le 3 ]; then row+="0.$(( (n * 7 + y * 3 + x) % 9 + 1 )),"; else row+="0,"; fi
  done; done
  echo "$row$((n % 3))"  # the label last
done > "$work/bordered.csv"
cat > "$work/bordered.json" <<SPEC
{
  "seed": 3,
  "data": {"format": "csv", "path": "$work/bordered.csv", "sample_shape": [1, 6, 6]},
  "layers": [
    {"type": "conv2d", "filters": 2, "kernel_size": 3, "padding": 1, "activation": "relu"},
    {"type": "max_pool2d", "pool_size": 2},
    {"type": "flatten"},
    {"type": "dense", "units": 3}
  ],
  "loss": "softmax_cross_entropy",
  "optimizer": "adam"
}
SPEC
out=$("$nnplug" gradcheck "$work/bordered.json" 2>&1)
rc=$?
echo "$out"
[ "$rc" -eq 0 ] || fail "gradcheck with a kink at the point exited $rc"
check "the conv bias on a kink" "layers\[0\] \(conv2d\) +bias +2 .* (pass|ok with kinks) \(on a kink at 2 of them: a one-sided derivative\)" "$out"
check "verdict with a kink at the point" "gradient check passed" "$out"

cat > "$work/wrong.json" <<'SPEC'
{
  "seed": 3,
  "data": {"format": "gaussian_blobs", "samples": 60, "centers": 3, "features": 4},
  "layers": [{"type": "dense", "units": 8, "activation": "wrong_gradient"}, {"type": "dense", "units": 3}],
  "loss": "softmax_cross_entropy",
  "optimizer": {"type": "sgd", "lr": 0.1}
}
SPEC
out=$("$nnplug" --plugin-path "$broken_plugins" gradcheck "$work/wrong.json" 2>&1)
rc=$?
echo "$out"
[ "$rc" -eq 1 ] || fail "gradcheck of a wrong gradient exited $rc, expected 1"
check "the layer before the wrong activation" "layers\[0\] \(dense\) +weight .* wrong" "$out"
check "the layer after it" "layers\[1\] \(dense\) +weight .* (pass|ok with kinks)" "$out"
check "failure verdict" "gradient check FAILED" "$out"

echo "$failures failed"
[ "$failures" -eq 0 ]
