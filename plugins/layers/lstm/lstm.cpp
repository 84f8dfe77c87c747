// Layer 'lstm' (PyTorch's LSTM with batch_first=True and one layer; Keras's LSTM), on a sequence [steps, features]
// per sample (recurrent_layer.hpp: the output, the parameters and their names). At step t, with each gate's
// pre-activation a_k = x_t W_ih[k]^T + b_ih[k] + h_{t-1} W_hh[k]^T + b_hh[k], in PyTorch's order k = i, f, g, o:
//   i, f, o = sigmoid(a_i, a_f, a_o);  g = tanh(a_g);  c_t = f c_{t-1} + i g;  h_t = o tanh(c_t);  h_0 = c_0 = 0.
// Per step, one product with the last h for all four gates, which adds the inputs' part and the bias, and the cell
// as one op (op::LstmCell).
#include "../shared/recurrent_layer.hpp"

namespace {

using namespace nnplug;

constexpr int kGates = 4;  // i, f, g, o

class Lstm final : public RecurrentLayer {
 public:
  Lstm(const Params& p, Direction direction, Stacking stacking) : RecurrentLayer(p, "lstm", kGates, direction, stacking) {}

 private:
  // Every step's gates (their pre-activations until the cell applies the functions) and their gradients; the cell
  // state c_0 .. c_T and tanh(c_1) .. tanh(c_T).
  Tensor gates_, gate_grads_, cells_, cell_tanh_, dc_;

  void allocate_cell() override {
    gates_buffer(gates_);
    ensure(cells_, backend(), hidden_.shape(), hidden_.dtype());
    steps_buffer(cell_tanh_);
  }
  Tensor input_part() override { return gates_; }
  Tensor cell_state() override { return cells_; }
  Tensor cell_state_grad() override { return dc_; }
  Tensor input_part_grad() override { return gate_grads_; }
  Tensor hidden_part_grad() override { return gate_grads_; }  // both products add to the one pre-activation

  void step_forward(std::int64_t t) override {
    if (t == 0) backend().run(op::Fill{step(cells_, 0)});
    const Tensor gates = step(gates_, t);
    hidden_product(t, gates, 1.0);
    backend().run(op::LstmCell{gates, step(cells_, t), step(cells_, t + 1), step(cell_tanh_, t), step(hidden_, t + 1)});
  }

  void start_backward() override {
    backend().run(op::Fill{buffer(dc_)});
    gates_buffer(gate_grads_);
  }

  // The gates' gradients from dh and dc (which the cell turns into dL/dc_{t-1}); h_{t-1} reaches h_t through the
  // gates' product alone.
  bool step_backward(std::int64_t t) override {
    backend().run(op::LstmCellGrad{step(gates_, t), step(cells_, t), step(cell_tanh_, t), dh_, dc_, step(gate_grads_, t)});
    return false;
  }
};

}  // namespace

NNPLUG_PLUGIN("lstm", "0.1.0", "op:lstm_step_mask layer:lstm", 0) {
  const OpHandle step_mask = step_mask::define(registrar, "lstm");
  registrar.add_layer("lstm", [step_mask](const Params& p) { return make_recurrent<Lstm>(p, step_mask); });
}
