#!/usr/bin/env bash
# GPU training throughput of the demo MLP and the quick CNN on the CUDA backend, against PyTorch on the same GPU
# in the same run, at batch sizes 128 and 1024. Ratios are what to compare across machines.
#   usage: bench/run_gpu.sh [BUILD_DIR]
# Fashion-MNIST is used where its Debian package is installed; elsewhere both sides train on 60,000 random samples
# of the same shape (throughput does not depend on the values).
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)

python=""
for candidate in /usr/bin/python3 python3; do
  if "$candidate" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
    python=$candidate
    break
  fi
done
synthetic=()
torch_data=real
if [ ! -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
  echo "Fashion-MNIST is not installed: both sides train on random samples"
  synthetic=(--synthetic)
  torch_data=synthetic
fi

nnplug_rate() {  # SPEC BACKEND BATCH
  "$build/bench/train_throughput" "$here/../examples/$1" --backend "$2" --batch "$3" --epochs 3 "${synthetic[@]}" |
    tee >(cat >&2) | awk '/^RESULT/ {print $3}'
}

for model in mlp cnn; do
  spec=$([ "$model" = mlp ] && echo fashion_mlp.json || echo fashion_cnn.json)
  for batch in 128 1024; do
    ours=$(nnplug_rate "$spec" cuda "$batch")
    # The same without step graphs: every op launched on its own, as PyTorch's eager mode does.
    eager=$(nnplug_rate "$spec" '{"type": "cuda", "step_graphs": false}' "$batch")
    awk -v m="$model" -v b="$batch" -v a="$ours" -v e="$eager" \
      'BEGIN { printf "%s batch %d: nnplug %d samples/s with step graphs, %d without: ratio %.2f\n", m, b, a, e, a / e }'
    if [ -z "$python" ]; then
      echo "no Python with a CUDA-enabled PyTorch: no peer figure"
      continue
    fi
    theirs=$("$python" "$here/torch_throughput.py" "$model" 3 0 cuda "$batch" "$torch_data" | tee >(cat >&2) | awk '/^RESULT/ {print $3}')
    awk -v m="$model" -v b="$batch" -v a="$ours" -v t="$theirs" \
      'BEGIN { printf "%s batch %d: nnplug %d samples/s, pytorch %d samples/s: ratio %.2f\n", m, b, a, t, a / t }'
    # Mixed precision on both sides: bfloat16 tensor cores (cuBLAS, cuDNN), against torch.autocast("cuda", bfloat16).
    mixed=$(nnplug_rate "$spec" '{"type": "cuda", "precision": "bfloat16"}' "$batch")
    theirs=$("$python" "$here/torch_throughput.py" "$model" 3 0 cuda "$batch" "$torch_data" bfloat16 | tee >(cat >&2) | awk '/^RESULT/ {print $3}')
    awk -v m="$model" -v b="$batch" -v a="$mixed" -v t="$theirs" \
      'BEGIN { printf "%s batch %d bfloat16: nnplug %d samples/s, pytorch autocast %d samples/s: ratio %.2f\n", m, b, a, t, a / t }'
  done
done
