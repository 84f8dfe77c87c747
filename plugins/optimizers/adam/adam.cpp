// Optimizer 'adam', exactly torch.optim.Adam: lr 1e-3, betas [0.9, 0.999], eps 1e-8 (added outside the square
// root of the bias-corrected second moment), weight_decay 0 (L2, added to the gradient), amsgrad false.
// The textbook's folded form (eps 1e-7 inside lr_t) differs from this one only at the eps level.
#include <cmath>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Adam final : public Optimizer {
 public:
  explicit Adam(const Params& p)
      : lr_(p.number("lr", 1e-3, 0.0)),
        betas_(p.numbers("betas", {0.9, 0.999}, 2, 0.0, 1.0 - 1e-12)),
        eps_(p.number("eps", 1e-8, 0.0)),
        weight_decay_(p.number("weight_decay", 0.0, 0.0)),
        amsgrad_(p.boolean("amsgrad", false)) {
    p.check_unused();
  }

  std::string type() const override { return "adam"; }

  void attach(const std::vector<Parameter*>& parameters) override {
    params_ = parameters;
    m_.clear(), v_.clear(), v_max_.clear();
    auto zeros = [](const Parameter* p) {
      Tensor t = p->value.backend().empty(p->value.shape(), p->value.dtype());
      t.backend().run(op::Fill{t, 0.0});
      return t;
    };
    for (Parameter* p : params_) {
      m_.push_back(zeros(p));
      v_.push_back(zeros(p));
      v_max_.push_back(amsgrad_ ? zeros(p) : Tensor());
    }
    step_ = 0;
  }

  void step() override {
    ++step_;
    for (std::size_t i = 0; i < params_.size(); ++i) {
      Parameter* p = params_[i];
      p->value.backend().run(op::AdamStep{p->value, p->grad, m_[i], v_[i], v_max_[i], lr_, betas_[0], betas_[1], eps_,
                                          weight_decay_, step_, amsgrad_, false});
    }
  }

  double learning_rate() const override { return lr_; }
  void set_learning_rate(double lr) override { lr_ = lr; }

  std::vector<std::pair<std::string, Tensor>> state() override {
    std::vector<std::pair<std::string, Tensor>> out;
    for (std::size_t i = 0; i < m_.size(); ++i) {
      out.emplace_back(std::to_string(i) + ".exp_avg", m_[i]);
      out.emplace_back(std::to_string(i) + ".exp_avg_sq", v_[i]);
      if (amsgrad_) out.emplace_back(std::to_string(i) + ".max_exp_avg_sq", v_max_[i]);
    }
    return out;
  }

 private:
  double lr_;
  std::vector<double> betas_;
  double eps_, weight_decay_;
  bool amsgrad_;
  std::int64_t step_ = 0;
  std::vector<Parameter*> params_;
  std::vector<Tensor> m_, v_, v_max_;
};

}  // namespace

NNPLUG_PLUGIN("adam", "0.1.0", "optimizer:adam", 0) {
  registrar.add_optimizer("adam", [](const Params& p) { return std::make_unique<Adam>(p); });
}
