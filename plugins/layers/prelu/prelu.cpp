// Layer 'prelu' (PyTorch PReLU): max(0, x) + alpha min(0, x) with a learnable slope alpha, initialised to 0.25.
// num_parameters 1 (default) shares one slope; num_parameters C learns one per channel (dim 1), "per neuron" for
// a dense input as in He et al. 2015.
#include <fmt/format.h>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Prelu final : public Layer {
 public:
  explicit Prelu(const Params& p)
      : count_(p.integer("num_parameters", 1, 1)), init_(p.number("init", 0.25)) {
    p.check_unused();
  }
  std::string type() const override { return "prelu"; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (count_ != 1 && (input.rank() < 1 || input[0] != count_))
      throw ShapeError(fmt::format("prelu with num_parameters {} expects {} channels (dim 1), got per-sample shape {}", count_, count_,
                                   input.str()));
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    alpha_ = {"alpha", ctx.backend.empty({count_}, dtype_), ctx.backend.empty({count_}, dtype_), true,
              Params("", {{"type", "constant"}, {"value", init_}}), 1, 1};
    return input;
  }
  std::vector<Parameter*> parameters() override { return {&alpha_}; }

  const Tensor& forward(const Tensor& x) override {
    x_ = x;
    backend_->run(op::Prelu{x, alpha_.value, ensure(y_, *backend_, x.shape(), dtype_)});
    return y_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    if (need_input_grad) ensure(dx_, *backend_, x_.shape(), dtype_);
    else dx_ = Tensor();
    backend_->run(op::PreluGrad{x_, alpha_.value, dy, dx_, alpha_.grad});
    return dx_;
  }

 private:
  std::int64_t count_;
  double init_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  Parameter alpha_;
  Tensor x_, y_, dx_;
};

}  // namespace

NNPLUG_PLUGIN("prelu", "0.1.0", "layer:prelu", 0) {
  registrar.add_layer("prelu", [](const Params& p) { return std::make_unique<Prelu>(p); });
}
