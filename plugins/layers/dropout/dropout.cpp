// Layers 'dropout' (inverted dropout, nn.Dropout), 'gaussian_dropout' (Keras GaussianDropout) and 'alpha_dropout'
// (nn.AlphaDropout, for SELU networks), built from this one source as three plugins (NNPLUG_DROPOUT_KIND).
// `rate` is the probability of dropping a unit, in [0, 1). In eval mode every one is the identity. Each training
// forward draws a new mask from the layer's seed and a call counter, so a run is reproducible from the model seed.
#include <algorithm>

#include <fmt/format.h>

#include "nnplug/counter_random.hpp"
#include "nnplug/plugin.hpp"

#if !defined(NNPLUG_DROPOUT_KIND)
#define NNPLUG_DROPOUT_KIND Inverted
#define NNPLUG_DROPOUT_NAME "dropout"
#endif

namespace {

using namespace nnplug;

class Dropout final : public Layer {
 public:
  explicit Dropout(const Params& p) : rate_(p.number("rate", 0.5)) {
    if (!(rate_ >= 0.0 && rate_ < 1.0)) p.fail("rate", fmt::format("must be in [0, 1) (the probability of dropping), got {}", rate_));
    p.check_unused();
  }
  std::string type() const override { return NNPLUG_DROPOUT_NAME; }
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
    if (values.size() != 1) throw InvalidArgument(fmt::format("{}: expected 1 counter, got {}", NNPLUG_DROPOUT_NAME, values.size()));
    calls_ = values[0];
  }

  // Each element draws by its index in row-major order, whatever the layout it is stored in.
  bool takes_any_layout() const override { return true; }

  const Tensor& forward(const Tensor& x) override {
    if (!training_ || rate_ == 0.0) {
      y_ = x;
      active_ = false;
      return y_;
    }
    active_ = true;
    if (y_.buffer() == x.buffer()) y_ = Tensor();  // in eval mode y_ was x itself: never write into the input
    ensure(y_, *backend_, x.shape(), dtype_, x.layout());
    ensure(mask_, *backend_, x.shape(), dtype_, x.layout());
    const auto first = static_cast<std::uint64_t>(first_sample_ * (x.numel() / std::max<std::int64_t>(x.dim(0), 1)));
    backend_->run(op::Dropout{x, y_, mask_, DropoutKind::NNPLUG_DROPOUT_KIND, rate_, counter_random::mix(seed_, calls_++), first});
    return y_;
  }

  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    if (!need_input_grad) {
      dx_ = Tensor();
      return dx_;
    }
    if (!active_) {
      dx_ = dy;
      return dx_;
    }
    backend_->run(op::Multiply{dy, mask_, ensure(dx_, *backend_, dy.shape(), dtype_, dy.layout())});
    return dx_;
  }

 private:
  double rate_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  std::uint64_t seed_ = 0, calls_ = 0;
  std::int64_t first_sample_ = 0;
  bool training_ = true, active_ = false;
  Tensor y_, mask_, dx_;
};

}  // namespace

NNPLUG_PLUGIN(NNPLUG_DROPOUT_NAME, "0.1.0", "layer:" NNPLUG_DROPOUT_NAME, 0) {
  registrar.add_layer(NNPLUG_DROPOUT_NAME, [](const Params& p) { return std::make_unique<Dropout>(p); });
}
