// Initializer 'constant' (torch.nn.init.constant_): every value equals `value` (required).
#include <algorithm>

#include "nnplug/plugin.hpp"

namespace {
class Constant final : public nnplug::Initializer {
 public:
  explicit Constant(double value) : value_(value) {}
  std::string type() const override { return "constant"; }
  void generate(std::span<double> values, const nnplug::InitTarget&, nnplug::Random&) override {
    std::fill(values.begin(), values.end(), value_);
  }

 private:
  double value_;
};
}  // namespace

NNPLUG_PLUGIN("constant", "0.1.0", "initializer:constant", 0) {
  registrar.add_initializer("constant", [](const nnplug::Params& p) {
    const double value = p.require_number("value");
    p.check_unused();
    return std::make_unique<Constant>(value);
  });
}
