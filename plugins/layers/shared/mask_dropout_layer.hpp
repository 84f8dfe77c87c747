#pragma once
// What the dropout layers that multiply their input by a mask of their own drawing share (spatial_dropout,
// stochastic_depth): the seed and the count of training passes (kept in checkpoints, so that a resumed run draws as
// the uninterrupted one), the first sample's place in the global batch (data-parallel training), and passes that
// multiply by the mask while training and hand the input, or the gradient, on unchanged otherwise. A subclass
// draws the mask of each training pass.
#include <cstdint>
#include <vector>

#include <fmt/format.h>

#include "nnplug/counter_random.hpp"
#include "nnplug/layer.hpp"

namespace nnplug::layers {

class MaskDropoutLayer : public Layer {
 public:
  explicit MaskDropoutLayer(double rate) : rate_(rate) {}

  Shape build(const Shape& input, const BuildContext& ctx) override {
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    seed_ = ctx.seed;
    return input;
  }
  void set_training(bool training) override { training_ = training; }
  void set_sample_offset(std::int64_t first) override { first_sample_ = first; }
  std::vector<std::uint64_t> counters() const override { return {calls_}; }
  void set_counters(const std::vector<std::uint64_t>& values) override {
    if (values.size() != 1) throw InvalidArgument(fmt::format("{}: expected 1 counter, got {}", type(), values.size()));
    calls_ = values[0];
  }

  const Tensor& forward(const Tensor& x) override {
    active_ = training_ && rate_ > 0.0;
    if (!active_) {  // a handle of its own, so that y_ never points at an input
      through_ = x;
      return through_;
    }
    draw_mask(ensure(mask_, *backend_, x.shape(), dtype_), counter_random::mix(seed_, calls_++));
    backend_->run(op::Multiply{x, mask_, ensure(y_, *backend_, x.shape(), dtype_)});
    return y_;
  }

  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    if (!need_input_grad) {
      dx_ = Tensor();
      return dx_;
    }
    if (!active_) {
      through_ = dy;
      return through_;
    }
    backend_->run(op::Multiply{dy, mask_, ensure(dx_, *backend_, dy.shape(), dtype_)});
    return dx_;
  }

 protected:
  // Writes this training pass's mask, of the input's shape, drawn with `seed`.
  virtual void draw_mask(const Tensor& mask, std::uint64_t seed) = 0;

  double rate_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  std::int64_t first_sample_ = 0;

 private:
  std::uint64_t seed_ = 0, calls_ = 0;
  bool training_ = true, active_ = false;
  Tensor mask_, y_, dx_, through_;  // through_: the input or dy, passed on unchanged outside training
};

}  // namespace nnplug::layers
