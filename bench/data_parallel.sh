#!/usr/bin/env bash
# Data-parallel scaling on this machine, all in one run: nnplug with 1 rank of 1 thread against 2 ranks of 1 thread
# each, over shared memory and over TCP between two network namespaces (plain, and shaped to 10 and 25 Gbit/s);
# PyTorch DistributedDataParallel on Gloo the same way, same models and global batch; then the scaling model
# (bench/scaling_model.py) and its plot. Efficiency = throughput of 2 ranks / (2 x throughput of 1 rank).
#   usage: bench/data_parallel.sh [BUILD_DIR] [RESULTS_DIR]     (root for the namespaces; MPI and python3-torch)
set -uo pipefail
build=${1:-build}
out=${2:-bench/results/data_parallel}
here=$(cd "$(dirname "$0")" && pwd)
root=$here/..
bench=$build/bench/data_parallel_bench
one='{"type": "cpu", "threads": 1}'
mkdir -p "$out"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
grep -q avx512f /proc/cpuinfo && export OPENBLAS_CORETYPE=Cooperlake  # OpenBLAS' AVX-512 kernels (see bench/run.sh)
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"

rate() { awk '/^RESULT/ {print $3}' <<< "$1"; }
# "step 24.1 ms, all-reduce alone 3.4 ms, 71 % of it hidden" from a data_parallel_bench JSON file.
breakdown() {
  /usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); a, e = d["allreduce_s"], d["exposed_s"]
print("step %.1f ms, all-reduce alone %.1f ms, waited for %.1f ms (%.0f %% hidden)" % (1e3 * d["step_s"], 1e3 * a, 1e3 * e, 100 * max(0, 1 - e / a) if a else 0))' "$1"
}
efficiency() { awk -v two="$1" -v one="$2" 'BEGIN { printf "%.0f %%", 100 * two / (2 * one) }'; }
have_netns=0
if [ "$(id -u)" -eq 0 ] && "$root/scripts/netns_cluster.sh" up 2 > /dev/null 2>&1; then have_netns=1; fi
have_torch=1
source "$here/torch_malloc.sh"  # PyTorch runs on tcmalloc where it is installed, as in bench/run.sh
/usr/bin/python3 -c "import torch.distributed" 2> /dev/null || have_torch=0

summary=()
for model in x10_deep_mlp fashion_mlp; do
  spec=$root/examples/$model.json
  short=${model%%_*}
  r1=$(rate "$("$bench" "$spec" --backend "$one" --json "$out/${short}_1.json" | tee >(cat >&2))")
  r2=$(rate "$(mpirun -np 2 "$bench" "$spec" --json "$out/${short}_2_shm.json" | tee >(cat >&2))")
  summary+=("nnplug $model: 1 rank $r1 samples/s; 2 ranks over shared memory $r2 ($(efficiency "$r2" "$r1")): $(breakdown "$out/${short}_2_shm.json")")
  if [ "$have_netns" = 1 ]; then
    for shape in plain 25gbit 10gbit; do
      [ "$shape" = plain ] && "$root/scripts/netns_cluster.sh" up 2 > /dev/null || "$root/scripts/netns_cluster.sh" up 2 "$shape" > /dev/null
      suffix=$([ "$shape" = plain ] && echo "" || echo "_$shape")
      rn=$(rate "$("$root/scripts/netns_cluster.sh" mpirun 2 -- "$bench" "$spec" --backend "$one" --json "$out/${short}_2_netns$suffix.json" | tee >(cat >&2))")
      summary+=("nnplug $model: 2 ranks over TCP between namespaces ($shape) $rn ($(efficiency "$rn" "$r1")): $(breakdown "$out/${short}_2_netns$suffix.json")")
    done
    "$root/scripts/netns_cluster.sh" up 2 > /dev/null
  fi
  # Gradients sent as bfloat16 (training.gradient_compression), the X10 MLP only: half the bytes on the wire, and
  # two conversion passes on each rank.
  if [ "$short" = x10 ]; then
    rc=$(rate "$(mpirun -np 2 "$bench" "$spec" --compression bfloat16 --json "$out/${short}_2_shm_bf16.json" | tee >(cat >&2))")
    summary+=("nnplug $model, bfloat16 gradients: 2 ranks over shared memory $rc ($(efficiency "$rc" "$r1")): $(breakdown "$out/${short}_2_shm_bf16.json")")
    if [ "$have_netns" = 1 ]; then
      for shape in 25gbit 10gbit; do
        "$root/scripts/netns_cluster.sh" up 2 "$shape" > /dev/null
        rn=$(rate "$("$root/scripts/netns_cluster.sh" mpirun 2 -- "$bench" "$spec" --backend "$one" --compression bfloat16 --json "$out/${short}_2_netns_${shape}_bf16.json" | tee >(cat >&2))")
        summary+=("nnplug $model, bfloat16 gradients: 2 ranks over TCP between namespaces ($shape) $rn ($(efficiency "$rn" "$r1")): $(breakdown "$out/${short}_2_netns_${shape}_bf16.json")")
      done
      "$root/scripts/netns_cluster.sh" up 2 > /dev/null
    fi
  fi
  if [ "$have_torch" = 1 ]; then
    kind=$([ "$short" = x10 ] && echo x10 || echo mlp)
    t1=$(rate "$(LD_PRELOAD=$torch_malloc /usr/bin/python3 "$here/torch_ddp.py" "$kind" 1 | tee >(cat >&2))")
    t2=$(rate "$(LD_PRELOAD=$torch_malloc /usr/bin/python3 "$here/torch_ddp.py" "$kind" 2 | tee >(cat >&2))")
    summary+=("pytorch DDP gloo $model: 1 rank $t1 samples/s; 2 ranks over loopback $t2 ($(efficiency "$t2" "$t1"))")
    if [ "$have_netns" = 1 ]; then
      # A bounded wait: once, rank 0 printed its figure and then never exited.
      ip netns exec nnplug-h1 env GLOO_SOCKET_IFNAME=eth0 LD_PRELOAD=$torch_malloc timeout 600 /usr/bin/python3 "$here/torch_ddp.py" "$kind" 2 256 60 --rank 1 --master 10.222.0.1:29411 > /dev/null &
      tn=$(rate "$(ip netns exec nnplug-h0 env GLOO_SOCKET_IFNAME=eth0 LD_PRELOAD=$torch_malloc timeout 600 /usr/bin/python3 "$here/torch_ddp.py" "$kind" 2 256 60 --rank 0 --master 10.222.0.1:29411 | tee >(cat >&2))")
      wait
      summary+=("pytorch DDP gloo $model: 2 ranks over TCP between namespaces (plain) $tn ($(efficiency "$tn" "$t1"))")
    fi
  fi
done
[ "$have_netns" = 1 ] && "$root/scripts/netns_cluster.sh" down 2

# The chapter's CNN, one rank at batch 128: its layers' backward times for the model.
"$bench" "$root/examples/x11_cifar_cnn.json" --backend "$one" --steps 4 --json "$out/cnn_1.json" > /dev/null
# The measured 2-rank efficiency, drawn beside the model.
/usr/bin/python3 - "$out" << 'PY'
import json, sys
folder = sys.argv[1]
one, two = json.load(open(f"{folder}/x10_1.json")), json.load(open(f"{folder}/x10_2_shm.json"))
two["efficiency_2"] = two["samples_per_s"] / (2 * one["samples_per_s"])
json.dump(two, open(f"{folder}/x10_2_shm.json", "w"), indent=2)
PY
echo
printf '%s\n' "${summary[@]}"
echo
/usr/bin/python3 "$here/scaling_model.py" "$out" "$root/docs/data_parallel_scaling.png"
