#!/usr/bin/env bash
# Runs the CUDA backend's tests and the GPU benchmark (bench/run_gpu.sh) from a build made on another machine, on
# a machine with an NVIDIA GPU that cannot build nnplug itself (the lent GPU machines have CUDA and PyTorch but
# none of Boost, Eigen, fmt or GoogleTest, and no network).
#   usage: scripts/gpu_check.sh BUILT_IN [BUILD_DIR]
# BUILT_IN is the checkout the build was made in (e.g. /work/main): the build names the source tree and its own
# folder by absolute path, so that path is linked to this checkout when it is elsewhere. BUILD_DIR (default build)
# is what scripts/gpu_bundle.sh packs: lib/, tests/nnplug_tests, bench/train_throughput, the example plugin ops, and
# gpu_runtime/, the libraries the build links that the GPU machine lacks. The CUDA libraries are looked for in the
# toolkit and in PyTorch's wheels. Logs go to $OUT when it is set (the device tool brings that folder back).
set -uo pipefail
built_in=$1
build=${2:-build}
here=$(pwd)
out=${OUT:-/tmp}

if [ "$built_in" != "$here" ]; then
  if [ -e "$built_in" ]; then
    echo "$built_in exists and is not this checkout: the build's paths would not lead here" >&2
    exit 2
  fi
  mkdir -p "$(dirname "$built_in")" && ln -s "$here" "$built_in"
fi

for name in libcudart.so.13 libcublas.so.13 libcudnn.so.9 libnccl.so.2; do
  found=$(find /usr/local/cuda* /opt /usr/lib -name "$name" 2>/dev/null | head -n 1)
  if [ -z "$found" ]; then
    echo "warning: $name not found on this machine" >&2
    continue
  fi
  LD_LIBRARY_PATH="$(dirname "$found")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
done
if [ -d "$build/gpu_runtime" ]; then
  LD_LIBRARY_PATH="$(cd "$build/gpu_runtime" && pwd)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
export LD_LIBRARY_PATH

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 | tee "$out/gpu.txt"
# A hung kernel or driver call must not spend the whole lease: the tests stop after GPU_TESTS_TIMEOUT seconds.
timeout "${GPU_TESTS_TIMEOUT:-300}" "$build/tests/nnplug_tests" --gtest_filter='*Cuda*:*cuda*:StepReplay*' 2>&1 | tee "$out/cuda_tests.log"
tests=$?
# The project's own plugin ops' CUDA kernels (CpuAndCuda/OpConformance, CudaPluginOps) must run here, not skip.
grep -q "skipped: op .* cuda kernel" "$out/cuda_tests.log" && { echo "the project's plugin ops' cuda kernels were skipped on a GPU" >&2; tests=1; }
# The example plugins' CUDA kernels (sdk/examples/custom_ops, built by the sdk_example test) against their ops'
# references, and in a step of their own on the GPU; without a GPU these checks are skipped, here they must run.
ops=$build/sdk_example/custom_ops
if [ -x "$ops/custom_ops_test" ]; then
  NNPLUG_PLUGIN_PATH=$ops timeout "${GPU_TESTS_TIMEOUT:-300}" "$ops/custom_ops_test" 2>&1 | tee "$out/custom_ops.log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || tests=1
  grep -q "skipped: op .* cuda kernel" "$out/custom_ops.log" && { echo "the plugin ops' cuda kernels were skipped on a GPU" >&2; tests=1; }
else
  echo "warning: $ops/custom_ops_test is not built (run the sdk_example test first); plugin op kernels not checked" >&2
fi
bash "$here/bench/run_gpu.sh" "$build" 2>&1 | tee "$out/bench_gpu.log"
exit "$tests"
