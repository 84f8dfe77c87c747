// Initializer 'orthogonal' (torch.nn.init.orthogonal_, Saxe et al. 2013): the weight seen as rows x cols
// (rows = shape[0]) is gain times a random matrix with orthonormal rows or columns, whichever there are fewer of.
// Drawn as the Q of a Gaussian matrix by modified Gram-Schmidt, run twice to stay orthogonal to rounding in double.
// Gram-Schmidt gives the QR factor whose R has a positive diagonal, which is uniformly (Haar) distributed.
#include <cmath>
#include <vector>

#include "nnplug/plugin.hpp"

namespace {
class Orthogonal final : public nnplug::Initializer {
 public:
  explicit Orthogonal(double gain) : gain_(gain) {}
  std::string type() const override { return "orthogonal"; }
  void generate(std::span<double> values, const nnplug::InitTarget& t, nnplug::Random& random) override {
    const std::size_t rows = static_cast<std::size_t>(t.shape.rank() ? t.shape[0] : 1);
    const std::size_t cols = values.size() / rows;
    // Orthonormalise the `count` vectors of length `len`: columns when rows >= cols, else rows.
    const bool by_columns = rows >= cols;
    const std::size_t count = by_columns ? cols : rows, len = by_columns ? rows : cols;
    std::vector<std::vector<double>> q(count, std::vector<double>(len));
    for (auto& v : q)
      for (double& x : v) x = random.normal();
    for (std::size_t i = 0; i < count; ++i) {
      for (int pass = 0; pass < 2; ++pass)
        for (std::size_t j = 0; j < i; ++j) {
          double dot = 0;
          for (std::size_t k = 0; k < len; ++k) dot += q[i][k] * q[j][k];
          for (std::size_t k = 0; k < len; ++k) q[i][k] -= dot * q[j][k];
        }
      double norm = 0;
      for (double x : q[i]) norm += x * x;
      norm = std::sqrt(norm);
      for (double& x : q[i]) x /= norm;
    }
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < cols; ++c) values[r * cols + c] = gain_ * (by_columns ? q[c][r] : q[r][c]);
  }

 private:
  double gain_;
};
}  // namespace

NNPLUG_PLUGIN("orthogonal", "0.1.0", "initializer:orthogonal", 0) {
  registrar.add_initializer("orthogonal", [](const nnplug::Params& p) {
    const double gain = p.number("gain", 1.0, 0.0);
    p.check_unused();
    return std::make_unique<Orthogonal>(gain);
  });
}
