#!/usr/bin/env bash
# The nnplug command end to end: the demo spec on a slice of Fashion-MNIST, the backend picked by name, and the
# plugin listing. Checks the exit status and the lines a user reads.
set -u
nnplug=$1
spec=$2
failures=0
check() {  # check "description" "expected fragment" "output"
  if [[ "$3" != *"$2"* ]]; then
    echo "FAIL: $1: expected '$2' in:"
    echo "$3"
    failures=$((failures + 1))
  else
    echo "ok: $1"
  fi
}

out=$("$nnplug" train "$spec" --backend cpu --epochs 1 --limit-train 3000 --no-progress 2>&1)
rc=$?
[ "$rc" -eq 0 ] || { echo "FAIL: train exited $rc"; failures=$((failures + 1)); }
check "backend chosen by name" "backend: cpu (cpu " "$out"
check "summary" "total parameters: 235146 (trainable 235146, non-trainable 0)" "$out"
check "epoch line with validation" "epoch 1/1  loss " "$out"
check "validation scores" "val_accuracy " "$out"
check "test score" "test: loss " "$out"

# Threads as PyTorch takes them: OMP_NUM_THREADS, else the cores the process may run on (taskset), unless the
# backend's "threads" says otherwise.
first_line() { "$nnplug" train "$spec" --epochs 1 --limit-train 300 --no-progress "$@" 2>&1 | head -1; }
check "OMP_NUM_THREADS" ", 1 thread)" "$(OMP_NUM_THREADS=1 first_line)"
check "the cores taskset allows" ", 1 thread)" "$(unset OMP_NUM_THREADS; taskset -cp 0 $BASHPID > /dev/null; first_line)"  # this subshell on one core
check "the backend's threads first" ", 3 threads)" "$(OMP_NUM_THREADS=1 first_line --backend '{"type": "cpu", "threads": 3}')"

# Gradient accumulation: the banner says how many samples an update is of; a count below 1 is refused.
out=$("$nnplug" train "$spec" --epochs 1 --limit-train 300 --no-progress --batch-size 16 --set training.gradient_accumulation_steps=4 2>&1)
check "gradient accumulation" "gradient accumulation: an optimizer step every 4 batches of 16, of the mean loss over their 64 samples" "$out"
out=$("$nnplug" train "$spec" --epochs 1 --limit-train 300 --no-progress --set training.gradient_accumulation_steps=0 2>&1)
rc=$?
[ "$rc" -eq 1 ] || { echo "FAIL: a count of 0 exited $rc"; failures=$((failures + 1)); }
check "no accumulation of 0 batches" "training: parameter 'gradient_accumulation_steps' must be in [1, 1000000], got 0" "$out"

# A run resumed from a checkpoint that has trained all the epochs asked for says there is nothing to train.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/ckpt.json" <<SPEC
{"seed": 1, "data": {"format": "gaussian_blobs", "samples": 100, "centers": 3, "features": 4},
 "layers": [{"type": "dense", "units": 3}], "loss": "softmax_cross_entropy", "optimizer": "adam",
 "training": {"epochs": 2, "batch_size": 32}, "callbacks": [{"type": "checkpoint", "path": "$work/ckpt-{epoch}.safetensors"}]}
SPEC
"$nnplug" train "$work/ckpt.json" --no-progress > /dev/null 2>&1
out=$("$nnplug" train "$work/ckpt.json" --no-progress --resume "$work/ckpt-2.safetensors" --epochs 1 2>&1)
check "a resumed run with nothing left" "nothing to train: the checkpoint has trained 2 epochs and the run asks for 1 (raise --epochs to go on)" "$out"

out=$("$nnplug" plugins 2>&1)
rc=$?
[ "$rc" -eq 0 ] || { echo "FAIL: plugins exited $rc"; failures=$((failures + 1)); }
for entry in "backend cpu" "layer dense" "activation relu" "loss softmax_cross_entropy" "initializer he_normal" "optimizer adam" \
             "gradient_transform clip_norm"; do
  grep -Eq "^${entry% *} +${entry#* } +0\.1\.0 +/" <<<"$out" && echo "ok: plugins lists '$entry'" ||
    { echo "FAIL: plugins lists '$entry', in columns, in:"; echo "$out"; failures=$((failures + 1)); }
done

echo "$failures failed"
[ "$failures" -eq 0 ]
