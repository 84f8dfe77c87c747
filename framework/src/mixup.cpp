#include "nnplug/framework/mixup.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include <fmt/format.h>

#include "nnplug/counter_random.hpp"
#include "nnplug/errors.hpp"

namespace nnplug {

namespace {
// Beta(α, α) as G1 / (G1 + G2) of two Gamma(α, 1) draws.
double beta(std::gamma_distribution<double>& gamma, std::mt19937_64& engine) {
  double a = 0.0, b = 0.0;
  while (!(a + b > 0.0)) a = gamma(engine), b = gamma(engine);  // both underflow to 0 only for a tiny α
  return a / (a + b);
}
}  // namespace

Mixup::Mixup(double mixup_alpha, double cutmix_alpha, std::uint64_t seed) : mixup_alpha_(mixup_alpha), cutmix_alpha_(cutmix_alpha), seed_(seed) {
  for (const auto& [name, alpha] : {std::pair{"mixup_alpha", mixup_alpha}, std::pair{"cutmix_alpha", cutmix_alpha}})
    if (!(alpha >= 0.0) || !std::isfinite(alpha)) throw InvalidArgument(fmt::format("{} must be 0 (off) or above, got {}", name, alpha));
  if (mixup_alpha == 0.0 && cutmix_alpha == 0.0) throw InvalidArgument("mixup_alpha or cutmix_alpha must be above 0");
}

void Mixup::check(const Shape& sample_shape) const {
  if (cutmix_alpha_ > 0.0 && sample_shape.rank() < 2)
    throw InvalidArgument(fmt::format("cutmix pastes a box of one image into another, but a sample is {}: it needs [channels, height, width] "
                                      "or [height, width]", sample_shape.str()));
}

void Mixup::begin_epoch(int epoch, std::int64_t positions) {
  std::mt19937_64 engine(counter_random::mix(seed_ ^ 0x6d69787570ULL, static_cast<std::uint64_t>(epoch)));
  std::vector<std::int64_t> partners(static_cast<std::size_t>(positions));
  std::iota(partners.begin(), partners.end(), std::int64_t{0});
  std::shuffle(partners.begin(), partners.end(), engine);
  std::gamma_distribution<double> mixup_gamma(mixup_alpha_ > 0.0 ? mixup_alpha_ : 1.0, 1.0),
      cutmix_gamma(cutmix_alpha_ > 0.0 ? cutmix_alpha_ : 1.0, 1.0);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  draws_.resize(static_cast<std::size_t>(positions));
  for (std::size_t i = 0; i < draws_.size(); ++i) {
    Draw& d = draws_[i];
    d.partner = partners[i];
    d.cut = cutmix_alpha_ > 0.0 && (mixup_alpha_ == 0.0 || uniform(engine) < 0.5);
    d.lambda = beta(d.cut ? cutmix_gamma : mixup_gamma, engine);
    if (d.cut) d.centre_y = uniform(engine), d.centre_x = uniform(engine);
  }
}

Mixup::Box Mixup::box(std::int64_t position, const Shape& sample_shape) const {
  const Draw& d = draws_[static_cast<std::size_t>(position)];
  const int r = sample_shape.rank();
  const std::int64_t h = sample_shape[r - 2], w = sample_shape[r - 1];
  // Sides sqrt(1 - λ) of the image's, so that the box is 1 - λ of it before clipping (timm's rand_bbox).
  const double side = std::sqrt(1.0 - d.lambda);
  const auto clip = [](double v, std::int64_t n) { return std::clamp<std::int64_t>(static_cast<std::int64_t>(std::floor(v)), 0, n); };
  const double cy = d.centre_y * static_cast<double>(h), cx = d.centre_x * static_cast<double>(w);
  const double half_h = side * static_cast<double>(h) / 2.0, half_w = side * static_cast<double>(w) / 2.0;
  return {clip(cy - half_h, h), clip(cy + half_h, h), clip(cx - half_w, w), clip(cx + half_w, w)};
}

double Mixup::weight(std::int64_t position, const Shape& sample_shape) const {
  if (!cuts(position)) return lambda(position);
  const Box b = box(position, sample_shape);
  const int r = sample_shape.rank();
  const double pixels = static_cast<double>(sample_shape[r - 2] * sample_shape[r - 1]);
  return 1.0 - static_cast<double>((b.bottom - b.top) * (b.right - b.left)) / pixels;
}

}  // namespace nnplug
