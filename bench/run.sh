#!/usr/bin/env bash
# Training throughput on the CPU backend of the demo MLP (examples/fashion_mlp.json), the quick CNN
# (examples/fashion_cnn.json) and X11 (examples/x11_cifar_cnn.json, on a fixed subset), and PyTorch's for the same
# models in the same run when Debian's python3-torch is installed. Ratios, not absolute figures, are what to
# compare across machines.
#   usage: bench/run.sh [BUILD_DIR] [mlp|cnn|x11|all]
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

compare() {  # compare MODEL SPEC EPOCHS [LIMIT]: LIMIT trains both on the first LIMIT training samples
  local model=$1 spec=$2 epochs=$3 limit=${4:-} ours theirs=0 rate
  ours=$("$build/bench/train_throughput" "$here/../examples/$spec" --epochs "$epochs" ${limit:+--limit "$limit"} | tee >(cat >&2) |
    awk '/^RESULT/ {print $3}')
  if [ "$have_torch" -eq 0 ]; then
    echo "python3-torch is not installed: no PyTorch figure (apt-get install python3-torch)"
    return
  fi
  # PyTorch at its best setting on this machine: every combination of its own thread count and OpenBLAS' thread
  # count (two pools of two threads oversubscribe two cores) and of float32 and bfloat16 autocast is tried, and the
  # best is kept.
  # A convolutional model also runs under bfloat16 autocast where the CPU has bfloat16 (avx512_bf16 or AMX).
  local precisions=(float32)
  [ "$model" != mlp ] && grep -qE 'avx512_bf16|amx_bf16' /proc/cpuinfo && precisions+=(bfloat16)
  for precision in "${precisions[@]}"; do
    for blas_threads in 1 2; do
      for torch_threads in 1 2; do
        echo "PyTorch $precision with OPENBLAS_NUM_THREADS=$blas_threads, torch threads $torch_threads:" >&2
        rate=$(OPENBLAS_NUM_THREADS=$blas_threads OPENBLAS_CORETYPE=$coretype /usr/bin/python3 "$here/torch_throughput.py" \
          "$model" "$epochs" "$torch_threads" cpu 128 "${limit:-full}" "$precision" | tee >(cat >&2) | awk '/^RESULT/ {print $3}')
        theirs=$(awk -v a="$rate" -v b="$theirs" 'BEGIN { print (a > b ? a : b) }')
      done
    done
  done
  awk -v m="$model" -v a="$ours" -v b="$theirs" \
    'BEGIN { printf "%s: nnplug %d samples/s, pytorch best %d samples/s: ratio %.2f\n", m, a, b, a / b }'
}

if [ "$which" = mlp ] || [ "$which" = all ]; then compare mlp fashion_mlp.json 3; fi
if [ "$which" = cnn ] || [ "$which" = all ]; then compare cnn fashion_cnn.json 2; fi
# X11 on a fixed subset of 12,800 images (100 batches): a full epoch takes minutes.
if [ "$which" = x11 ] || [ "$which" = all ]; then compare x11 x11_cifar_cnn.json 2 12800; fi
