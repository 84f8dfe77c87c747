// Layer 'maxout' (Goodfellow et al. 2013): `units` outputs, each the max of `pieces` affine functions of the input,
// y_u = max_k (W_{u,k} x + b_{u,k}). Gradient flows only to the winning piece. Weight [units * pieces, in], the
// pieces of a unit adjacent; weight_init (xavier_uniform) and bias_init (zeros) as for dense.
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Maxout final : public Layer {
 public:
  explicit Maxout(const Params& p)
      : units_(p.require_integer("units", 1)),
        pieces_(p.integer("pieces", 2, 1)),
        weight_init_(p.child("weight_init", "xavier_uniform")),
        bias_init_(p.child("bias_init", "zeros")) {
    if (__builtin_mul_overflow(units_, pieces_, &rows_))  // 4 units of 2^62 pieces once wrapped around to 0 rows
      p.fail("pieces", fmt::format("gives units x pieces = {} x {} rows of weights, more than 64 bits count", units_, pieces_));
    p.check_unused();
  }
  std::string type() const override { return "maxout"; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() != 1) throw ShapeError(fmt::format("maxout expects a vector per sample, got {}", input.str()));
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    const std::int64_t in = input[0];
    weight_ = {"weight", ctx.backend.empty({rows_, in}, dtype_), ctx.backend.empty({rows_, in}, dtype_), true, weight_init_,
               in, units_};
    bias_ = {"bias", ctx.backend.empty({rows_}, dtype_), ctx.backend.empty({rows_}, dtype_), true, bias_init_, in, units_};
    return Shape{units_};
  }
  std::vector<Parameter*> parameters() override { return {&weight_, &bias_}; }

  const Tensor& forward(const Tensor& x) override {
    x_ = x;
    const std::int64_t n = x.dim(0);
    ensure(z_, *backend_, Shape{n, rows_}, dtype_);
    backend_->run(op::Gemm{.a = x, .b = weight_.value, .c = z_, .trans_b = true});
    backend_->run(op::AddRowVector{z_, bias_.value, z_});
    ensure(y_, *backend_, Shape{n, units_}, dtype_);
    ensure(winner_, *backend_, Shape{n, units_}, DType::Int32);
    backend_->run(op::MaxGroups{z_, y_, winner_, pieces_});
    return y_;
  }

  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    ensure(dz_, *backend_, z_.shape(), dtype_);
    backend_->run(op::MaxGroupsGrad{dy, winner_, dz_, pieces_});
    backend_->run(op::Gemm{.a = dz_, .b = x_, .c = weight_.grad, .trans_a = true});
    backend_->run(op::SumRows{dz_, bias_.grad});
    if (!need_input_grad) {
      dx_ = Tensor();
      return dx_;
    }
    backend_->run(op::Gemm{.a = dz_, .b = weight_.value, .c = ensure(dx_, *backend_, x_.shape(), dtype_)});
    return dx_;
  }

 private:
  std::int64_t units_, pieces_, rows_ = 0;  // rows_: units x pieces
  Params weight_init_, bias_init_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  Parameter weight_, bias_;
  Tensor x_, z_, y_, winner_, dz_, dx_;
};

}  // namespace

NNPLUG_PLUGIN("maxout", "0.1.0", "layer:maxout", 0) {
  registrar.add_layer("maxout", [](const Params& p) { return std::make_unique<Maxout>(p); });
}
