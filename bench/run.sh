#!/usr/bin/env bash
# Training throughput of the demo MLP on the CPU backend, and PyTorch's in the same run when Debian's
# python3-torch is installed. Ratios, not absolute figures, are what to compare across machines.
#   usage: bench/run.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
spec="$here/../examples/fashion_mlp.json"

ours=$("$build/bench/mlp_throughput" "$spec" --epochs 3 | tee /dev/stderr | awk '/^RESULT/ {print $3}')

if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "python3-torch is not installed: no PyTorch figure (apt-get install python3-torch)"
  exit 0
fi
# PyTorch at its best setting on this machine: every combination of its own thread count and OpenBLAS' thread
# count is tried (two pools of two threads oversubscribe two cores), and the best is kept.
# OPENBLAS_CORETYPE=Cooperlake selects OpenBLAS' AVX-512 kernels where the CPU has AVX-512; elsewhere OpenBLAS'
# own choice stands. Debian's PyTorch calls libblas.so.3: install libopenblas0-pthread, or it runs the reference BLAS.
coretype=${OPENBLAS_CORETYPE:-}
grep -q avx512f /proc/cpuinfo && coretype=Cooperlake
theirs=0
for blas_threads in 1 2; do
  for torch_threads in 1 2; do
    echo "PyTorch with OPENBLAS_NUM_THREADS=$blas_threads, torch threads $torch_threads:" >&2
    rate=$(OPENBLAS_NUM_THREADS=$blas_threads OPENBLAS_CORETYPE=$coretype /usr/bin/python3 "$here/torch_mlp.py" 3 \
      "$torch_threads" | tee /dev/stderr | awk '/^RESULT/ {print $3}')
    theirs=$(awk -v a="$rate" -v b="$theirs" 'BEGIN { print (a > b ? a : b) }')
  done
done
awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "nnplug %d samples/s, pytorch best %d samples/s: ratio %.2f\n", a, b, a / b }'
