#!/usr/bin/env bash
# Semantic segmentation from the command line: examples/fashion_segmentation's data script labels every pixel of
# Fashion-MNIST images (background, or the garment's class), its U-Net trains on 1,000 of them (3 epochs at a rate of
# 3e-3) with a label per pixel, and evaluate scores each pixel of the test images as a step, with the per-class IoU
# whose macro average is the mean IoU; the model finds the background better than calling every pixel background would.
# Usage: cli_segmentation.sh NNPLUG PYTHON (a Python with numpy).
set -u
nnplug=$1
python=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
source "$here/cli_checks.sh"
example="$here/../examples/fashion_segmentation"

"$python" "$example/make_data.py" /usr/share/datasets/fashion-mnist "$work/data" 1000 200 > /dev/null
expect_exit "the example's data script" 0 $?
cp "$example/fashion_unet.json" "$work/"
# What calling every pixel background scores: the background's IoU is then its share of the test pixels.
baseline=$("$python" -c "import numpy as np; y = np.load('$work/data/y_test.npy'); print(f'{np.mean(y == 0):.4f}', y.shape)")
check "a label per pixel" "(200, 784)" "$baseline"

out=$("$nnplug" train "$work/fashion_unet.json" --epochs 3 --set optimizer.lr=0.003 --no-progress --save "$work/model.safetensors" 2>&1)
expect_exit "train the U-Net" 0 $?
out=$("$nnplug" evaluate "$work/model.safetensors" 2>&1)
expect_exit "evaluate" 0 $?
check "every pixel of the 200 test images is a step" "(156800 steps of 200 samples)" "$out"
check "the table has an IoU column" "specificity       iou   roc_auc" "$out"
check "the mean IoU is the macro row's" "macro" "$out"
iou=$(awk '$1 == "background" && NF == 9 { print $6 }' <<<"$out")
share=${baseline%% *}
check "the background's IoU ($iou) beats calling every pixel background ($share)" yes \
  "$(awk -v a="$iou" -v b="$share" 'BEGIN { print (a > b + 0.1) ? "yes" : "no" }')"
finish
