// Initializer 'eye' (torch.nn.init.eye_, Keras's Identity initializer): a 2-D weight is gain times the identity, ones
// where row = column and zeros elsewhere (a rectangular one has min(rows, cols) ones); gain 1. A dense layer so
// initialized passes its input through (an identity recurrent matrix is IRNN's, Le et al. 2015).
#include <algorithm>

#include <fmt/format.h>

#include "nnplug/plugin.hpp"

namespace {
class Eye final : public nnplug::Initializer {
 public:
  explicit Eye(double gain) : gain_(gain) {}
  std::string type() const override { return "eye"; }
  void generate(std::span<double> values, const nnplug::InitTarget& t, nnplug::Random&) override {
    if (t.shape.rank() != 2)
      throw nnplug::InvalidArgument(fmt::format("eye initializes a 2-D weight (rows, columns), as PyTorch's eye_, got {}", t.shape.str()));
    std::fill(values.begin(), values.end(), 0.0);
    for (std::int64_t i = 0; i < std::min(t.shape[0], t.shape[1]); ++i) values[static_cast<std::size_t>(i * t.shape[1] + i)] = gain_;
  }

 private:
  double gain_;
};
}  // namespace

NNPLUG_PLUGIN("eye", "0.1.0", "initializer:eye", 0) {
  registrar.add_initializer("eye", [](const nnplug::Params& p) {
    const double gain = p.number("gain", 1.0);
    p.check_unused();
    return std::make_unique<Eye>(gain);
  });
}
