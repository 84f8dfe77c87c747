#pragma once
// The time one call of f takes, best of five rounds of `calls` calls, in the duration's unit (std::nano, std::micro):
// the microbenchmarks' measure (op_dispatch_bench, x11_kernels_bench).
#include <algorithm>
#include <chrono>

template <typename Unit, typename F>
double best_per_call(F&& f, int calls) {
  double best = 1e300;
  for (int round = 0; round < 5; ++round) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < calls; ++i) f();
    const std::chrono::duration<double, Unit> took = std::chrono::steady_clock::now() - start;
    best = std::min(best, took.count() / calls);
  }
  return best;
}
