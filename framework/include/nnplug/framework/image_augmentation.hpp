#pragma once
// Random image augmentation of training batches, on the fly and seeded (Keras ImageDataGenerator, torchvision
// RandomAffine / RandomHorizontalFlip / ColorJitter brightness / RandomErasing). Images are (C, H, W); every channel
// of an image gets the same transform.
//
// A transform flips first, then moves the content: zoom by `zoom` (> 1 magnifies, as torchvision's scale) and
// rotate by `degrees` counter-clockwise as displayed, both about the image centre, then shift by (dx, dy) pixels
// (right and down). Each output pixel samples the input at the inverse-mapped position with bilinear
// interpolation; positions outside the image take the nearest edge pixel (Keras' default fill) or a constant.
// Brightness multiplies every value by a factor. Last, random erasing (Zhong et al. 2017, "Random Erasing Data
// Augmentation") sets a rectangle of every channel to a value, or to standard normal noise.
#include <cstdint>
#include <vector>

#include "nnplug/params.hpp"
#include "nnplug/shape.hpp"

namespace nnplug {

// One image's transform, drawn by ImageAugmentation::draw or given by hand (tests).
struct ImageTransform {
  bool flip_horizontal = false, flip_vertical = false;
  double dx = 0.0, dy = 0.0;  // pixels
  double degrees = 0.0;
  double zoom = 1.0;
  double brightness = 1.0;
  // The erased rectangle, none where erase_height is 0: set to erase_value, or with erase_noise to standard normals
  // drawn from erase_seed (one per erased value).
  std::int64_t erase_top = 0, erase_left = 0, erase_height = 0, erase_width = 0;
  double erase_value = 0.0;
  bool erase_noise = false;
  std::uint64_t erase_seed = 0;
};

enum class FillMode { Nearest, Constant };

// Applies t to one (C, H, W) image from `in` to `out` (distinct buffers of shape.numel() values); T is float or
// double.
template <typename T>
void transform_image(const ImageTransform& t, const Shape& chw, const T* in, T* out, FillMode fill = FillMode::Nearest,
                     T fill_value = T(0));

class ImageAugmentation {
 public:
  // The spec's "augmentation" section: horizontal_flip and vertical_flip (each with probability 0.5),
  // width_shift and height_shift (fractions of the size: shifts uniform in [-f, f] times the size), rotation
  // (degrees: angle uniform in [-r, r]), zoom (factor uniform in [1 - z, 1 + z]), brightness (factor uniform in
  // [1 - b, 1 + b]), fill ("nearest" or "constant") and fill_value; erasing (the probability of erasing a rectangle,
  // torchvision's p), erasing_scale (its area's share of the image, uniform in [lo, hi]), erasing_ratio (its height
  // over its width, log-uniform in [lo, hi]) and erasing_value (a number, or "random" for normal noise).
  explicit ImageAugmentation(const Params& p);

  // Throws ShapeError unless samples are images (C, H, W).
  void check(const Shape& sample_shape) const;
  // The transform of sample `index` under `seed` for images of shape chw: a pure function of its arguments, so
  // runs are reproducible.
  ImageTransform draw(const Shape& chw, std::uint64_t seed, std::uint64_t index) const;
  // Transforms n samples (float or double) in place; sample i uses draw(seed, first_index + i).
  template <typename T>
  void apply(T* samples, std::int64_t n, const Shape& chw, std::uint64_t seed, std::uint64_t first_index) const;

 private:
  bool horizontal_flip_, vertical_flip_;
  double width_shift_, height_shift_, rotation_, zoom_, brightness_;
  FillMode fill_;
  double fill_value_;
  double erasing_;
  std::vector<double> erasing_scale_, erasing_ratio_;
  double erasing_value_ = 0.0;
  bool erasing_noise_ = false;

  // The erased rectangle of sample `index`, as torchvision's RandomErasing draws it, into t.
  void draw_erasing(ImageTransform& t, const Shape& chw, std::uint64_t seed, std::uint64_t index) const;
};

}  // namespace nnplug
