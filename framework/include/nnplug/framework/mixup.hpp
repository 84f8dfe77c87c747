#pragma once
// Mixup and CutMix, as timm's mixup_alpha and cutmix_alpha and torchvision's and KerasCV's MixUp and CutMix: each
// training sample is blended with a partner, and so are their targets (one-hot rows of class labels).
// - Mixup (Zhang et al., ICLR 2018): x = λ x + (1 - λ) x', λ ~ Beta(α, α).
// - CutMix (Yun et al., ICCV 2019), for images ([channels..., H, W]): a box of about (1 - λ) of the image, centred at a
//   uniform point and clipped to it, is the partner's pixels; the target weighs the sample by the share of pixels it
//   kept.
// With both, each sample takes one of them, CutMix or Mixup with even odds (timm's switch_prob). The draws are keyed
// by the sample's position in the epoch's order: its partner is the sample at the position a permutation of the
// epoch's positions gives, and its λ, box and choice that position's draws, from the seed and the epoch; so
// data-parallel ranks, accumulated batches and a resumed run blend what one process running straight through blends.
#include <cstdint>
#include <vector>

#include "nnplug/shape.hpp"

namespace nnplug {

class Mixup {
 public:
  // Each alpha >= 0 (0: that one off), not both 0: Beta(alpha, alpha); small alphas keep most samples near themselves
  // (timm's recipes take 0.1 to 0.8 for mixup, 1 for cutmix).
  Mixup(double mixup_alpha, double cutmix_alpha, std::uint64_t seed);
  // CutMix needs an image: throws InvalidArgument for a sample of fewer than 2 sizes.
  void check(const Shape& sample_shape) const;
  // Draws every position's partner, λ, choice and box centre for this epoch (1-based) of `positions` samples.
  void begin_epoch(int epoch, std::int64_t positions);

  std::int64_t partner(std::int64_t position) const { return draws_[static_cast<std::size_t>(position)].partner; }
  double lambda(std::int64_t position) const { return draws_[static_cast<std::size_t>(position)].lambda; }
  bool cuts(std::int64_t position) const { return draws_[static_cast<std::size_t>(position)].cut; }
  // The partner's box in a sample's last two sizes (H, W): rows [top, bottom), columns [left, right).
  struct Box {
    std::int64_t top, bottom, left, right;
  };
  Box box(std::int64_t position, const Shape& sample_shape) const;
  // What the sample's own target weighs in its blend: λ, or under CutMix the share of pixels it kept.
  double weight(std::int64_t position, const Shape& sample_shape) const;

  // Blends `count` samples from epoch position `first` with their partners' (as rows, in place).
  template <typename T>
  void blend_samples(T* rows, const T* partner_rows, std::int64_t count, const Shape& sample_shape, std::int64_t first) const {
    const std::int64_t size = sample_shape.numel();
    for (std::int64_t i = 0; i < count; ++i) {
      T* x = rows + i * size;
      const T* other = partner_rows + i * size;
      if (!cuts(first + i)) {
        blend_row(x, other, size, lambda(first + i));
        continue;
      }
      const int r = sample_shape.rank();
      const std::int64_t h = sample_shape[r - 2], w = sample_shape[r - 1];
      const Box b = box(first + i, sample_shape);
      for (std::int64_t plane = 0; plane < size; plane += h * w)
        for (std::int64_t y = b.top; y < b.bottom; ++y)
          for (std::int64_t c = b.left; c < b.right; ++c) x[plane + y * w + c] = other[plane + y * w + c];
    }
  }
  // Blends `count` target rows of `width` values from epoch position `first` with their partners', by weight().
  void blend_targets(float* rows, const float* partner_rows, std::int64_t count, std::int64_t width, std::int64_t first,
                     const Shape& sample_shape) const {
    for (std::int64_t i = 0; i < count; ++i) blend_row(rows + i * width, partner_rows + i * width, width, weight(first + i, sample_shape));
  }

 private:
  template <typename T>
  static void blend_row(T* x, const T* other, std::int64_t n, double l) {
    for (std::int64_t j = 0; j < n; ++j) x[j] = static_cast<T>(l * static_cast<double>(x[j]) + (1.0 - l) * static_cast<double>(other[j]));
  }
  struct Draw {
    std::int64_t partner = 0;
    double lambda = 1.0;
    bool cut = false;
    double centre_y = 0.0, centre_x = 0.0;  // CutMix: the box's centre, as shares of H and W
  };
  double mixup_alpha_, cutmix_alpha_;
  std::uint64_t seed_;
  std::vector<Draw> draws_;
};

}  // namespace nnplug
