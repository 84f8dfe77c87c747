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
  explicit Gru(const Params& p) : RecurrentLayer(p, "gru", kGates) {}

 private:
  // Every step's r, z, n and h W_hn^T + b_hn (which r scales, kept for the gradient of r).
  Tensor r_, z_, n_gate_, hidden_n_;
  Tensor dn_, da_r_, da_z_, da_n_, d_hidden_n_, dh_next_;

  void allocate_cell() override {
    for (Tensor* t : {&r_, &z_, &n_gate_, &hidden_n_}) steps_buffer(*t);
  }

  void step_forward(std::int64_t t) override {
    Backend& be = backend();
    const Tensor r = step(r_, t), z = step(z_, t), n = step(n_gate_, t), hn = step(hidden_n_, t);
    const Tensor h_prev = step(hidden_, t), h_t = step(hidden_, t + 1);
    for (int k : {kR, kZ}) {
      input_product(t, k, step(k == kR ? r_ : z_, t));
      hidden_product(t, k, step(k == kR ? r_ : z_, t), 1.0, Pointwise::Sigmoid);
    }
    hidden_product(t, kN, hn, 0.0);
    input_product(t, kN, n);
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
    for (Tensor* t : {&dn_, &da_r_, &da_z_, &da_n_, &d_hidden_n_, &dh_next_}) buffer(*t);
  }

  void step_backward(std::int64_t t, bool need_input_grad) override {
    Backend& be = backend();
    const Tensor r = step(r_, t), z = step(z_, t), n = step(n_gate_, t), hn = step(hidden_n_, t), h_prev = step(hidden_, t);
    // dh_next = dh z (h_t's direct path to h); dn = dh (1 - z); dz = dh (h - n).
    be.run(op::Multiply{dh_, z, dh_next_});
    be.run(op::Copy{dh_, dn_});
    be.run(op::Axpby{dh_next_, dn_, -1.0, 1.0});
    be.run(op::Copy{h_prev, product_});
    be.run(op::Axpby{n, product_, -1.0, 1.0});
    be.run(op::Multiply{dh_, product_, da_z_});
    be.run(op::ActivationGrad{Tensor(), z, da_z_, da_z_, Pointwise::Sigmoid});
    // n's pre-activation; through r (h W_hn^T + b_hn) to r's and to that product's.
    be.run(op::ActivationGrad{Tensor(), n, dn_, da_n_, Pointwise::Tanh});
    be.run(op::Multiply{da_n_, hn, product_});
    be.run(op::ActivationGrad{Tensor(), r, product_, da_r_, Pointwise::Sigmoid});
    be.run(op::Multiply{da_n_, r, d_hidden_n_});
    product_gradients(t, kR, da_r_, da_r_, need_input_grad, dh_next_);
    product_gradients(t, kZ, da_z_, da_z_, need_input_grad, dh_next_);
    product_gradients(t, kN, da_n_, d_hidden_n_, need_input_grad, dh_next_);
    be.run(op::Copy{dh_next_, dh_});
  }
};

}  // namespace

NNPLUG_PLUGIN("gru", "0.1.0", "layer:gru", 0) {
  registrar.add_layer("gru", [](const Params& p) { return std::make_unique<Gru>(p); });
}
