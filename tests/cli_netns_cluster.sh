#!/usr/bin/env bash
# Two "hosts" (network namespaces joined by veth pairs, each shaped by tc to 10 Gbit/s), Open MPI over
# TCP between them: a small float64 spec ends with one process' scores, and the demo MLP trains on Fashion-MNIST.
# Skips (77), saying why, where namespaces cannot be made (not root, no iproute2, no permission) or MPI is missing.
set -u
nnplug=$1 plugin_dir=$2
here=$(cd "$(dirname "$0")" && pwd)
cluster=$here/../scripts/netns_cluster.sh
"$here/mpi_run.sh" 1 "$plugin_dir" true > /dev/null || exit $?
if [ "$(id -u)" -ne 0 ]; then echo "skipped: network namespaces need root"; exit 77; fi
if ! command -v ip > /dev/null || ! command -v tc > /dev/null; then echo "skipped: ip or tc not found (install iproute2)"; exit 77; fi
if ! ip netns add nnplug-probe 2> /dev/null; then echo "skipped: this machine does not allow network namespaces here"; exit 77; fi
ip netns del nnplug-probe
work=$(mktemp -d)
trap '"$cluster" down 2; rm -rf "$work"' EXIT
source "$here/cli_checks.sh"

"$cluster" up 2 10gbit || { echo "FAIL: could not make the cluster"; exit 1; }
cat > "$work/small.json" <<'JSON'
{"seed": 3, "dtype": "float64",
 "data": {"format": "gaussian_blobs", "samples": 300, "features": 8, "centers": 3, "test_split": 0.2},
 "layers": [{"type": "dense", "units": 16, "activation": "relu"}, {"type": "dense", "units": 3}],
 "loss": "softmax_cross_entropy", "optimizer": {"type": "adam", "lr": 0.01},
 "training": {"epochs": 3, "batch_size": 25}}
JSON
one=$("$nnplug" train "$work/small.json" --no-progress 2>&1 | grep "^test:")
out=$(timeout 120 "$cluster" mpirun 2 --timeout 100 -- "$nnplug" train "$work/small.json" --no-progress 2>&1)
check "2 hosts over TCP" "data-parallel: 2 ranks over mpi" "$out"
check "2 hosts score as 1 process" "$one" "$out"
out=$(timeout 120 "$cluster" mpirun 2 --timeout 100 -- "$nnplug" train "$here/../examples/fashion_mlp.json" --no-progress \
  --epochs 1 --limit-train 3000 --backend '{"type": "cpu", "threads": 1}' 2>&1)
check "the demo MLP on 2 hosts" "epoch 1/1  loss " "$out"
check "and its test score" "test: loss " "$out"

finish
