#!/usr/bin/env bash
# nnplug search's tables: fewer trials than "top" ranks the trials there are, and a range where every trial
# diverges says so and keeps the ranges (there is nothing to narrow them to). A spec that no trial can run is an
# error of the search, not trials that "diverged".
set -u
nnplug=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
source "$here/cli_checks.sh"
has() { [[ "$2" == *"$1"* ]] && echo yes || echo no; }  # has FRAGMENT TEXT

cat > "$work/spec.json" <<'SPEC'
{
  "seed": 3,
  "data": {"format": "gaussian_blobs", "samples": 200, "centers": 3, "features": 8, "validation_split": 0.2},
  "layers": [{"type": "dense", "units": 8, "activation": "relu"}, {"type": "dense", "units": 3}],
  "loss": "softmax_cross_entropy",
  "optimizer": {"type": "sgd", "lr": 0.01},
  "training": {"epochs": 2, "batch_size": 32},
  "search": {"trials": 3, "epochs": 1, "top": 5, "parameters": {"optimizer.lr": "log:1e-3:1e-1"}}
}
SPEC
out=$("$nnplug" search "$work/spec.json" 2>&1)
expect_exit "search" 0 $?
check "three trials of a top five" "round 1: the best 3 trials" "$out"
check "three ranked rows" "rows: 3" "rows: $(grep -Ec '^ +[0-9]+ +[0-9.]+ +[0-9.]+ +[0-9.]+  optimizer.lr' <<<"$out")"
check "narrowed" "narrowed ranges for a further search:" "$out"

# A learning rate of 1e4 to 1e5 makes the loss overflow in the first epoch.
out=$("$nnplug" search "$work/spec.json" --set 'search.parameters={"optimizer.lr": "log:1e4:1e5"}' 2>&1)
expect_exit "search of diverging rates" 0 $?
check "three trials diverged, each saying where" "diverged: 3" "diverged: $(grep -c "diverged: epoch 1[:,]" <<<"$out")"
check "every trial diverged" "round 1: every trial diverged; the ranges stay as they were" "$out"
check "no narrowed ranges" "narrowed: no" "narrowed: $(has "narrowed ranges" "$out")"

# Batch norm after a dense layer with a last batch of one sample (160 training samples in batches of 53).
out=$("$nnplug" search "$work/spec.json" --set training.batch_size=53 \
  --set 'layers=[{"type": "dense", "units": 8}, {"type": "batch_norm"}, {"type": "dense", "units": 3}]' 2>&1)
expect_exit "search of a spec no trial can run" 1 $?
check "the reason" "layers[1] (batch_norm) cannot normalise a batch of 1 sample in training" "$out"
check "no trial called diverged" "diverged: no" "diverged: $(has diverged "$out")"

finish
