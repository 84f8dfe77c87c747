#!/usr/bin/env bash
# Builds the fuzzers with clang (in build-fuzz/) and runs each for SECONDS (default 300), seeded with the
# project's own safetensors files and spec files. Inputs that crash are written to build-fuzz/crashes/<target>/:
# fix the bug, then copy the input into fuzz/regressions/<target>/ so that CTest replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang -DNNPLUG_FUZZ=ON > /dev/null
cmake --build build-fuzz --target fuzz_safetensors fuzz_spec -j "$(nproc)"
mkdir -p build-fuzz/corpus/safetensors build-fuzz/corpus/spec build-fuzz/crashes/safetensors build-fuzz/crashes/spec
cp tests/fixtures/*.safetensors fuzz/regressions/safetensors/* build-fuzz/corpus/safetensors/ 2>/dev/null || true
cp examples/*.json fuzz/regressions/spec/* build-fuzz/corpus/spec/ 2>/dev/null || true
for target in safetensors spec; do
  (cd build-fuzz/crashes/$target && ../../fuzz/fuzz_$target -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 \
     -max_len=65536 -print_final_stats=1 ../../corpus/$target) || echo "fuzz_$target found a problem: see build-fuzz/crashes/$target"
done
