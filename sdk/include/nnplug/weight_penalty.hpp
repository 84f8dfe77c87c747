#pragma once
// WeightPenalty: l1 sum|w| + l2 / 2 sum w^2, computed by op::Penalty. The l2, l1 and elastic plugins configure it.
#include <string>
#include <utility>

#include "nnplug/regularizer.hpp"

namespace nnplug {

class WeightPenalty final : public Regularizer {
 public:
  WeightPenalty(std::string name, double l1, double l2) : name_(std::move(name)), l1_(l1), l2_(l2) {}
  std::string type() const override { return name_; }
  RegularizerRole role() const override { return RegularizerRole::Penalty; }
  void penalize(const Tensor& w, const Tensor& grad, double scale, const Tensor& value) override {
    w.backend().run(op::Penalty{w, grad, value, l1_, l2_, scale});
  }

 private:
  std::string name_;
  double l1_, l2_;
};

}  // namespace nnplug
