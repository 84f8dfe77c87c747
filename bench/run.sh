#!/usr/bin/env bash
# Training throughput on the CPU backend of the demo MLP (examples/fashion_mlp.json) and the quick CNN
# (examples/fashion_cnn.json), and PyTorch's for the same models in the same run when Debian's python3-torch is
# installed. Ratios, not absolute figures, are what to compare across machines.
#   usage: bench/run.sh [BUILD_DIR] [mlp|cnn|all]
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

compare() {  # compare MODEL SPEC EPOCHS
  local model=$1 spec=$2 epochs=$3 ours theirs=0 rate
  ours=$("$build/bench/train_throughput" "$here/../examples/$spec" --epochs "$epochs" | tee /dev/stderr | awk '/^RESULT/ {print $3}')
  if [ "$have_torch" -eq 0 ]; then
    echo "python3-torch is not installed: no PyTorch figure (apt-get install python3-torch)"
    return
  fi
  # PyTorch at its best setting on this machine: every combination of its own thread count and OpenBLAS' thread
  # count is tried (two pools of two threads oversubscribe two cores), and the best is kept.
  for blas_threads in 1 2; do
    for torch_threads in 1 2; do
      echo "PyTorch with OPENBLAS_NUM_THREADS=$blas_threads, torch threads $torch_threads:" >&2
      rate=$(OPENBLAS_NUM_THREADS=$blas_threads OPENBLAS_CORETYPE=$coretype /usr/bin/python3 "$here/torch_throughput.py" \
        "$model" "$epochs" "$torch_threads" | tee /dev/stderr | awk '/^RESULT/ {print $3}')
      theirs=$(awk -v a="$rate" -v b="$theirs" 'BEGIN { print (a > b ? a : b) }')
    done
  done
  awk -v m="$model" -v a="$ours" -v b="$theirs" \
    'BEGIN { printf "%s: nnplug %d samples/s, pytorch best %d samples/s: ratio %.2f\n", m, a, b, a / b }'
}

if [ "$which" = mlp ] || [ "$which" = all ]; then compare mlp fashion_mlp.json 3; fi
if [ "$which" = cnn ] || [ "$which" = all ]; then compare cnn fashion_cnn.json 2; fi
