// Gradient transform 'gradient_noise' (Neelakantan et al. 2015, in the textbook): g += N(0, sigma_t^2) with
// sigma_t^2 = eta / (1 + t)^gamma, t the step counted from 0; eta required (0.01, 0.3 and 1 in the paper),
// gamma 0.55, seed 0. The noise is a function of (seed, step, parameter, element): reproducible on any backend.
#include <cmath>

#include "nnplug/counter_random.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class GradientNoise final : public GradientTransform {
 public:
  GradientNoise(double eta, double gamma, std::uint64_t seed) : eta_(eta), gamma_(gamma), seed_(seed) {}
  std::string type() const override { return "gradient_noise"; }
  void apply(const std::vector<Parameter*>& parameters, std::int64_t step) override {
    const double std = std::sqrt(eta_ / std::pow(1.0 + static_cast<double>(step), gamma_));
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      const std::uint64_t seed = counter_random::mix(counter_random::mix(seed_, static_cast<std::uint64_t>(step)), i);
      parameters[i]->grad.backend().run(op::AddNoise{parameters[i]->grad, std, seed});
    }
  }

 private:
  double eta_, gamma_;
  std::uint64_t seed_;
};

}  // namespace

NNPLUG_PLUGIN("gradient_noise", "0.1.0", "gradient_transform:gradient_noise", 0) {
  registrar.add_gradient_transform("gradient_noise", [](const Params& p) {
    const double eta = p.require_number("eta", 0.0), gamma = p.number("gamma", 0.55, 0.0);
    const auto seed = static_cast<std::uint64_t>(p.integer("seed", 0, 0));
    p.check_unused();
    return std::make_unique<GradientNoise>(eta, gamma, seed);
  });
}
