// Initializer 'sparse' (Martens 2010, as in the textbook): each unit gets `nonzero` (10) random incoming weights
// drawn from N(0, std^2) (std 0.01) and the rest 0. A unit is a row of the [out, in] weight; with fewer inputs
// than `nonzero`, every input is connected.
#include <algorithm>
#include <numeric>
#include <vector>

#include "nnplug/plugin.hpp"

namespace {
class Sparse final : public nnplug::Initializer {
 public:
  Sparse(std::int64_t nonzero, double std) : nonzero_(nonzero), std_(std) {}
  std::string type() const override { return "sparse"; }
  void generate(std::span<double> values, const nnplug::InitTarget& t, nnplug::Random& random) override {
    const std::int64_t rows = t.shape.rank() ? t.shape[0] : 1;
    const std::int64_t cols = static_cast<std::int64_t>(values.size()) / rows;
    const std::int64_t k = std::min(nonzero_, cols);
    std::fill(values.begin(), values.end(), 0.0);
    std::vector<std::int64_t> inputs(static_cast<std::size_t>(cols));
    for (std::int64_t r = 0; r < rows; ++r) {
      std::iota(inputs.begin(), inputs.end(), 0);
      for (std::int64_t i = 0; i < k; ++i) {  // a partial Fisher-Yates shuffle picks k distinct inputs
        std::swap(inputs[static_cast<std::size_t>(i)], inputs[static_cast<std::size_t>(i) + random.below(static_cast<std::uint64_t>(cols - i))]);
        values[static_cast<std::size_t>(r * cols + inputs[static_cast<std::size_t>(i)])] = random.normal(0.0, std_);
      }
    }
  }

 private:
  std::int64_t nonzero_;
  double std_;
};
}  // namespace

NNPLUG_PLUGIN("sparse", "0.1.0", "initializer:sparse", 0) {
  registrar.add_initializer("sparse", [](const nnplug::Params& p) {
    const auto nonzero = p.integer("nonzero", 10, 1);
    const double std = p.number("std", 0.01, 0.0);
    p.check_unused();
    return std::make_unique<Sparse>(nonzero, std);
  });
}
