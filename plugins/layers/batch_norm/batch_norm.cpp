// Layer 'batch_norm' (nn.BatchNorm1d / BatchNorm2d): per feature for (N, F) input, per channel for (N, C, H, W).
// Training normalises with the batch mean and biased variance and updates the running statistics by an EWMA
// (momentum 0.1) with the unbiased variance; eval mode uses the running statistics. eps 1e-5; gamma starts at 1,
// beta at 0. The running statistics are non-trainable parameters, so they are saved and counted like Keras does.
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class BatchNorm final : public Layer {
 public:
  explicit BatchNorm(const Params& p) : momentum_(p.number("momentum", 0.1, 0.0, 1.0)), eps_(p.number("eps", 1e-5, 0.0)) {
    if (!(eps_ > 0)) p.fail("eps", "must be > 0");
    p.check_unused();
  }
  std::string type() const override { return "batch_norm"; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() != 1 && input.rank() != 3)
      throw ShapeError("batch_norm expects (features) or (channels, height, width) per sample, got " + input.str());
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    const std::int64_t c = input[0];
    auto param = [&](const char* name, bool trainable, double init) {
      return Parameter{name, ctx.backend.empty({c}, dtype_), ctx.backend.empty({c}, dtype_), trainable,
                       Params("", {{"type", "constant"}, {"value", init}}), c, c};
    };
    gamma_ = param("weight", true, 1.0);
    beta_ = param("bias", true, 0.0);
    running_mean_ = param("running_mean", false, 0.0);
    running_var_ = param("running_var", false, 1.0);
    mean_ = ctx.backend.empty({c}, dtype_);
    invstd_ = ctx.backend.empty({c}, dtype_);
    return input;
  }
  std::vector<Parameter*> parameters() override { return {&gamma_, &beta_, &running_mean_, &running_var_}; }
  void set_training(bool training) override { training_ = training; }

  const Tensor& forward(const Tensor& x) override {
    x_ = x;
    backend_->run(op::BatchNorm{x, gamma_.value, beta_.value, ensure(y_, *backend_, x.shape(), dtype_), mean_, invstd_,
                                running_mean_.value, running_var_.value, momentum_, eps_, training_});
    return y_;
  }

  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    if (need_input_grad) ensure(dx_, *backend_, x_.shape(), dtype_);
    else dx_ = Tensor();
    backend_->run(op::BatchNormGrad{x_, gamma_.value, dy, mean_, invstd_, dx_, gamma_.grad, beta_.grad, training_});
    return dx_;
  }

 private:
  double momentum_, eps_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  bool training_ = true;
  Parameter gamma_, beta_, running_mean_, running_var_;
  Tensor x_, y_, dx_, mean_, invstd_;
};

}  // namespace

NNPLUG_PLUGIN("batch_norm", "0.1.0", "layer:batch_norm", 0) {
  registrar.add_layer("batch_norm", [](const Params& p) { return std::make_unique<BatchNorm>(p); });
}
