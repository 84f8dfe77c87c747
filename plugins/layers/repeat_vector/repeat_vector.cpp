// Layer 'repeat_vector' (Keras's RepeatVector; PyTorch's x.unsqueeze(1).repeat(1, n, 1)): a sample's vector [F]
// repeated n times, [n, F] (n required): what an LSTM autoencoder's decoder reads, the encoder's last state at every
// step. The gradient is the sum over the n copies.
//
// The batch's vectors as one row (1, N F) times a column of n ones is (n, N F), every row the batch; permuted to
// (N, n, F). Back, the gradient permuted to (n, N F) and summed over its rows by the row of ones. Ops every backend
// runs.
#include <fmt/format.h>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class RepeatVector final : public Layer {
 public:
  explicit RepeatVector(const Params& p) : n_(p.require_integer("n", 1, std::int64_t{1} << 40)) { p.check_unused(); }
  std::string type() const override { return "repeat_vector"; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() != 1) throw ShapeError(fmt::format("repeat_vector expects a vector [features] per sample, got {}", input.str()));
    if (input[0] > (std::int64_t{1} << 40) / n_)
      throw ShapeError(fmt::format("repeat_vector: {} copies of input {} are too large", n_, input.str()));
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    features_ = input[0];
    ones_ = ctx.backend.empty(Shape{n_}, dtype_);
    ctx.backend.run(op::Fill{ones_, 1.0});
    return Shape{n_, features_};
  }

  const Tensor& forward(const Tensor& x) override {
    const std::int64_t n = x.dim(0);
    ensure(copies_, *backend_, Shape{n_, n, features_}, dtype_);
    backend_->run(op::Gemm{.a = ones_.reshape({n_, 1}), .b = x.reshape({1, n * features_}), .c = copies_.reshape({n_, n * features_})});
    backend_->run(op::Permute{copies_, ensure(y_, *backend_, Shape{n, n_, features_}, dtype_), {1, 0, 2}});
    return y_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    if (!need_input_grad) {
      dx_ = Tensor();
      return dx_;
    }
    const std::int64_t n = dy.dim(0);
    backend_->run(op::Permute{dy, ensure(copies_, *backend_, Shape{n_, n, features_}, dtype_), {1, 0, 2}});
    ensure(dx_, *backend_, Shape{n, features_}, dtype_);
    backend_->run(op::Gemm{.a = ones_.reshape({1, n_}), .b = copies_.reshape({n_, n * features_}), .c = dx_.reshape({1, n * features_})});
    return dx_;
  }

 private:
  std::int64_t n_, features_ = 0;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  Tensor ones_;             // n ones: the column that copies, the row that sums
  Tensor copies_, y_, dx_;  // copies_: (n, N, F), the batch n times, or its gradient
};

}  // namespace

NNPLUG_PLUGIN("repeat_vector", "0.1.0", "layer:repeat_vector", 0) {
  registrar.add_layer("repeat_vector", [](const Params& p) { return std::make_unique<RepeatVector>(p); });
}
