// Layer 'lstm' (PyTorch's LSTM with batch_first=True and one layer; Keras's LSTM): each sample is a sequence of T
// steps of F features, [T, F]. At step t, with the gates' pre-activations a_k = x_t W_ih[k]^T + b_ih[k] +
// h_{t-1} W_hh[k]^T + b_hh[k] in PyTorch's order k = i, f, g, o:
//   i, f, o = sigmoid(a_i, a_f, a_o);  g = tanh(a_g);  c_t = f c_{t-1} + i g;  h_t = o tanh(c_t);  h_0 = c_0 = 0.
// The output is h_T, [units] (Keras's default), or every h_t, [T, units], with "return_sequences": true (PyTorch's
// output). Parameters as PyTorch names them: weight_ih_l0 [4 units, F], weight_hh_l0 [4 units, units], bias_ih_l0
// and bias_hh_l0 [4 units], each gate's rows in that order, so that state dicts load both ways; initialized
// uniform in +-1/sqrt(units) as PyTorch does (weight_init and bias_init say otherwise).
//
// It runs through the ops every backend has: per step and gate, a product with the input and one with the last h
// whose output pass adds the biases and applies the gate's function (op::Gemm's epilogue), and element-wise ops
// for the cell. The backward pass runs back through time, summing each step's parameter gradients.
#include <cmath>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

constexpr int kGates = 4;  // i, f, g, o
constexpr Pointwise kGateFunction[kGates] = {Pointwise::Sigmoid, Pointwise::Sigmoid, Pointwise::Tanh, Pointwise::Sigmoid};

Params uniform_init(std::int64_t units) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(units));
  return Params("", {{"type", "uniform"}, {"a", -bound}, {"b", bound}});
}

class Lstm final : public Layer {
 public:
  explicit Lstm(const Params& p)
      : units_(p.require_integer("units", 1, std::int64_t{1} << 30)),
        return_sequences_(p.boolean("return_sequences", false)),
        use_bias_(p.boolean("bias", true)),
        weight_init_(p.has("weight_init") ? p.child("weight_init", "zeros") : uniform_init(units_)),
        bias_init_(p.has("bias_init") ? p.child("bias_init", "zeros") : uniform_init(units_)) {
    p.check_unused();
  }

  std::string type() const override { return "lstm"; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() != 2)
      throw ShapeError(fmt::format("lstm expects a sequence per sample, [steps, features], got {} (a reshape layer makes one: "
                                   "an image's rows are 28 steps of 28 features)",
                                   input.str()));
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    steps_ = input[0], features_ = input[1];
    const std::int64_t rows = kGates * units_;
    auto parameter = [&](const char* name, const Shape& shape, const Params& init) {
      return Parameter{name, ctx.backend.empty(shape, dtype_), ctx.backend.empty(shape, dtype_), true, init, shape[shape.rank() - 1], units_};
    };
    weight_ih_ = parameter("weight_ih_l0", {rows, features_}, weight_init_);
    weight_hh_ = parameter("weight_hh_l0", {rows, units_}, weight_init_);
    if (use_bias_) {
      bias_ih_ = parameter("bias_ih_l0", {rows}, bias_init_);
      bias_hh_ = parameter("bias_hh_l0", {rows}, bias_init_);
    }
    return return_sequences_ ? Shape{steps_, units_} : Shape{units_};
  }

  std::vector<Parameter*> parameters() override {
    if (use_bias_) return {&weight_ih_, &weight_hh_, &bias_ih_, &bias_hh_};
    return {&weight_ih_, &weight_hh_};
  }

  const Tensor& forward(const Tensor& x) override {
    Backend& be = *backend_;
    x_shape_ = x.shape();
    n_ = x.dim(0);
    const Tensor sequence = x.reshape(Shape{n_, steps_ * features_});
    // Time-major copies: step t's rows of each are one (N, ...) block, contiguous for the products.
    ensure(inputs_, be, Shape{steps_ * n_, features_}, dtype_);
    for (auto& gate : gates_) ensure(gate, be, Shape{steps_ * n_, units_}, dtype_);
    ensure(cells_, be, Shape{(steps_ + 1) * n_, units_}, dtype_);  // c_0 .. c_T
    ensure(hidden_, be, Shape{(steps_ + 1) * n_, units_}, dtype_);  // h_0 .. h_T
    ensure(cell_tanh_, be, Shape{steps_ * n_, units_}, dtype_);
    ensure(product_, be, Shape{n_, units_}, dtype_);
    be.run(op::Fill{step(cells_, 0)});
    be.run(op::Fill{step(hidden_, 0)});
    for (std::int64_t t = 0; t < steps_; ++t) {
      const Tensor x_t = step(inputs_, t), h_prev = step(hidden_, t), c_prev = step(cells_, t), c_t = step(cells_, t + 1);
      be.run(op::CopyColumns{x_t, sequence, n_, t * features_, false});
      for (int k = 0; k < kGates; ++k) {
        const Tensor a = step(gates_[k], t);
        be.run(op::Gemm{.a = x_t, .b = gate_rows(weight_ih_.value, k), .c = a, .trans_b = true, .bias = gate_bias(bias_ih_, k)});
        be.run(op::Gemm{.a = h_prev, .b = gate_rows(weight_hh_.value, k), .c = a, .trans_b = true, .beta = 1.0, .bias = gate_bias(bias_hh_, k),
                        .epilogue = kGateFunction[k]});
      }
      const Tensor i = step(gates_[0], t), f = step(gates_[1], t), g = step(gates_[2], t), o = step(gates_[3], t);
      be.run(op::Multiply{f, c_prev, c_t});
      be.run(op::Multiply{i, g, product_});
      be.run(op::Axpby{product_, c_t, 1.0, 1.0});
      be.run(op::Activation{c_t, step(cell_tanh_, t), Pointwise::Tanh});
      be.run(op::Multiply{o, step(cell_tanh_, t), step(hidden_, t + 1)});
    }
    if (!return_sequences_) {
      ensure(y_, be, Shape{n_, units_}, dtype_);
      be.run(op::Copy{step(hidden_, steps_), y_});
      return y_;
    }
    ensure(y_, be, Shape{n_, steps_, units_}, dtype_);
    const Tensor outputs = y_.reshape(Shape{n_, steps_ * units_});
    for (std::int64_t t = 0; t < steps_; ++t) be.run(op::CopyColumns{step(hidden_, t + 1), outputs, n_, t * units_, true});
    return y_;
  }

  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    Backend& be = *backend_;
    for (Parameter* p : parameters()) be.run(op::Fill{p->grad});  // each step's gradients are summed into them
    ensure(dh_, be, Shape{n_, units_}, dtype_);
    ensure(dc_, be, Shape{n_, units_}, dtype_);
    for (auto& d : gate_grads_) ensure(d, be, Shape{n_, units_}, dtype_);
    ensure(dx_step_, be, Shape{n_, features_}, dtype_);
    be.run(op::Fill{dh_});
    be.run(op::Fill{dc_});
    const Tensor outputs_grad = dy.reshape(Shape{n_, return_sequences_ ? steps_ * units_ : units_});
    Tensor sequence_grad;
    if (need_input_grad) sequence_grad = ensure(dx_, be, x_shape_, dtype_).reshape(Shape{n_, steps_ * features_});
    for (std::int64_t t = steps_ - 1; t >= 0; --t) {
      // dL/dh_t: from the output at t, and through h_t into step t + 1 (dh_ holds that part).
      if (return_sequences_) {
        be.run(op::CopyColumns{product_, outputs_grad, n_, t * units_, false});
        be.run(op::Axpby{product_, dh_, 1.0, 1.0});
      } else if (t == steps_ - 1) {
        be.run(op::Copy{outputs_grad, dh_});
      }
      const Tensor i = step(gates_[0], t), f = step(gates_[1], t), g = step(gates_[2], t), o = step(gates_[3], t);
      const Tensor tanh_c = step(cell_tanh_, t), c_prev = step(cells_, t), x_t = step(inputs_, t), h_prev = step(hidden_, t);
      // Each gate's pre-activation gradient from its output's (d_o = dh tanh(c_t), ...), through the gate's function
      // at its saved output. dc gathers dh o tanh'(c_t) and the part that flowed back from step t + 1.
      be.run(op::Multiply{dh_, tanh_c, product_});
      be.run(op::ActivationGrad{Tensor(), o, product_, gate_grads_[3], Pointwise::Sigmoid});
      be.run(op::Multiply{dh_, o, product_});
      be.run(op::ActivationGrad{Tensor(), tanh_c, product_, product_, Pointwise::Tanh});
      be.run(op::Axpby{product_, dc_, 1.0, 1.0});
      be.run(op::Multiply{dc_, g, product_});
      be.run(op::ActivationGrad{Tensor(), i, product_, gate_grads_[0], Pointwise::Sigmoid});
      be.run(op::Multiply{dc_, c_prev, product_});
      be.run(op::ActivationGrad{Tensor(), f, product_, gate_grads_[1], Pointwise::Sigmoid});
      be.run(op::Multiply{dc_, i, product_});
      be.run(op::ActivationGrad{Tensor(), g, product_, gate_grads_[2], Pointwise::Tanh});
      be.run(op::Multiply{dc_, f, product_});  // what flows on to step t - 1
      be.run(op::Copy{product_, dc_});
      for (int k = 0; k < kGates; ++k) {
        const Tensor& da = gate_grads_[k];
        be.run(op::Gemm{.a = da, .b = x_t, .c = gate_rows(weight_ih_.grad, k), .trans_a = true, .beta = 1.0});
        be.run(op::Gemm{.a = da, .b = h_prev, .c = gate_rows(weight_hh_.grad, k), .trans_a = true, .beta = 1.0});
        if (use_bias_) be.run(op::SumRows{da, gate_rows(bias_ih_.grad, k), 1.0});
        if (need_input_grad) be.run(op::Gemm{.a = da, .b = gate_rows(weight_ih_.value, k), .c = dx_step_, .beta = k ? 1.0 : 0.0});
        be.run(op::Gemm{.a = da, .b = gate_rows(weight_hh_.value, k), .c = dh_, .beta = k ? 1.0 : 0.0});
      }
      if (need_input_grad) be.run(op::CopyColumns{dx_step_, sequence_grad, n_, t * features_, true});
    }
    if (use_bias_) be.run(op::Copy{bias_ih_.grad, bias_hh_.grad});  // both biases add to the same pre-activations
    gradients_written();
    if (!need_input_grad) dx_ = Tensor();
    return dx_;
  }

 private:
  std::int64_t units_;
  bool return_sequences_, use_bias_;
  Params weight_init_, bias_init_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  std::int64_t steps_ = 0, features_ = 0, n_ = 0;
  Shape x_shape_;
  Parameter weight_ih_, weight_hh_, bias_ih_, bias_hh_;
  Tensor inputs_, gates_[kGates], cells_, hidden_, cell_tanh_, product_, y_;
  Tensor dh_, dc_, gate_grads_[kGates], dx_step_, dx_;

  // Step t's (N, ...) block of a time-major buffer.
  Tensor step(const Tensor& t_major, std::int64_t t) const { return t_major.rows(t * n_, (t + 1) * n_); }
  // Gate k's rows of a [4 units, ...] weight or [4 units] bias.
  Tensor gate_rows(const Tensor& t, int k) const { return t.rows(k * units_, (k + 1) * units_); }
  Tensor gate_bias(const Parameter& bias, int k) const { return use_bias_ ? gate_rows(bias.value, k) : Tensor(); }
};

}  // namespace

NNPLUG_PLUGIN("lstm", "0.1.0", "layer:lstm", 0) {
  registrar.add_layer("lstm", [](const Params& p) { return std::make_unique<Lstm>(p); });
}
