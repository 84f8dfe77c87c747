// Layer 'lstm' (PyTorch's LSTM with batch_first=True and one layer; Keras's LSTM), on a sequence [steps, features]
// per sample (recurrent_layer.hpp: the output, the parameters and their names). At step t, with each gate's
// pre-activation a_k = x_t W_ih[k]^T + b_ih[k] + h_{t-1} W_hh[k]^T + b_hh[k], in PyTorch's order k = i, f, g, o:
//   i, f, o = sigmoid(a_i, a_f, a_o);  g = tanh(a_g);  c_t = f c_{t-1} + i g;  h_t = o tanh(c_t);  h_0 = c_0 = 0.
// Per step and gate, a product with the last h whose output pass adds the input's part and the bias and applies the
// gate's function (op::Gemm's epilogue); the cell is element-wise ops.
#include "../shared/recurrent_layer.hpp"

namespace {

using namespace nnplug;

constexpr int kGates = 4;  // i, f, g, o
constexpr Pointwise kGateFunction[kGates] = {Pointwise::Sigmoid, Pointwise::Sigmoid, Pointwise::Tanh, Pointwise::Sigmoid};

class Lstm final : public RecurrentLayer {
 public:
  Lstm(const Params& p, Direction direction, Stacking stacking) : RecurrentLayer(p, "lstm", kGates, direction, stacking) {}

 private:
  // Every step's gates (their pre-activations until step_forward applies the functions) and their gradients; the
  // cell state c_0 .. c_T and tanh(c_1) .. tanh(c_T).
  Tensor gates_[kGates], gate_grads_[kGates], cells_, cell_tanh_, dc_;

  void allocate_cell() override {
    for (auto& gate : gates_) steps_buffer(gate);
    ensure(cells_, backend(), hidden_.shape(), hidden_.dtype());
    steps_buffer(cell_tanh_);
  }
  Tensor input_part(int k) override { return gates_[k]; }
  Tensor cell_state() override { return cells_; }
  Tensor cell_state_grad() override { return dc_; }
  Tensor input_part_grad(int k) override { return gate_grads_[k]; }
  Tensor hidden_part_grad(int k) override { return gate_grads_[k]; }  // both products add to the one pre-activation

  void step_forward(std::int64_t t) override {
    Backend& be = backend();
    if (t == 0) be.run(op::Fill{step(cells_, 0)});
    for (int k = 0; k < kGates; ++k) hidden_product(t, k, step(gates_[k], t), 1.0, kGateFunction[k]);
    const Tensor i = step(gates_[0], t), f = step(gates_[1], t), g = step(gates_[2], t), o = step(gates_[3], t);
    const Tensor c_t = step(cells_, t + 1), tanh_c = step(cell_tanh_, t);
    be.run(op::Multiply{f, step(cells_, t), c_t});
    be.run(op::Multiply{i, g, product_});
    be.run(op::Axpby{product_, c_t, 1.0, 1.0});
    be.run(op::Activation{c_t, tanh_c, Pointwise::Tanh});
    be.run(op::Multiply{o, tanh_c, step(hidden_, t + 1)});
  }

  void start_backward() override {
    backend().run(op::Fill{buffer(dc_)});
    for (auto& d : gate_grads_) steps_buffer(d);
  }

  void step_backward(std::int64_t t) override {
    Backend& be = backend();
    const Tensor i = step(gates_[0], t), f = step(gates_[1], t), g = step(gates_[2], t), o = step(gates_[3], t);
    const Tensor tanh_c = step(cell_tanh_, t), c_prev = step(cells_, t);
    // Each gate's pre-activation gradient from its output's (d_o = dh tanh(c_t), ...), through the gate's function
    // at its saved output. dc gathers dh o tanh'(c_t) and the part that flowed back from step t + 1.
    be.run(op::Multiply{dh_, tanh_c, product_});
    be.run(op::ActivationGrad{Tensor(), o, product_, step(gate_grads_[3], t), Pointwise::Sigmoid});
    be.run(op::Multiply{dh_, o, product_});
    be.run(op::ActivationGrad{Tensor(), tanh_c, product_, product_, Pointwise::Tanh});
    be.run(op::Axpby{product_, dc_, 1.0, 1.0});
    be.run(op::Multiply{dc_, g, product_});
    be.run(op::ActivationGrad{Tensor(), i, product_, step(gate_grads_[0], t), Pointwise::Sigmoid});
    be.run(op::Multiply{dc_, c_prev, product_});
    be.run(op::ActivationGrad{Tensor(), f, product_, step(gate_grads_[1], t), Pointwise::Sigmoid});
    be.run(op::Multiply{dc_, i, product_});
    be.run(op::ActivationGrad{Tensor(), g, product_, step(gate_grads_[2], t), Pointwise::Tanh});
    be.run(op::Multiply{dc_, f, product_});  // what flows on to step t - 1
    be.run(op::Copy{product_, dc_});
    be.run(op::Fill{dh_next_});  // h_{t-1} reaches h_t through the gates' products alone
  }
};

}  // namespace

NNPLUG_PLUGIN("lstm", "0.1.0", "op:lstm_step_mask layer:lstm", 0) {
  const OpHandle step_mask = step_mask::define(registrar, "lstm");
  registrar.add_layer("lstm", [step_mask](const Params& p) { return make_recurrent<Lstm>(p, step_mask); });
}
