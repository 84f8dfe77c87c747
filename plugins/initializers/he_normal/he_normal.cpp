// Initializer 'he_normal' (Kaiming; torch.nn.init.kaiming_normal_ with nonlinearity relu): N(0, 2 / fan),
// fan = fan_in (default) or fan_out by `mode`.
#include <cmath>

#include "nnplug/plugin.hpp"

namespace {
class HeNormal final : public nnplug::Initializer {
 public:
  explicit HeNormal(bool fan_out) : fan_out_(fan_out) {}
  std::string type() const override { return "he_normal"; }
  void generate(std::span<double> values, const nnplug::InitTarget& t, nnplug::Random& random) override {
    const double std = std::sqrt(2.0 / static_cast<double>(fan_out_ ? t.fan_out : t.fan_in));
    for (double& v : values) v = random.normal(0.0, std);
  }

 private:
  bool fan_out_;
};
}  // namespace

NNPLUG_PLUGIN("he_normal", "0.1.0", "initializer:he_normal", 0) {
  registrar.add_initializer("he_normal", [](const nnplug::Params& p) {
    const std::string mode = p.string("mode", "fan_in");
    if (mode != "fan_in" && mode != "fan_out") p.fail("mode", "must be \"fan_in\" or \"fan_out\", got \"" + mode + "\"");
    p.check_unused();
    return std::make_unique<HeNormal>(mode == "fan_out");
  });
}
