// Layer 'gru' (PyTorch's GRU with batch_first=True and one layer; Keras's GRU with reset_after=True, its default),
// on a sequence [steps, features] per sample (recurrent_layer.hpp: the output, the parameters and their names). At
// step t, in PyTorch's gate order r, z, n:
//   r = sigmoid(x_t W_ir^T + b_ir + h W_hr^T + b_hr);  z = sigmoid(x_t W_iz^T + b_iz + h W_hz^T + b_hz);
//   n = tanh(x_t W_in^T + b_in + r (h W_hn^T + b_hn));  h_t = (1 - z) n + z h,  with h = h_{t-1} and h_0 = 0.
// Per step, one product with the last h for all three gates (h W_hh^T + b_hh, kept apart from the inputs' part,
// as r scales n's block of it) and the cell as one op (op::GruCell).
#include "../shared/recurrent_layer.hpp"

namespace {

using namespace nnplug;

constexpr int kGates = 3;  // r, z, n

class Gru final : public RecurrentLayer {
 public:
  Gru(const Params& p, Direction direction, Stacking stacking) : RecurrentLayer(p, "gru", kGates, direction, stacking) {}

 private:
  // Every step's gates (their products with the inputs until the cell completes them), its product with h, and
  // the gradients of both.
  Tensor gates_, hidden_parts_, input_grads_, hidden_grads_;

  void allocate_cell() override {
    gates_buffer(gates_);
    gates_buffer(hidden_parts_);
  }
  Tensor input_part() override { return gates_; }
  Tensor input_part_grad() override { return input_grads_; }
  Tensor hidden_part_grad() override { return hidden_grads_; }

  void step_forward(std::int64_t t) override {
    const Tensor gates = step(gates_, t), hidden_part = step(hidden_parts_, t);
    hidden_product(t, hidden_part, 0.0);
    backend().run(op::GruCell{gates, hidden_part, step(hidden_, t), gates, step(hidden_, t + 1)});
  }

  void start_backward() override {
    gates_buffer(input_grads_);
    gates_buffer(hidden_grads_);
  }

  // The gates' gradients, and into dh_next_ the part of dL/dh_{t-1} through h_t = ... + z h_{t-1}.
  bool step_backward(std::int64_t t) override {
    backend().run(op::GruCellGrad{step(gates_, t), step(hidden_parts_, t), step(hidden_, t), dh_, step(input_grads_, t),
                                  step(hidden_grads_, t), dh_next_});
    return true;
  }
};

}  // namespace

NNPLUG_PLUGIN("gru", "0.1.0", "op:gru_step_mask layer:gru", 0) {
  const OpHandle step_mask = step_mask::define(registrar, "gru");
  registrar.add_layer("gru", [step_mask](const Params& p) { return make_recurrent<Gru>(p, step_mask); });
}
