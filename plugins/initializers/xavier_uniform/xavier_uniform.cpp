// Initializer 'xavier_uniform' (Glorot; torch.nn.init.xavier_uniform_): U(-a, a), a = gain sqrt(6 / (fan_in + fan_out)).
#include <cmath>

#include "nnplug/plugin.hpp"

namespace {
class XavierUniform final : public nnplug::Initializer {
 public:
  explicit XavierUniform(double gain) : gain_(gain) {}
  std::string type() const override { return "xavier_uniform"; }
  void generate(std::span<double> values, const nnplug::InitTarget& t, nnplug::Random& random) override {
    const double a = gain_ * std::sqrt(6.0 / static_cast<double>(t.fan_in + t.fan_out));
    for (double& v : values) v = random.uniform(-a, a);
  }

 private:
  double gain_;
};
}  // namespace

NNPLUG_PLUGIN("xavier_uniform", "0.1.0", "initializer:xavier_uniform", 0) {
  registrar.add_initializer("xavier_uniform", [](const nnplug::Params& p) {
    const double gain = p.number("gain", 1.0, 0.0);
    p.check_unused();
    return std::make_unique<XavierUniform>(gain);
  });
}
