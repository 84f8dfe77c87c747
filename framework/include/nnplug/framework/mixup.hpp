#pragma once
// Mixup (Zhang et al., "mixup: Beyond Empirical Risk Minimization", ICLR 2018; timm's mixup_alpha, torchvision's and
// KerasCV's MixUp): each training sample is blended with a partner, x = λ x + (1 - λ) x', and so are their targets
// (one-hot rows of class labels), λ ~ Beta(α, α). The draws are keyed by the sample's position in the epoch's order:
// its partner is the sample at the position a permutation of the epoch's positions gives, and its λ that position's
// draw, both from the seed and the epoch; so data-parallel ranks, accumulated batches and a resumed run blend what one
// process running straight through blends.
#include <cstdint>
#include <vector>

namespace nnplug {

class Mixup {
 public:
  // alpha > 0: Beta(alpha, alpha); small alphas keep most samples near themselves (timm's recipes take 0.1 to 0.8).
  Mixup(double alpha, std::uint64_t seed);
  double alpha() const { return alpha_; }
  // Draws every position's partner and λ for this epoch (1-based) of `positions` samples.
  void begin_epoch(int epoch, std::int64_t positions);
  std::int64_t partner(std::int64_t position) const { return partners_[static_cast<std::size_t>(position)]; }
  double lambda(std::int64_t position) const { return lambdas_[static_cast<std::size_t>(position)]; }
  // rows[i] = λ rows[i] + (1 - λ) partner_rows[i] for the `count` rows of `width` values from epoch position `first`.
  template <typename T>
  void blend(T* rows, const T* partner_rows, std::int64_t count, std::int64_t width, std::int64_t first) const {
    for (std::int64_t i = 0; i < count; ++i) {
      const double l = lambda(first + i);
      for (std::int64_t j = 0; j < width; ++j) {
        T& v = rows[i * width + j];
        v = static_cast<T>(l * static_cast<double>(v) + (1.0 - l) * static_cast<double>(partner_rows[i * width + j]));
      }
    }
  }

 private:
  double alpha_;
  std::uint64_t seed_;
  std::vector<std::int64_t> partners_;
  std::vector<double> lambdas_;
};

}  // namespace nnplug
