// Layer 'batch_norm' (nn.BatchNorm1d / BatchNorm2d): per feature for (N, F) input, per channel for (N, C, H, W).
// Training normalises with the batch mean and biased variance and updates the running statistics by an EWMA
// (momentum 0.1) with the unbiased variance; eval mode uses the running statistics. eps 1e-5; gamma starts at 1,
// beta at 0. The running statistics are non-trainable parameters, so they are saved and counted like Keras does.
// "sync": true (nn.SyncBatchNorm): in data-parallel training the batch statistics, and the sums backward needs, are
// those of the global batch, combined across the ranks, so N ranks train as one process would.
#include <algorithm>
#include <cmath>

#include "nnplug/fused_relu.hpp"
#include "nnplug/plugin.hpp"
#include "rank_statistics.hpp"

namespace {

using namespace nnplug;

class BatchNorm final : public Layer {
 public:
  explicit BatchNorm(const Params& p)
      : momentum_(p.number("momentum", 0.1, 0.0, 1.0)), eps_(p.number("eps", 1e-5, 0.0)), sync_(p.boolean("sync", false)) {
    if (!(eps_ > 0)) p.fail("eps", "must be > 0");
    p.check_unused();
  }
  std::string type() const override { return "batch_norm"; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() != 1 && input.rank() != 3)
      throw ShapeError(fmt::format("batch_norm expects (features) or (channels, height, width) per sample, got {}", input.str()));
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
    for (auto& t : scratch_) {
      t = ctx.backend.empty({c}, dtype_);
      backend_->run(op::Fill{t, 0.0});
    }
    return input;
  }
  std::vector<Parameter*> parameters() override { return {&gamma_, &beta_, &running_mean_, &running_var_}; }
  void set_training(bool training) override { training_ = training; }
  bool set_communicator(Communicator* communicator) override {
    communicator_ = sync_ ? communicator : nullptr;
    return communicator_ != nullptr;
  }

  // A ReLU after this layer (ResNet's conv, batch norm, ReLU) runs in its output pass, and so does a ReLU6
  // (MobileNet's), which the SDK's FusedRelu does not take: this layer takes the gradient through it itself.
  bool fuse_activation(const Activation& next) override {
    const auto f = next.pointwise();
    relu6_ = f && f->fn == Pointwise::Relu6;
    return relu6_ || relu_.take(next);
  }
  void leave_activation_gradient_to_next() override {
    relu_.leave_gradient_to_next();
    relu6_gradient_left_ = relu6_;
  }
  // The ReLU before this layer (X11's conv, ReLU, batch norm): its gradient joins the pass that writes dx.
  bool take_input_activation_gradient(const PointwiseFunction& f) override {
    input_relu_ = f.fn == Pointwise::Relu;
    return input_relu_;
  }

  // Per-channel statistics and element-wise passes: the backend's batch norm takes any layout it offers.
  bool takes_any_layout() const override { return true; }

  const Tensor& forward(const Tensor& x) override {
    x_ = x;
    ensure(y_, *backend_, x.shape(), dtype_, x.layout());
    if (training_ && communicator_) forward_synchronised(x);
    else backend_->run(op::BatchNorm{x, gamma_.value, beta_.value, y_, mean_, invstd_, running_mean_.value, running_var_.value,
                                     momentum_, eps_, training_, epilogue()});
    return y_;
  }

  const Tensor& backward(const Tensor& dy_out, bool need_input_grad) override {
    const Tensor& dy = relu6_ ? relu6_gradient_before(dy_out) : relu_.gradient_before(y_, dy_out);
    if (need_input_grad) ensure(dx_, *backend_, x_.shape(), dtype_, x_.layout());
    else dx_ = Tensor();
    const bool synchronised = training_ && communicator_;
    // Synchronised, an eval-mode pass gives this rank's sums (dgamma = sum dy xhat, dbeta = sum dy, with the global
    // statistics) and dx = gamma invstd dy, which the global sums then correct.
    // Synchronised, the ReLU before this layer is taken through once dx is whole.
    const Pointwise input = input_relu_ ? Pointwise::Relu : Pointwise::Identity;
    backend_->run(op::BatchNormGrad{x_, gamma_.value, dy, mean_, invstd_, dx_, gamma_.grad, beta_.grad, training_ && !synchronised,
                                    synchronised ? Pointwise::Identity : input});
    if (synchronised && need_input_grad) {
      correct_input_gradient();
      if (input_relu_) backend_->run(op::ActivationGrad{x_, x_, dx_, dx_, Pointwise::Relu});
    }
    return dx_;
  }

 private:
  Pointwise epilogue() const { return relu6_ ? Pointwise::Relu6 : relu_.epilogue(); }

  // dL/dz from dL/dy through the fused y = relu6(z): relu6'(z) read from y, 0 at both kinks (0 and 6) as PyTorch's.
  const Tensor& relu6_gradient_before(const Tensor& dy) {
    if (relu6_gradient_left_) return dy;
    backend_->run(op::ActivationGrad{y_, y_, dy, ensure(relu6_dz_, *backend_, y_.shape(), dtype_, y_.layout()), Pointwise::Relu6});
    return relu6_dz_;
  }

  // The global batch's statistics normalise x, and update the running ones as one process would.
  void forward_synchronised(const Tensor& x) {
    const std::int64_t channels = gamma_.value.numel(), per_channel = x.numel() / channels;
    batch_norm::Moments mine{static_cast<double>(per_channel), {}, {}};
    if (per_channel > 1) {
      // This rank's own moments, from a training pass whose output and running statistics are dropped.
      backend_->run(op::BatchNorm{x, gamma_.value, beta_.value, y_, mean_, invstd_, scratch_[0], scratch_[1], momentum_, eps_, true});
      mine.mean = to_host<double>(mean_);
      for (const double s : to_host<double>(invstd_)) mine.var.push_back(std::max(0.0, 1.0 / (s * s) - eps_));
    } else {
      mine.mean = to_host<double>(x);  // one value per channel
      mine.var.assign(static_cast<std::size_t>(channels), 0.0);
    }
    const batch_norm::Moments all = batch_norm::combine(*communicator_, mine);
    if (all.count < 2) throw InvalidArgument("batch_norm: the global batch holds 1 value per channel; training needs more");
    global_ = all;
    // An eval-mode pass with the global statistics in place of the running ones normalises with them and keeps
    // them as mean_ and invstd_ for backward.
    from_host(scratch_[0], all.mean);
    from_host(scratch_[1], all.var);
    backend_->run(op::BatchNorm{x, gamma_.value, beta_.value, y_, mean_, invstd_, scratch_[0], scratch_[1], momentum_, eps_, false,
                                epilogue()});
    std::vector<double> unbiased = all.var;
    for (double& v : unbiased) v *= all.count / (all.count - 1);
    from_host(scratch_[1], unbiased);
    backend_->run(op::Axpby{scratch_[0], running_mean_.value, momentum_, 1.0 - momentum_});
    backend_->run(op::Axpby{scratch_[1], running_var_.value, momentum_, 1.0 - momentum_});
  }

  // dx = gamma invstd (dy - (S_b + xhat S_g) / count), S the global sums of dy and dy xhat: this rank's dx holds
  // gamma invstd dy, and gets a x + b per channel, run as an eval-mode batch norm with mean 0 and unit scale.
  void correct_input_gradient() {
    std::vector<double> local = to_host<double>(gamma_.grad);
    const auto dbeta = to_host<double>(beta_.grad);
    local.insert(local.end(), dbeta.begin(), dbeta.end());
    const auto sums = batch_norm::sum(*communicator_, local);
    const auto gamma = to_host<double>(gamma_.value);
    const std::size_t channels = gamma.size();
    std::vector<double> a(channels), b(channels);
    for (std::size_t c = 0; c < channels; ++c) {
      const double invstd = 1.0 / std::sqrt(global_.var[c] + eps_), k = gamma[c] * invstd / global_.count;
      const double sum_dy_xhat = sums[c], sum_dy = sums[channels + c];
      a[c] = -k * invstd * sum_dy_xhat;
      b[c] = -k * sum_dy + k * invstd * sum_dy_xhat * global_.mean[c];
    }
    from_host(scratch_[0], a);
    from_host(scratch_[1], b);
    backend_->run(op::Fill{scratch_[2], 0.0});
    backend_->run(op::Fill{scratch_[3], 1.0 - eps_});
    backend_->run(op::BatchNorm{x_, scratch_[0], scratch_[1], ensure(correction_, *backend_, x_.shape(), dtype_, x_.layout()), scratch_[4],
                                scratch_[5], scratch_[2], scratch_[3], momentum_, eps_, false});
    backend_->run(op::Axpby{correction_, dx_, 1.0, 1.0});
  }

  double momentum_, eps_;
  bool sync_;
  Communicator* communicator_ = nullptr;
  batch_norm::Moments global_;  // the global batch's statistics of the last synchronised forward
  Tensor scratch_[6], correction_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  bool training_ = true;
  Parameter gamma_, beta_, running_mean_, running_var_;
  FusedRelu relu_;
  bool relu6_ = false, relu6_gradient_left_ = false;  // a fused ReLU6, and whether the layer after takes its gradient
  Tensor relu6_dz_;
  bool input_relu_ = false;  // backward takes dx through the ReLU before this layer (take_input_activation_gradient)
  Tensor x_, y_, dx_, mean_, invstd_;
};

}  // namespace

NNPLUG_PLUGIN("batch_norm", "0.1.0", "layer:batch_norm", 0) {
  registrar.add_layer("batch_norm", [](const Params& p) { return std::make_unique<BatchNorm>(p); });
}
