// Layer 'gru' (PyTorch's GRU with batch_first=True and one layer; Keras's GRU with reset_after=True, its default),
// on a sequence [steps, features] per sample (recurrent_layer.hpp: the output, the parameters and their names). At
// step t, in PyTorch's gate order r, z, n:
//   r = sigmoid(x_t W_ir^T + b_ir + h W_hr^T + b_hr);  z = sigmoid(x_t W_iz^T + b_iz + h W_hz^T + b_hz);
//   n = tanh(x_t W_in^T + b_in + r (h W_hn^T + b_hn));  h_t = (1 - z) n + z h,  with h = h_{t-1} and h_0 = 0.
#include "../shared/recurrent_layer.hpp"

namespace {

using namespace nnplug;

constexpr int kGates = 3;  // r, z, n
constexpr int kR = 0, kZ = 1, kN = 2;

class Gru final : public RecurrentLayer {
 public:
  Gru(const Params& p, Direction direction, Stacking stacking) : RecurrentLayer(p, "gru", kGates, direction, stacking) {}

 private:
  // Every step's r, z and n (their products with the inputs until step_forward completes them) and h W_hn^T + b_hn,
  // which r scales; the gradients of the gates' pre-activations and of h W_hn^T + b_hn.
  Tensor r_, z_, n_gate_, hidden_n_, da_r_, da_z_, da_n_, d_hidden_n_, dn_;

  void allocate_cell() override {
    for (Tensor* t : {&r_, &z_, &n_gate_, &hidden_n_}) steps_buffer(*t);
  }
  Tensor input_part(int k) override { return k == kR ? r_ : k == kZ ? z_ : n_gate_; }
  Tensor input_part_grad(int k) override { return k == kR ? da_r_ : k == kZ ? da_z_ : da_n_; }
  Tensor hidden_part_grad(int k) override { return k == kR ? da_r_ : k == kZ ? da_z_ : d_hidden_n_; }

  void step_forward(std::int64_t t) override {
    Backend& be = backend();
    const Tensor r = step(r_, t), z = step(z_, t), n = step(n_gate_, t), hn = step(hidden_n_, t);
    const Tensor h_prev = step(hidden_, t), h_t = step(hidden_, t + 1);
    hidden_product(t, kR, r, 1.0, Pointwise::Sigmoid);
    hidden_product(t, kZ, z, 1.0, Pointwise::Sigmoid);
    hidden_product(t, kN, hn, 0.0);
    be.run(op::Multiply{r, hn, product_});
    be.run(op::Axpby{product_, n, 1.0, 1.0});
    be.run(op::Activation{n, n, Pointwise::Tanh});
    // h_t = z (h - n) + n
    be.run(op::Copy{h_prev, product_});
    be.run(op::Axpby{n, product_, -1.0, 1.0});
    be.run(op::Multiply{z, product_, h_t});
    be.run(op::Axpby{n, h_t, 1.0, 1.0});
  }

  void start_backward() override {
    for (Tensor* t : {&da_r_, &da_z_, &da_n_, &d_hidden_n_}) steps_buffer(*t);
    buffer(dn_);
  }

  void step_backward(std::int64_t t) override {
    Backend& be = backend();
    const Tensor r = step(r_, t), z = step(z_, t), n = step(n_gate_, t), hn = step(hidden_n_, t), h_prev = step(hidden_, t);
    const Tensor da_r = step(da_r_, t), da_z = step(da_z_, t), da_n = step(da_n_, t);
    // dh_next = dh z (h_t's direct path to h); dn = dh (1 - z); dz = dh (h - n).
    be.run(op::Multiply{dh_, z, dh_next_});
    be.run(op::Copy{dh_, dn_});
    be.run(op::Axpby{dh_next_, dn_, -1.0, 1.0});
    be.run(op::Copy{h_prev, product_});
    be.run(op::Axpby{n, product_, -1.0, 1.0});
    be.run(op::Multiply{dh_, product_, da_z});
    be.run(op::ActivationGrad{Tensor(), z, da_z, da_z, Pointwise::Sigmoid});
    // n's pre-activation; through r (h W_hn^T + b_hn) to r's and to that product's.
    be.run(op::ActivationGrad{Tensor(), n, dn_, da_n, Pointwise::Tanh});
    be.run(op::Multiply{da_n, hn, product_});
    be.run(op::ActivationGrad{Tensor(), r, product_, da_r, Pointwise::Sigmoid});
    be.run(op::Multiply{da_n, r, step(d_hidden_n_, t)});
  }
};

}  // namespace

NNPLUG_PLUGIN("gru", "0.1.0", "op:gru_step_mask layer:gru", 0) {
  const OpHandle step_mask = step_mask::define(registrar, "gru");
  registrar.add_layer("gru", [step_mask](const Params& p) { return make_recurrent<Gru>(p, step_mask); });
}
