#!/usr/bin/env bash
# Builds the fuzzers with clang (in build-fuzz/) and runs each for SECONDS (default 600), seeded with the inputs
# kept in fuzz/regressions/ and the project's own safetensors and spec files, with fuzz/<target>.dict where a target
# has one. Usage: fuzz/run.sh [SECONDS [TARGET...]].
# Inputs that crash are written to build-fuzz/crashes/<target>/: fix the bug, then copy the input into
# fuzz/regressions/<target>/ so that CTest replays it from then on. The last line of each run's log in
# build-fuzz/<target>.log gives its executions.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(safetensors spec graph_spec idx npy csv mnist_json model_metadata image text)
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang -DNNPLUG_FUZZ=ON \
  -DNNPLUG_CUDA=OFF -DNNPLUG_BUILD_BENCH=OFF > /dev/null
cmake --build build-fuzz --target "${targets[@]/#/fuzz_}" -j "$(nproc)"
status=0
for target in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$target crashes=build-fuzz/crashes/$target
  mkdir -p "$corpus" "$crashes"
  cp fuzz/regressions/"$target"/* "$corpus"/
  case $target in
    safetensors) cp tests/fixtures/*.safetensors "$corpus"/ ;;
    spec | graph_spec) cp examples/*.json "$corpus"/ ;;
  esac
  dict=()  # a target's words (fuzz/<target>.dict), where it has them
  [ -f fuzz/"$target".dict ] && dict=(-dict="$PWD/fuzz/$target.dict")
  if ! (cd "$crashes" && ../../fuzz/fuzz_"$target" "${dict[@]}" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 \
          -timeout=10 -max_len=65536 -print_final_stats=1 ../../corpus/"$target") > build-fuzz/"$target".log 2>&1; then
    echo "fuzz_$target found a problem: see build-fuzz/$target.log and $crashes"
    status=1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" build-fuzz/"$target".log | sed "s/^/fuzz_$target: /" || true
done
exit $status
