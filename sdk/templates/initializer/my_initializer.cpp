// Template initializer 'my_initializer': uniform in [-s, s] with s = scale / sqrt(fan_in) (PyTorch's default for
// Linear is scale 1). Values are drawn on the host from the seeded generator, so a seed gives the same model on
// every backend.
#include <cmath>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class MyInitializer final : public Initializer {
 public:
  explicit MyInitializer(double scale) : scale_(scale) {}
  std::string type() const override { return "my_initializer"; }
  void generate(std::span<double> values, const InitTarget& target, Random& random) override {
    const double s = scale_ / std::sqrt(static_cast<double>(target.fan_in));
    for (double& v : values) v = random.uniform(-s, s);
  }

 private:
  double scale_;
};

}  // namespace

NNPLUG_PLUGIN("my_initializer", "0.1.0", "initializer:my_initializer", 0) {
  registrar.add_initializer("my_initializer", [](const Params& p) {
    const double scale = p.number("scale", 1.0, 0.0);
    p.check_unused();
    return std::make_unique<MyInitializer>(scale);
  });
}
