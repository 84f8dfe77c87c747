#!/usr/bin/env bash
# nnplug sanity-check: the X1 MLP starts at chance (ln 2) and overfits 20 samples, and with an L2 penalty its loss
# rises with the penalty's strength; the perceptron cannot (XOR is not linearly separable), which fails the check
# with exit status 1 and the likely causes.
set -u
nnplug=$1
examples=$2
here=$(cd "$(dirname "$0")" && pwd)
source "$here/cli_checks.sh"

out=$("$nnplug" sanity-check "$examples/x1_xor_mlp.json" 2>&1)
expect_exit "the X1 MLP" 0 $?
check "the loss at chance is ln 2" "at chance (every parameter 0) 0.6931: as expected" "$out"
check "20 samples overfitted" "overfitting 20 samples, full batch, without regularization" "$out"
check "to every one right" "accuracy 0.5000 -> 1.0000: passed" "$out"
check "no penalty to raise" "regularization: the spec puts no penalty on a parameter" "$out"
out=$("$nnplug" sanity-check "$examples/x1_xor_mlp.json" --set 'layers[0].weight_regularizer={"type": "l2", "lambda": 0.1}' 2>&1)
expect_exit "the X1 MLP with an L2 penalty" 0 $?
check "the loss rises with the penalty's strength" "rises, as it should" "$out"

out=$("$nnplug" sanity-check "$examples/x1_xor_perceptron.json" --max-epochs 300 2>&1)
expect_exit "the perceptron on XOR" 1 $?
check "cannot fit XOR" "300 epochs" "$out"
check "fails" "FAILED" "$out"
check "with the likely causes" "too small a model" "$out"
finish
