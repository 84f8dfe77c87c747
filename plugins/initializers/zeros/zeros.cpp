// Initializer 'zeros': every value 0 (the usual bias initializer).
#include <algorithm>

#include "nnplug/plugin.hpp"

namespace {
class Zeros final : public nnplug::Initializer {
 public:
  std::string type() const override { return "zeros"; }
  void generate(std::span<double> values, const nnplug::InitTarget&, nnplug::Random&) override {
    std::fill(values.begin(), values.end(), 0.0);
  }
};
}  // namespace

NNPLUG_PLUGIN("zeros", "0.1.0", "initializer:zeros", 0) {
  registrar.add_initializer("zeros", [](const nnplug::Params& p) {
    p.check_unused();
    return std::make_unique<Zeros>();
  });
}
