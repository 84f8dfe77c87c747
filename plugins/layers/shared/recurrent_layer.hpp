#pragma once
// What the recurrent layers (lstm, gru) share. Each sample is a sequence of T steps of F features, [T, F]; the
// output is the last step's h, [units] (Keras's default), or every step's, [T, units], with "return_sequences":
// true (PyTorch's output). The parameters are PyTorch's, for G gates: weight_ih_l0 [G units, F], weight_hh_l0
// [G units, units], bias_ih_l0 and bias_hh_l0 [G units], each gate's rows in PyTorch's order, so that state dicts
// load both ways; initialized uniform in +-1/sqrt(units) as PyTorch does (weight_init and bias_init say otherwise).
//
// The layer keeps time-major copies of the inputs and of h_0 .. h_T (step t's rows of each are one contiguous
// (N, ...) block), and each step's gates side by side in one (N, G units) block, PyTorch's gate order along the
// columns, as the weights' rows are. What does not depend on the last h is done for every step at once: the
// gates' product with the inputs (one product of T N rows by G units, not T of N), and after the pass back
// through time the weights' and biases' gradients, from every step's gradients of the gates' pre-activations,
// and dL/dx. Only the product with h (all gates in one) and the cell (one op: op::LstmCell, op::GruCell) go step
// by step; a cell's step_backward turns dL/dh_t (dh_) into dL/dh_{t-1}.
//
// "bidirectional": true (PyTorch's bidirectional=True, Keras's Bidirectional wrapper with its merge_mode "concat")
// reads the sequence both ways with a layer of each Direction (make_recurrent) and puts their outputs side by side.
// "num_layers": L (PyTorch's num_layers) stacks L such layers, each reading every step of the one before
// (StackedRecurrent), with PyTorch's "dropout" between them.
//
// "mask_zero": true skips the steps whose inputs are all zero (an embedding's padding_idx rows: Keras's
// Embedding(mask_zero=True) or Masking(0.0) before the layer), as PyTorch runs a packed sequence
// (pack_padded_sequence): a skipped step leaves the state (h, and an LSTM's c) as it was, outputs zeros (so that a
// layer after it sees the step skipped too), and gets no gradient, nor passes one to its input; the final state is
// each sample's at its last step that counts (the first, reading in reverse). Which steps count is an op of the
// plugin (step_mask.hpp).
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "nnplug/counter_random.hpp"
#include "nnplug/plugin.hpp"
#include "step_mask.hpp"

namespace nnplug {

// Which way a layer reads its sequence: from the first step, or from the last (the second direction of a
// bidirectional layer, whose parameters PyTorch names with the suffix "_reverse"). Its step t reads the sequence's
// step T - 1 - t then, and writes that step's output.
enum class Direction { Forward, Reverse };

// Where a layer stands in a stack of num_layers: its index, the l of PyTorch's parameter names (weight_ih_l1), and
// whether it is the last, whose output the spec's return_sequences chooses (the others give every step to the next).
struct Stacking {
  std::int64_t layer = 0;
  bool last = true;
};

class RecurrentLayer : public Layer {
 public:
  RecurrentLayer(const Params& p, std::string type, int gates, Direction direction, Stacking stacking)
      : units_(p.require_integer("units", 1, std::int64_t{1} << 30)),
        type_(std::move(type)),
        gate_count_(gates),
        direction_(direction),
        layer_(stacking.layer),
        return_sequences_(p.boolean("return_sequences", false) || !stacking.last),
        use_bias_(p.boolean("bias", true)),
        weight_init_(p.has("weight_init") ? p.child("weight_init", "zeros") : uniform_init(units_)),
        bias_init_(p.has("bias_init") ? p.child("bias_init", "zeros") : uniform_init(units_)) {
    p.check_unused();
  }

  std::string type() const final { return type_; }

  // Skips the steps whose inputs are all zero ("mask_zero"), finding them with this op.
  void skip_zero_steps(OpHandle step_mask) { step_mask_ = std::move(step_mask); }

  Shape build(const Shape& input, const BuildContext& ctx) final {
    if (input.rank() != 2)
      throw ShapeError(fmt::format("{} expects a sequence per sample, [steps, features], got {} (a reshape layer makes one: an "
                                   "image's rows are 28 steps of 28 features)",
                                   type_, input.str()));
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    steps_ = input[0], features_ = input[1];
    if (step_mask_) step_mask_->on(ctx.backend, ctx.dtype);  // refused now where no kernel runs
    const std::int64_t rows = gate_count_ * units_;
    const std::string suffix = fmt::format("_l{}{}", layer_, direction_ == Direction::Reverse ? "_reverse" : "");
    auto parameter = [&](const char* name, const Shape& shape, const Params& init) {
      return Parameter{name + suffix, ctx.backend.empty(shape, dtype_), ctx.backend.empty(shape, dtype_), true, init, shape[shape.rank() - 1],
                       units_};
    };
    weight_ih_ = parameter("weight_ih", {rows, features_}, weight_init_);
    weight_hh_ = parameter("weight_hh", {rows, units_}, weight_init_);
    if (use_bias_) {
      bias_ih_ = parameter("bias_ih", {rows}, bias_init_);
      bias_hh_ = parameter("bias_hh", {rows}, bias_init_);
    }
    return return_sequences_ ? Shape{steps_, units_} : Shape{units_};
  }

  std::vector<Parameter*> parameters() final {
    if (use_bias_) return {&weight_ih_, &weight_hh_, &bias_ih_, &bias_hh_};
    return {&weight_ih_, &weight_hh_};
  }

  const Tensor& forward(const Tensor& x) final {
    Backend& be = *backend_;
    x_shape_ = x.shape();
    n_ = x.dim(0);
    const Tensor sequence = x.reshape(Shape{n_, steps_ * features_});
    ensure(inputs_, be, Shape{steps_ * n_, features_}, dtype_);
    ensure(hidden_, be, Shape{(steps_ + 1) * n_, units_}, dtype_);  // h_0 .. h_T
    ensure(product_, be, Shape{n_, units_}, dtype_);
    allocate_cell();
    be.run(op::Fill{step(hidden_, 0)});
    for (std::int64_t t = 0; t < steps_; ++t) be.run(op::CopyColumns{step(inputs_, t), sequence, n_, position(t) * features_, false});
    // x_t W_ih^T + b_ih for every t, into the gates' time-major buffer.
    be.run(op::Gemm{.a = inputs_, .b = weight_ih_.value, .c = input_part(), .trans_b = true, .bias = bias(bias_ih_)});
    if (step_mask_) {
      ensure(skipped_, be, steps_buffer(kept_).shape(), dtype_);
      step_mask_->on(inputs_)({inputs_}, {kept_, skipped_}, {{"units", units_}});
    }
    for (std::int64_t t = 0; t < steps_; ++t) {
      step_forward(t);
      if (step_mask_) keep_state_where_skipped(t);
    }
    if (!return_sequences_) {
      ensure(y_, be, Shape{n_, units_}, dtype_);
      be.run(op::Copy{step(hidden_, steps_), y_});
      return y_;
    }
    ensure(y_, be, Shape{n_, steps_, units_}, dtype_);
    const Tensor outputs = y_.reshape(Shape{n_, steps_ * units_});
    for (std::int64_t t = 0; t < steps_; ++t) {
      const Tensor h = step(hidden_, t + 1);
      if (step_mask_) be.run(op::Multiply{h, step(kept_, t), product_});  // a skipped step outputs zeros
      be.run(op::CopyColumns{step_mask_ ? product_ : h, outputs, n_, position(t) * units_, true});
    }
    return y_;
  }

  const Tensor& backward(const Tensor& dy, bool need_input_grad) final {
    Backend& be = *backend_;
    ensure(dh_, be, Shape{n_, units_}, dtype_);
    ensure(dh_next_, be, Shape{n_, units_}, dtype_);
    be.run(op::Fill{dh_});
    start_backward();
    const Tensor outputs_grad = dy.reshape(Shape{n_, return_sequences_ ? steps_ * units_ : units_});
    for (std::int64_t t = steps_ - 1; t >= 0; --t) {
      // dL/dh_t: from the output at t, and through h_t into step t + 1 (which dh_ holds).
      if (return_sequences_) {
        be.run(op::CopyColumns{product_, outputs_grad, n_, position(t) * units_, false});
        if (step_mask_) be.run(op::Multiply{product_, step(kept_, t), product_});
        be.run(op::Axpby{product_, dh_, 1.0, 1.0});
      } else if (t == steps_ - 1) {
        be.run(op::Copy{outputs_grad, dh_});
      }
      if (step_mask_) hold_back_skipped(t);
      const bool direct_part = step_backward(t);
      // dL/dh_{t-1}: through the gates' product with h, and what the cell left in dh_next_ where it left any.
      be.run(op::Gemm{.a = step(hidden_part_grad(), t), .b = weight_hh_.value, .c = dh_next_, .beta = direct_part ? 1.0 : 0.0});
      if (step_mask_) pass_on_skipped();
      std::swap(dh_, dh_next_);
    }
    // Every step's gradients of the gates' pre-activations, T N rows, against the inputs and h_0 .. h_{T-1}.
    const Tensor input = input_part_grad(), hidden = hidden_part_grad();
    be.run(op::Gemm{.a = input, .b = inputs_, .c = weight_ih_.grad, .trans_a = true});
    be.run(op::Gemm{.a = hidden, .b = hidden_.rows(0, steps_ * n_), .c = weight_hh_.grad, .trans_a = true});
    if (use_bias_) {
      be.run(op::SumRows{input, bias_ih_.grad});
      // Where both products add to one pre-activation (an LSTM's gates), both biases have the same gradient.
      if (hidden.buffer() == input.buffer() && hidden.offset() == input.offset()) be.run(op::Copy{bias_ih_.grad, bias_hh_.grad});
      else be.run(op::SumRows{hidden, bias_hh_.grad});
    }
    gradients_written();
    if (!need_input_grad) {
      dx_ = Tensor();
      return dx_;
    }
    be.run(op::Gemm{.a = input, .b = weight_ih_.value, .c = ensure(inputs_grad_, be, inputs_.shape(), dtype_)});
    const Tensor sequence_grad = ensure(dx_, be, x_shape_, dtype_).reshape(Shape{n_, steps_ * features_});
    for (std::int64_t t = 0; t < steps_; ++t)
      be.run(op::CopyColumns{step(inputs_grad_, t), sequence_grad, n_, position(t) * features_, true});
    return dx_;
  }

 protected:
  // The cell's own buffers for a forward pass of n_ samples (time-major, as hidden_).
  virtual void allocate_cell() = 0;
  // Where the gates' product with the inputs, x_t W_ih^T + b_ih, goes for every step (time-major, T N rows of
  // G units).
  virtual Tensor input_part() = 0;
  // Writes h_{t+1}'s block of hidden_ from step t's input parts and h_t.
  virtual void step_forward(std::int64_t t) = 0;
  // Before the first step back: the cell's buffers of gradients, and those that run through time (LSTM's dL/dc)
  // at 0.
  virtual void start_backward() = 0;
  // Every step's gradient of the gates' product with the inputs and of their product with h (time-major, T N rows
  // of G units; the same buffer where both add to one pre-activation).
  virtual Tensor input_part_grad() = 0;
  virtual Tensor hidden_part_grad() = 0;
  // From dL/dh_t in dh_: writes step t's blocks of input_part_grad and hidden_part_grad, and into dh_next_ the part
  // of dL/dh_{t-1} that does not go through the products with h (GRU's z h). Returns whether there is such a part
  // (an LSTM's and an RNN's h_{t-1} reach h_t through the product alone: they leave dh_next_ as it is).
  virtual bool step_backward(std::int64_t t) = 0;
  // A state the cell carries besides h (an LSTM's c): time-major, (T + 1) N rows as hidden_, and the buffer of its
  // gradient that runs back through time (dL/dc_{t+1} before step_backward(t), dL/dc_t after). None by default.
  virtual Tensor cell_state() { return Tensor(); }
  virtual Tensor cell_state_grad() { return Tensor(); }

  Backend& backend() const { return *backend_; }
  // The sequence's step that step t reads and writes.
  std::int64_t position(std::int64_t t) const { return direction_ == Direction::Reverse ? steps_ - 1 - t : t; }
  // Step t's (N, ...) block of a time-major buffer.
  Tensor step(const Tensor& time_major, std::int64_t t) const { return time_major.rows(t * n_, (t + 1) * n_); }
  Tensor bias(const Parameter& b) const { return use_bias_ ? b.value : Tensor(); }
  // A buffer the size of one step's h, for the cell's arithmetic.
  Tensor& buffer(Tensor& t) const { return ensure(t, *backend_, Shape{n_, units_}, dtype_); }
  // A time-major buffer of every step's (N, units) values, or of every step's gates, (N, G units).
  Tensor& steps_buffer(Tensor& t) const { return ensure(t, *backend_, Shape{steps_ * n_, units_}, dtype_); }
  Tensor& gates_buffer(Tensor& t) const { return ensure(t, *backend_, Shape{steps_ * n_, gate_count_ * units_}, dtype_); }

  // out = f(h_t W_hh^T + b_hh + beta out): the gates' product with the last h, with a function f.
  void hidden_product(std::int64_t t, const Tensor& out, double beta, Pointwise f = Pointwise::Identity) const {
    backend_->run(
        op::Gemm{.a = step(hidden_, t), .b = weight_hh_.value, .c = out, .trans_b = true, .beta = beta, .bias = bias(bias_hh_), .epilogue = f});
  }

  std::int64_t units_, n_ = 0;
  Tensor hidden_, product_, dh_, dh_next_;

 private:
  std::optional<OpHandle> step_mask_;  // "mask_zero": the op that finds the steps that count
  Tensor kept_, skipped_;              // its outputs for every step, time-major (T N rows of units)
  Tensor held_h_, held_c_;             // a skipped step's gradients of h and c, held back past it

  // The states step t wrote, h_{t+1} (and c_{t+1}), made kept * new + skipped * old: the old on a skipped step.
  void keep_state_where_skipped(std::int64_t t) {
    for (const Tensor& state : {hidden_, cell_state()}) {
      if (!state.defined()) continue;
      const Tensor now = step(state, t + 1);
      backend_->run(op::Multiply{now, step(kept_, t), now});
      backend_->run(op::Multiply{step(state, t), step(skipped_, t), product_});
      backend_->run(op::Axpby{product_, now, 1.0, 1.0});
    }
  }
  // Before step t goes back: the gradients of its states held back where it was skipped (they pass on unchanged to
  // the step before), and the step's own cell sees them only where it counted.
  void hold_back_skipped(std::int64_t t) {
    const Tensor cell_grad = cell_state_grad();
    for (const auto& [grad, held] : {std::pair{dh_, &held_h_}, std::pair{cell_grad, &held_c_}}) {
      if (!grad.defined()) continue;
      backend_->run(op::Multiply{grad, step(skipped_, t), buffer(*held)});
      backend_->run(op::Multiply{grad, step(kept_, t), grad});
    }
  }
  // After: the held back gradients added to those of the step before (dh_next_, and the cell's).
  void pass_on_skipped() {
    backend_->run(op::Axpby{held_h_, dh_next_, 1.0, 1.0});
    if (const Tensor cell_grad = cell_state_grad(); cell_grad.defined()) backend_->run(op::Axpby{held_c_, cell_grad, 1.0, 1.0});
  }

  std::string type_;
  int gate_count_;
  Direction direction_;
  std::int64_t layer_;
  bool return_sequences_, use_bias_;
  Params weight_init_, bias_init_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  std::int64_t steps_ = 0, features_ = 0;
  Shape x_shape_;
  Parameter weight_ih_, weight_hh_, bias_ih_, bias_hh_;
  Tensor inputs_, y_, inputs_grad_, dx_;

  static Params uniform_init(std::int64_t units) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(units));
    return Params("", {{"type", "uniform"}, {"a", -bound}, {"b", bound}});
  }
};

// Both directions' layers, their outputs side by side along the last axis: each step's [forward h, reverse h],
// [T, 2 units], or the two final states, [2 units] (PyTorch's h_n of both directions, Keras's Bidirectional output).
// The parameters are the forward layer's, then the reverse one's.
class Bidirectional final : public Layer {
 public:
  Bidirectional(std::unique_ptr<RecurrentLayer> forward, std::unique_ptr<RecurrentLayer> reverse)
      : forward_(std::move(forward)), reverse_(std::move(reverse)) {}
  std::string type() const override { return forward_->type(); }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    backend_ = &ctx.backend;
    one_way_ = forward_->build(input, ctx);
    reverse_->build(input, ctx);
    units_ = one_way_[one_way_.rank() - 1];
    Shape both = one_way_;
    both[both.rank() - 1] = 2 * units_;
    return both;
  }
  std::vector<Parameter*> parameters() override {
    auto all = forward_->parameters();
    for (Parameter* p : reverse_->parameters()) all.push_back(p);
    return all;
  }

  const Tensor& forward(const Tensor& x) override {
    const Tensor& a = forward_->forward(x);
    const Tensor& b = reverse_->forward(x);
    Shape both = a.shape();
    both[both.rank() - 1] = 2 * units_;
    rows_ = a.numel() / units_;  // N, or N T
    backend_->run(op::CopyColumns{a, ensure(y_, *backend_, both, a.dtype()), rows_, 0, true});
    backend_->run(op::CopyColumns{b, y_, rows_, units_, true});
    return y_;
  }

  // dL/dx is the sum of both directions', added into the forward layer's (its buffer until its next forward).
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    const Shape one_way = one_way_.with_batch(dy.dim(0));
    backend_->run(op::CopyColumns{ensure(dy_forward_, *backend_, one_way, dy.dtype()), dy, rows_, 0, false});
    backend_->run(op::CopyColumns{ensure(dy_reverse_, *backend_, one_way, dy.dtype()), dy, rows_, units_, false});
    const Tensor& dx = forward_->backward(dy_forward_, need_input_grad);
    const Tensor& dx_reverse = reverse_->backward(dy_reverse_, need_input_grad);
    if (need_input_grad) backend_->run(op::Axpby{dx_reverse, dx, 1.0, 1.0});
    return dx;
  }

 private:
  std::unique_ptr<RecurrentLayer> forward_, reverse_;
  Backend* backend_ = nullptr;
  Shape one_way_;
  std::int64_t units_ = 0, rows_ = 0;
  Tensor y_, dy_forward_, dy_reverse_;
};

// num_layers recurrent layers (each one way or both ways), each reading every step of the one before, with inverted
// dropout (PyTorch's "dropout", the probability of dropping) on every layer's output but the last while training, its
// masks drawn as the dropout layer draws them. The parameters are each layer's in turn.
class StackedRecurrent final : public Layer {
 public:
  StackedRecurrent(std::vector<std::unique_ptr<Layer>> layers, double rate) : layers_(std::move(layers)), rate_(rate) {
    outputs_.resize(layers_.size());
    masks_.resize(layers_.size());
  }
  std::string type() const override { return layers_.front()->type(); }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    backend_ = &ctx.backend;
    seed_ = ctx.seed;
    Shape shape = input;
    for (auto& layer : layers_) shape = layer->build(shape, ctx);
    return shape;
  }
  std::vector<Parameter*> parameters() override {
    std::vector<Parameter*> all;
    for (auto& layer : layers_)
      for (Parameter* p : layer->parameters()) all.push_back(p);
    return all;
  }
  void set_training(bool training) override { training_ = training; }
  void set_sample_offset(std::int64_t first) override { first_sample_ = first; }
  std::vector<std::uint64_t> counters() const override { return {calls_}; }
  void set_counters(const std::vector<std::uint64_t>& values) override {
    if (values.size() != 1) throw InvalidArgument(fmt::format("{}: expected 1 counter, got {}", type(), values.size()));
    calls_ = values[0];
  }

  const Tensor& forward(const Tensor& x) override {
    dropping_ = training_ && rate_ > 0.0;
    const Tensor* in = &x;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      const Tensor& y = layers_[l]->forward(*in);
      in = &y;
      if (!dropping_ || l + 1 == layers_.size()) continue;
      ensure(outputs_[l], *backend_, y.shape(), y.dtype());
      ensure(masks_[l], *backend_, y.shape(), y.dtype());
      const auto first = static_cast<std::uint64_t>(first_sample_ * (y.numel() / std::max<std::int64_t>(y.dim(0), 1)));
      backend_->run(op::Dropout{y, outputs_[l], masks_[l], DropoutKind::Inverted, rate_, counter_random::mix(seed_, calls_++), first});
      in = &outputs_[l];
    }
    return *in;
  }

  // Every layer but the first needs its input's gradient, to pass it on through the dropout mask before it.
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    const Tensor* grad = &dy;
    for (std::size_t l = layers_.size(); l-- > 0;) {
      if (dropping_ && l + 1 < layers_.size()) {
        backend_->run(op::Multiply{*grad, masks_[l], ensure(dropped_grad_, *backend_, grad->shape(), grad->dtype())});
        grad = &dropped_grad_;
      }
      grad = &layers_[l]->backward(*grad, l > 0 || need_input_grad);
    }
    return *grad;
  }

 private:
  std::vector<std::unique_ptr<Layer>> layers_;
  double rate_;
  Backend* backend_ = nullptr;
  std::uint64_t seed_ = 0, calls_ = 0;
  std::int64_t first_sample_ = 0;
  bool training_ = true, dropping_ = false;
  std::vector<Tensor> outputs_, masks_;  // each layer's output after dropout, and its mask
  Tensor dropped_grad_;
};

// The layer a spec asks for: a Cell (made from the spec, a Direction and its Stacking) reading forward, or both ways;
// one, or num_layers stacked; with "mask_zero", each skipping the steps that step_mask finds all zero.
template <class Cell>
std::unique_ptr<Layer> make_recurrent(const Params& p, const OpHandle& step_mask) {
  const bool mask_zero = p.boolean("mask_zero", false);
  const std::int64_t count = p.integer("num_layers", 1, 1, 64);
  const double rate = p.number("dropout", 0.0);
  if (!(rate >= 0.0 && rate < 1.0)) p.fail("dropout", fmt::format("must be in [0, 1) (the probability of dropping), got {}", rate));
  if (rate > 0.0 && count == 1)
    p.fail("dropout", "is PyTorch's, between stacked layers, and needs num_layers of 2 or more (a dropout layer before this one drops its "
                      "inputs, as Keras's dropout does)");
  const bool both_ways = p.boolean("bidirectional", false);
  std::vector<std::unique_ptr<Layer>> layers;
  for (std::int64_t l = 0; l < count; ++l) {
    const auto cell = [&](Direction direction) {
      auto made = std::make_unique<Cell>(p, direction, Stacking{l, l + 1 == count});
      if (mask_zero) made->skip_zero_steps(step_mask);
      return made;
    };
    if (!both_ways) layers.push_back(cell(Direction::Forward));
    else layers.push_back(std::make_unique<Bidirectional>(cell(Direction::Forward), cell(Direction::Reverse)));
  }
  if (count == 1) return std::move(layers.front());
  return std::make_unique<StackedRecurrent>(std::move(layers), rate);
}

}  // namespace nnplug
