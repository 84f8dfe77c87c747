#!/usr/bin/env bash
# Mixed precision from the command line: --precision and the spec's "precision" reach the backend, the banner says
# what runs in bfloat16, a checkpoint trained in one precision resumes in another with a note, saved models keep it,
# and every wrong precision is refused naming where it came from. Cases that need bfloat16 hardware are skipped
# (and say so) on a CPU without it; the refusal is checked on any CPU by capping oneDNN below bfloat16.
set -u
nnplug=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
here=$(cd "$(dirname "$0")" && pwd)
source "$here/cli_checks.sh"

cat > "$work/blobs.json" <<JSON
{"seed": 5, "data": {"format": "gaussian_blobs", "samples": 600, "features": 16, "centers": 3, "test_split": 0.2},
 "layers": [{"type": "dense", "units": 32, "activation": "relu"}, {"type": "dense", "units": 3}],
 "loss": "softmax_cross_entropy", "optimizer": {"type": "adam", "lr": 0.01},
 "training": {"epochs": 2, "batch_size": 32},
 "callbacks": [{"type": "checkpoint", "path": "$work/ckpt.safetensors"}]}
JSON

# Refused everywhere, before anything trains.
out=$("$nnplug" train "$work/blobs.json" --precision bf16 2>&1)
expect_exit "an unknown --precision" nonzero $?
check "an unknown --precision lists the choices" "--precision: bf16 not in {float32,bfloat16}" "$out"
out=$("$nnplug" train "$work/blobs.json" --set 'precision="half"' 2>&1)
expect_exit "an unknown spec precision" 1 $?
check "an unknown spec precision names the spec and the field" "blobs.json: parameter 'precision' must be \"float32\" or \"bfloat16\", got \"half\"" "$out"
out=$("$nnplug" train "$work/blobs.json" --precision float32 --backend '{"type": "cpu", "precision": "bfloat16"}' 2>&1)
expect_exit "two precisions" 1 $?
check "two precisions name both" "--backend: \"precision\" is \"bfloat16\", but the run's precision is \"float32\"" "$out"
out=$(ONEDNN_MAX_CPU_ISA=AVX512_CORE "$nnplug" train "$work/blobs.json" --precision bfloat16 2>&1)
expect_exit "bfloat16 on a CPU without it" 1 $?
check "bfloat16 on a CPU without it says why and what to do" "the CPU has no bfloat16 support" "$out"
check "bfloat16 on a CPU without it says what to do" "--precision float32 runs without it" "$out"

out=$("$nnplug" train "$work/blobs.json" --precision bfloat16 --no-progress --save "$work/mixed.safetensors" 2>&1)
rc=$?
if [[ "$out" == *"the CPU has no bfloat16 support"* ]]; then
  echo "skipped: the cases that train in bfloat16 (this CPU has no bfloat16)"
else
  expect_exit "train in bfloat16" 0 $rc
  check "the banner says what runs in bfloat16" "precision: bfloat16 mixed (matrix products and convolutions read bfloat16 inputs" "$out"
  check "the backend says it" "bfloat16 matrix products and convolutions" "$out"
  cp "$work/ckpt.safetensors" "$work/bfloat16.ckpt.safetensors"  # resumed runs write ckpt.safetensors again
  out=$("$nnplug" train "$work/blobs.json" --resume "$work/bfloat16.ckpt.safetensors" --epochs 3 --no-progress 2>&1)
  expect_exit "a bfloat16 checkpoint resumes in float32" 0 $?
  check "resuming in another precision says so" "note: the checkpoint was trained in bfloat16 precision and this run goes on in float32" "$out"
  out=$("$nnplug" train "$work/blobs.json" --resume "$work/bfloat16.ckpt.safetensors" --epochs 3 --set 'dtype="float64"' --no-progress 2>&1)
  expect_exit "a bfloat16 checkpoint resumes in float64" 0 $?
  check "a float64 run says so" "precision: float64" "$out"
  check "a float64 run resumed from bfloat16 says so" "epoch 3/3" "$out"
  out=$("$nnplug" evaluate "$work/mixed.safetensors" 2>&1)
  expect_exit "evaluate a model saved in bfloat16" 0 $?
  out=$(ONEDNN_MAX_CPU_ISA=AVX512_CORE "$nnplug" evaluate "$work/mixed.safetensors" 2>&1)
  expect_exit "the saved precision is unusable here" 1 $?
  check "the saved precision's refusal says what to do" "--precision float32 runs without it" "$out"
  out=$(ONEDNN_MAX_CPU_ISA=AVX512_CORE "$nnplug" evaluate "$work/mixed.safetensors" --precision float32 2>&1)
  expect_exit "evaluate with --precision float32 where bfloat16 is unusable" 0 $?
fi

finish
