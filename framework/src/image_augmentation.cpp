#include "nnplug/framework/image_augmentation.hpp"

#include <fmt/format.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "nnplug/counter_random.hpp"

namespace nnplug {

namespace {

// Input value at integer position (i, j) of one channel plane, with the fill rule outside the plane.
template <typename T>
struct Plane {
  const T* p;
  std::int64_t h, w;
  FillMode fill;
  T fill_value;

  T at(std::int64_t i, std::int64_t j) const {
    if (i < 0 || i >= h || j < 0 || j >= w) {
      if (fill == FillMode::Constant) return fill_value;
      i = std::clamp<std::int64_t>(i, 0, h - 1);
      j = std::clamp<std::int64_t>(j, 0, w - 1);
    }
    return p[i * w + j];
  }
  T bilinear(double y, double x) const {
    const double fy = std::floor(y), fx = std::floor(x);
    const auto i = static_cast<std::int64_t>(fy), j = static_cast<std::int64_t>(fx);
    const double ty = y - fy, tx = x - fx;
    const double top = (1 - tx) * at(i, j) + tx * at(i, j + 1), bottom = (1 - tx) * at(i + 1, j) + tx * at(i + 1, j + 1);
    return static_cast<T>((1 - ty) * top + ty * bottom);
  }
};

}  // namespace

template <typename T>
void transform_image(const ImageTransform& t, const Shape& chw, const T* in, T* out, FillMode fill, T fill_value) {
  const std::int64_t c = chw[0], h = chw[1], w = chw[2];
  const double cy = 0.5 * static_cast<double>(h - 1), cx = 0.5 * static_cast<double>(w - 1);
  // Output position q (centred) came from input position p = R(-angle) (q - shift) / zoom, before the flips.
  const double angle = t.degrees * std::numbers::pi / 180.0, cs = std::cos(angle) / t.zoom, sn = std::sin(angle) / t.zoom;
  const bool moves = t.degrees != 0.0 || t.zoom != 1.0 || t.dx != 0.0 || t.dy != 0.0;
  for (std::int64_t ch = 0; ch < c; ++ch) {
    const Plane<T> plane{in + ch * h * w, h, w, fill, fill_value};
    for (std::int64_t i = 0; i < h; ++i)
      for (std::int64_t j = 0; j < w; ++j) {
        double y = static_cast<double>(i), x = static_cast<double>(j);
        if (moves) {
          const double qy = y - cy - t.dy, qx = x - cx - t.dx;
          x = cx + cs * qx - sn * qy;
          y = cy + sn * qx + cs * qy;
        }
        if (t.flip_horizontal) x = static_cast<double>(w - 1) - x;
        if (t.flip_vertical) y = static_cast<double>(h - 1) - y;
        const T v = moves ? plane.bilinear(y, x) : plane.at(static_cast<std::int64_t>(y), static_cast<std::int64_t>(x));
        out[(ch * h + i) * w + j] = v * static_cast<T>(t.brightness);
      }
  }
  for (std::int64_t ch = 0; ch < c; ++ch)
    for (std::int64_t i = t.erase_top; i < t.erase_top + t.erase_height; ++i)
      for (std::int64_t j = t.erase_left; j < t.erase_left + t.erase_width; ++j) {
        const std::int64_t at = (ch * h + i) * w + j;
        out[at] = static_cast<T>(t.erase_noise ? counter_random::normal(t.erase_seed, static_cast<std::uint64_t>(at)) : t.erase_value);
      }
}

ImageAugmentation::ImageAugmentation(const Params& p)
    : horizontal_flip_(p.boolean("horizontal_flip", false)),
      vertical_flip_(p.boolean("vertical_flip", false)),
      width_shift_(p.number("width_shift", 0.0, 0.0, 1.0)),
      height_shift_(p.number("height_shift", 0.0, 0.0, 1.0)),
      rotation_(p.number("rotation", 0.0, 0.0, 180.0)),
      zoom_(p.number("zoom", 0.0, 0.0, 0.99)),
      brightness_(p.number("brightness", 0.0, 0.0, 1.0)),
      fill_value_(p.number("fill_value", 0.0)),
      erasing_(p.number("erasing", 0.0, 0.0, 1.0)),
      erasing_scale_(p.numbers("erasing_scale", {0.02, 0.33}, 2, 0.0, 1.0)),
      erasing_ratio_(p.numbers("erasing_ratio", {0.3, 3.3}, 2, 1e-3, 1e3)) {
  const std::string fill = p.string("fill", "nearest");
  if (fill != "nearest" && fill != "constant") p.fail("fill", fmt::format("must be \"nearest\" or \"constant\", got \"{}\"", fill));
  fill_ = fill == "nearest" ? FillMode::Nearest : FillMode::Constant;
  if (!(erasing_scale_[0] > 0 && erasing_scale_[0] <= erasing_scale_[1]))
    p.fail("erasing_scale", fmt::format("must be [lo, hi] with 0 < lo <= hi <= 1, got [{}, {}]", erasing_scale_[0], erasing_scale_[1]));
  if (erasing_ratio_[0] > erasing_ratio_[1])
    p.fail("erasing_ratio", fmt::format("must be [lo, hi] with lo <= hi, got [{}, {}]", erasing_ratio_[0], erasing_ratio_[1]));
  if (p.has("erasing_value") && p.json()["erasing_value"].is_string()) {
    erasing_noise_ = p.string("erasing_value", "random") == "random";
    if (!erasing_noise_)
      p.fail("erasing_value", fmt::format("must be a number or \"random\" (normal noise), got \"{}\"", p.string("erasing_value", "")));
  } else {
    erasing_value_ = p.number("erasing_value", 0.0);
  }
  p.check_unused();
}

void ImageAugmentation::check(const Shape& sample_shape) const {
  if (sample_shape.rank() != 3)
    throw ShapeError(fmt::format("augmentation needs images of (channels, height, width), got samples of {} (set the data's \"sample_shape\")",
                                 sample_shape.str()));
}

ImageTransform ImageAugmentation::draw(const Shape& chw, std::uint64_t seed, std::uint64_t index) const {
  // Seven uniforms per sample, at indices 7 * index + k of the counter-based stream.
  auto u = [&](std::uint64_t k) { return counter_random::uniform(seed, 7 * index + k); };
  auto symmetric = [&](std::uint64_t k, double range) { return range * (2.0 * u(k) - 1.0); };
  ImageTransform t;
  t.flip_horizontal = horizontal_flip_ && u(0) < 0.5;
  t.flip_vertical = vertical_flip_ && u(1) < 0.5;
  t.degrees = symmetric(2, rotation_);
  t.zoom = 1.0 + symmetric(3, zoom_);
  t.brightness = 1.0 + symmetric(6, brightness_);
  t.dx = symmetric(4, width_shift_) * static_cast<double>(chw[2]);
  t.dy = symmetric(5, height_shift_) * static_cast<double>(chw[1]);
  if (erasing_ > 0) draw_erasing(t, chw, seed, index);
  return t;
}

void ImageAugmentation::draw_erasing(ImageTransform& t, const Shape& chw, std::uint64_t seed, std::uint64_t index) const {
  // A stream of its own, so that the seven draws above stay what they were before erasing existed: the first
  // uniform decides, then up to ten tries of four (area, ratio, top, left) look for a rectangle inside the image.
  const std::uint64_t stream = counter_random::mix(seed, 0x6572617365ULL);  // "erase"
  const auto u = [&](std::uint64_t k) { return counter_random::uniform(stream, 64 * index + k); };
  if (u(0) >= erasing_) return;
  const std::int64_t h = chw[1], w = chw[2];
  const double area = static_cast<double>(h * w), log_lo = std::log(erasing_ratio_[0]), log_hi = std::log(erasing_ratio_[1]);
  for (std::uint64_t attempt = 0; attempt < 10; ++attempt) {
    const std::uint64_t k = 1 + 4 * attempt;
    const double erased = area * (erasing_scale_[0] + (erasing_scale_[1] - erasing_scale_[0]) * u(k));
    const double aspect = std::exp(log_lo + (log_hi - log_lo) * u(k + 1));
    const auto eh = static_cast<std::int64_t>(std::lround(std::sqrt(erased * aspect)));
    const auto ew = static_cast<std::int64_t>(std::lround(std::sqrt(erased / aspect)));
    if (eh >= h || ew >= w) continue;  // torchvision's test: a rectangle smaller than the image on both axes
    t.erase_top = static_cast<std::int64_t>(u(k + 2) * static_cast<double>(h - eh + 1));
    t.erase_left = static_cast<std::int64_t>(u(k + 3) * static_cast<double>(w - ew + 1));
    t.erase_height = eh, t.erase_width = ew;
    t.erase_value = erasing_value_;
    t.erase_noise = erasing_noise_;
    t.erase_seed = counter_random::mix(stream, index);
    return;
  }
}

template <typename T>
void ImageAugmentation::apply(T* samples, std::int64_t n, const Shape& chw, std::uint64_t seed, std::uint64_t first_index) const {
  check(chw);
  const std::int64_t size = chw.numel();
  std::vector<T> original(static_cast<std::size_t>(size));
  for (std::int64_t s = 0; s < n; ++s) {
    const ImageTransform t = draw(chw, seed, first_index + static_cast<std::uint64_t>(s));
    T* image = samples + s * size;
    std::copy_n(image, size, original.data());
    transform_image(t, chw, original.data(), image, fill_, static_cast<T>(fill_value_));
  }
}

template void transform_image(const ImageTransform&, const Shape&, const float*, float*, FillMode, float);
template void transform_image(const ImageTransform&, const Shape&, const double*, double*, FillMode, double);
template void ImageAugmentation::apply(float*, std::int64_t, const Shape&, std::uint64_t, std::uint64_t) const;
template void ImageAugmentation::apply(double*, std::int64_t, const Shape&, std::uint64_t, std::uint64_t) const;

}  // namespace nnplug
