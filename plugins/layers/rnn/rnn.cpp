// Layer 'rnn' (PyTorch's RNN with batch_first=True and one layer; Keras's SimpleRNN), the plain recurrent layer of
// the textbooks, on a sequence [steps, features] per sample (recurrent_layer.hpp: the output, the parameters and
// their names). At step t:  h_t = f(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh),  h_0 = 0,  with f "tanh" (the
// default) or "relu" as PyTorch's nonlinearity says.
#include <fmt/format.h>

#include "../shared/recurrent_layer.hpp"

namespace {

using namespace nnplug;

// "nonlinearity", read before the recurrent layer's constructor checks for unknown keys.
const Params& accepting_nonlinearity(const Params& p) {
  p.accept({"nonlinearity"});
  return p;
}

Pointwise nonlinearity(const Params& p) {
  const std::string f = p.string("nonlinearity", "tanh");
  if (f != "tanh" && f != "relu") p.fail("nonlinearity", fmt::format("must be \"tanh\" or \"relu\", got \"{}\"", f));
  return f == "tanh" ? Pointwise::Tanh : Pointwise::Relu;
}

class Rnn final : public RecurrentLayer {
 public:
  Rnn(const Params& p, Direction direction, Stacking stacking)
      : RecurrentLayer(accepting_nonlinearity(p), "rnn", 1, direction, stacking), f_(nonlinearity(p)) {}

 private:
  Pointwise f_;
  Tensor pre_grad_;  // every step's gradient of its pre-activation

  // The products with the inputs go straight into h_1 .. h_T's blocks, where each step completes its own in place.
  void allocate_cell() override {}
  Tensor input_part() override { return hidden_.rows(n_, hidden_.dim(0)); }
  Tensor input_part_grad() override { return pre_grad_; }
  Tensor hidden_part_grad() override { return pre_grad_; }  // both products add to the one pre-activation

  void step_forward(std::int64_t t) override { hidden_product(t, step(hidden_, t + 1), 1.0, f_); }

  void start_backward() override { steps_buffer(pre_grad_); }

  // tanh' from its output; relu' from its input's sign, which h_t has too (0 where the input was not above 0).
  bool step_backward(std::int64_t t) override {
    const Tensor h = step(hidden_, t + 1);
    backend().run(op::ActivationGrad{f_ == Pointwise::Relu ? h : Tensor(), h, dh_, step(pre_grad_, t), f_});
    return false;  // h_{t-1} reaches h_t through the product alone
  }
};

}  // namespace

NNPLUG_PLUGIN("rnn", "0.1.0", "op:rnn_step_mask layer:rnn", 0) {
  const OpHandle step_mask = step_mask::define(registrar, "rnn");
  registrar.add_layer("rnn", [step_mask](const Params& p) { return make_recurrent<Rnn>(p, step_mask); });
}
