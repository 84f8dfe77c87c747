#!/usr/bin/env bash
# Training throughput on the CPU backend of the demo MLP (examples/fashion_mlp.json), the quick CNN
# (examples/fashion_cnn.json), X10 (examples/x10_deep_mlp.json, against the GEMM ceiling), X11
# (examples/x11_cifar_cnn.json, on a fixed subset), the ResNet (examples/fashion_resnet.json), MobileNet
# (examples/fashion_mobilenet.json), the autoencoder (examples/fashion_autoencoder.json), the LSTM
# (examples/fashion_lstm.json), the 1-D CNN (examples/fashion_conv1d.json) and the transformer encoder
# (examples/fashion_transformer.json), each on a fixed subset, and
# PyTorch's for the same models in the same run when Debian's python3-torch is installed. Ratios, not absolute
# figures, are what to compare across machines.
#   usage: [ROUNDS=N] bench/run.sh [BUILD_DIR] [mlp|cnn|x10|x11|resnet|mobilenet|autoencoder|lstm|conv1d|transformer|all]   (ROUNDS: see compare, default 2)
set -euo pipefail
build=${1:-build}
which=${2:-all}
here=$(cd "$(dirname "$0")" && pwd)

have_torch=1
/usr/bin/python3 -c "import torch" 2>/dev/null || have_torch=0
# OPENBLAS_CORETYPE=Cooperlake selects OpenBLAS' AVX-512 kernels where the CPU has AVX-512; elsewhere OpenBLAS'
# own choice stands. Debian's PyTorch calls libblas.so.3: install libopenblas0-pthread, or it runs the reference BLAS.
coretype=${OPENBLAS_CORETYPE:-}
grep -q avx512f /proc/cpuinfo && coretype=Cooperlake

# PyTorch runs on tcmalloc where it is installed (see torch_malloc.sh).
source "$here/torch_malloc.sh"

bfloat16_cpu=0
grep -qE 'avx512_bf16|amx_bf16' /proc/cpuinfo && bfloat16_cpu=1
precisions=(float32)
[ "$bfloat16_cpu" -eq 1 ] && precisions+=(bfloat16)

faster() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }'; }  # faster A B: whether rate A beats rate B
rounds=${ROUNDS:-2}  # see compare

# ours PRECISION and theirs PRECISION BLAS_THREADS TORCH_THREADS: one training run of compare's $model (best epoch
# of its $epochs, on its $limit), samples/s on stdout, its report on stderr. A setting PyTorch cannot train counts
# 0 samples/s (1.13's bfloat16 autocast has no backward of ReLU6 on the CPU: MobileNet).
ours() {
  "$build/bench/train_throughput" "$here/../examples/$spec" --epochs "$epochs" ${limit:+--limit "$limit"} \
    --backend "{\"type\": \"cpu\", \"precision\": \"$1\"}" | tee >(cat >&2) | awk '/^RESULT/ {print $3}'
}
theirs() {
  echo "PyTorch $1 with OPENBLAS_NUM_THREADS=$2, torch threads $3:" >&2
  LD_PRELOAD=$torch_malloc OPENBLAS_NUM_THREADS=$2 OPENBLAS_CORETYPE=$coretype /usr/bin/python3 "$here/torch_throughput.py" \
    "$model" "$epochs" "$3" cpu 128 "${limit:-full}" "$1" | tee >(cat >&2) | awk '/^RESULT/ {print $3}' || echo 0
}

# compare MODEL SPEC EPOCHS [LIMIT]: LIMIT trains both on the first LIMIT training samples.
# nnplug runs in float32 and, where the CPU has bfloat16, in mixed precision; PyTorch in every combination of its
# own thread count and OpenBLAS' (two pools of two threads oversubscribe two cores) and of float32 and bfloat16
# autocast. Every setting of both runs once a round, $rounds rounds, and each side's figure is the best of its
# runs: the speed of a shared virtual machine drifts by up to 2x from minute to minute, and in rounds both sides
# meet the same minutes (docs/performance.md, "Measuring on a drifting machine").
compare() {
  local model=$1 spec=$2 epochs=$3 limit=${4:-} rate precision blas threads round
  # Each side's best rate in float32 and in any setting, with the setting (PyTorch's: precision, OpenBLAS
  # threads, torch threads).
  local ours_float32=0 theirs_float32=0 theirs_float32_setting="" ours_best=0 ours_best_setting="" theirs_best=0 theirs_best_setting=""
  for ((round = 1; round <= rounds; round++)); do
    echo "$model: round $round of $rounds" >&2
    for precision in "${precisions[@]}"; do
      rate=$(ours "$precision")
      if [ "$precision" = float32 ] && faster "$rate" "$ours_float32"; then ours_float32=$rate; fi
      if faster "$rate" "$ours_best"; then ours_best=$rate ours_best_setting=$precision; fi
    done
    [ "$have_torch" -eq 1 ] || continue
    for precision in "${precisions[@]}"; do
      for blas in 1 2; do
        for threads in 1 2; do
          rate=$(theirs "$precision" "$blas" "$threads")
          if [ "$precision" = float32 ] && faster "$rate" "$theirs_float32"; then
            theirs_float32=$rate theirs_float32_setting="$blas, $threads"
          fi
          if faster "$rate" "$theirs_best"; then theirs_best=$rate theirs_best_setting="$precision, $blas, $threads"; fi
        done
      done
    done
  done
  if [ "$have_torch" -eq 0 ]; then
    echo "python3-torch is not installed: no PyTorch figure (apt-get install python3-torch libopenblas0-pthread libtcmalloc-minimal4)"
    return
  fi
  echo "$model float32: nnplug $ours_float32 samples/s, pytorch best float32 $theirs_float32 samples/s" \
    "(OpenBLAS threads, torch threads: $theirs_float32_setting): ratio $(awk -v a="$ours_float32" -v b="$theirs_float32" 'BEGIN { printf "%.2f", a / b }')"
  echo "$model best of every setting: nnplug $ours_best samples/s ($ours_best_setting), pytorch $theirs_best samples/s" \
    "($theirs_best_setting): ratio $(awk -v a="$ours_best" -v b="$theirs_best" 'BEGIN { printf "%.2f", a / b }') (best of $rounds rounds)"
}

# Peak memory (maximum resident set size) of training the demo MLP: nnplug's `train` against the PyTorch loop on
# the same data, each a fresh process (GNU time, Debian package `time`). PyTorch runs on glibc's malloc here: its
# peak is smaller than with tcmalloc (463 against 541 MB on the development machine).
memory() {
  if [ ! -x /usr/bin/time ] || [ "$have_torch" -eq 0 ]; then
    echo "memory: needs /usr/bin/time (apt-get install time) and python3-torch"
    return
  fi
  local ours theirs
  ours=$(/usr/bin/time -f %M "$build/bin/nnplug" train "$here/../examples/fashion_mlp.json" --no-progress 2>&1 >/dev/null | tail -n 1)
  theirs=$(/usr/bin/time -f %M /usr/bin/python3 "$here/torch_throughput.py" mlp 1 0 2>&1 >/dev/null | tail -n 1)
  awk -v a="$ours" -v b="$theirs" \
    'BEGIN { printf "mlp peak memory: nnplug %.0f MB, pytorch %.0f MB: ratio %.2f\n", a / 1024, b / 1024, a / b }'
}

if [ "$which" = mlp ] || [ "$which" = all ]; then compare mlp fashion_mlp.json 3; memory; fi
if [ "$which" = cnn ] || [ "$which" = all ]; then compare cnn fashion_cnn.json 2; fi
# The X10 MLP (784-2048-1024-1024-10) at its batch of 256, in float32: the share of the float32 GEMM ceiling it reaches.
if [ "$which" = x10 ] || [ "$which" = all ]; then
  "$build/bench/train_throughput" "$here/../examples/x10_deep_mlp.json" --epochs 2 --backend cpu | grep -E "nnplug|ceiling"
fi
# X11 on a fixed subset of 12,800 images (100 batches): a full epoch takes minutes.
if [ "$which" = x11 ] || [ "$which" = all ]; then compare x11 x11_cifar_cnn.json 2 12800; fi
# The ResNet example (a graph: residual sums, projection shortcuts) on a fixed subset of 5,120 images (40 batches).
if [ "$which" = resnet ] || [ "$which" = all ]; then compare resnet fashion_resnet.json 2 5120; fi
# MobileNet (depthwise separable blocks) on 2,560 images (20 batches) and the autoencoder on 6,400 (50 batches).
if [ "$which" = mobilenet ] || [ "$which" = all ]; then compare mobilenet fashion_mobilenet.json 2 2560; fi
if [ "$which" = autoencoder ] || [ "$which" = all ]; then compare autoencoder fashion_autoencoder.json 2 6400; fi
# The LSTM over an image's 28 rows on 6,400 images (50 batches).
if [ "$which" = lstm ] || [ "$which" = all ]; then compare lstm fashion_lstm.json 2 6400; fi
# The 1-D CNN over an image's 28 columns on 12,800 images (100 batches).
if [ "$which" = conv1d ] || [ "$which" = all ]; then compare conv1d fashion_conv1d.json 2 12800; fi
# The transformer encoder over an image's 28 rows on 6,400 images (50 batches).
if [ "$which" = transformer ] || [ "$which" = all ]; then compare transformer fashion_transformer.json 2 6400; fi
