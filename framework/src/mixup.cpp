#include "nnplug/framework/mixup.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include <fmt/format.h>

#include "nnplug/counter_random.hpp"
#include "nnplug/errors.hpp"

namespace nnplug {

Mixup::Mixup(double alpha, std::uint64_t seed) : alpha_(alpha), seed_(seed) {
  if (!(alpha > 0.0) || !std::isfinite(alpha)) throw InvalidArgument(fmt::format("mixup_alpha must be above 0, got {}", alpha));
}

void Mixup::begin_epoch(int epoch, std::int64_t positions) {
  std::mt19937_64 engine(counter_random::mix(seed_ ^ 0x6d69787570ULL, static_cast<std::uint64_t>(epoch)));
  partners_.resize(static_cast<std::size_t>(positions));
  std::iota(partners_.begin(), partners_.end(), std::int64_t{0});
  std::shuffle(partners_.begin(), partners_.end(), engine);
  // Beta(α, α) as G1 / (G1 + G2) of two Gamma(α, 1) draws.
  std::gamma_distribution<double> gamma(alpha_, 1.0);
  lambdas_.resize(static_cast<std::size_t>(positions));
  for (double& l : lambdas_) {
    double a = 0.0, b = 0.0;
    while (!(a + b > 0.0)) a = gamma(engine), b = gamma(engine);  // both underflow to 0 only for a tiny α
    l = a / (a + b);
  }
}

}  // namespace nnplug
