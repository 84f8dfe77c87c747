// Optimizer 'sgd', exactly torch.optim.SGD: lr (required), momentum 0, dampening 0, weight_decay 0, nesterov false.
// Keras writes momentum as v = mu v - lr g; w += v. At a constant learning rate that is the same trajectory as
// PyTorch's v = mu v + g; w -= lr v (Keras' v is -lr times PyTorch's), so the reference paths of the textbook
// chapters hold for this optimizer too.
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Sgd final : public Optimizer {
 public:
  explicit Sgd(const Params& p)
      : lr_(p.require_number("lr", 0.0)),
        momentum_(p.number("momentum", 0.0, 0.0)),
        dampening_(p.number("dampening", 0.0, 0.0, 1.0)),
        weight_decay_(p.number("weight_decay", 0.0, 0.0)),
        nesterov_(p.boolean("nesterov", false)) {
    if (nesterov_ && (momentum_ <= 0.0 || dampening_ != 0.0))
      p.fail("nesterov", "needs momentum > 0 and dampening = 0 (as in PyTorch)");
    p.check_unused();
  }

  std::string type() const override { return "sgd"; }

  void attach(const std::vector<Parameter*>& parameters) override {
    params_ = parameters;
    velocity_.clear();
    if (momentum_ != 0.0)
      for (Parameter* p : params_) velocity_.push_back(p->value.backend().empty(p->value.shape(), p->value.dtype()));
    first_step_ = true;
  }

  void step() override {
    for (std::size_t i = 0; i < params_.size(); ++i) {
      Parameter* p = params_[i];
      p->value.backend().run(op::SgdStep{p->value, p->grad, momentum_ != 0.0 ? velocity_[i] : Tensor(), lr_, momentum_,
                                         dampening_, weight_decay_, nesterov_, first_step_});
    }
    first_step_ = false;
  }

  double learning_rate() const override { return lr_; }
  void set_learning_rate(double lr) override { lr_ = lr; }

  std::vector<std::pair<std::string, Tensor>> state() override {
    std::vector<std::pair<std::string, Tensor>> out;
    for (std::size_t i = 0; i < velocity_.size(); ++i) out.emplace_back(std::to_string(i) + ".momentum_buffer", velocity_[i]);
    return out;
  }

 private:
  double lr_, momentum_, dampening_, weight_decay_;
  bool nesterov_;
  bool first_step_ = true;
  std::vector<Parameter*> params_;
  std::vector<Tensor> velocity_;
};

}  // namespace

NNPLUG_PLUGIN("sgd", "0.1.0", "optimizer:sgd", 0) {
  registrar.add_optimizer("sgd", [](const Params& p) { return std::make_unique<Sgd>(p); });
}
