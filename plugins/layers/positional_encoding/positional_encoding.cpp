// Layer 'positional_encoding': adds the fixed sinusoidal encoding of each position to a sequence [T, E], as
// "Attention Is All You Need" and PyTorch's transformer tutorial (its PositionalEncoding module, without the dropout)
// do, and Keras-NLP's SinePositionEncoding with the sum it is used in:
//   y[t][i] = x[t][i] + (i even ? sin : cos)(t / max_wavelength^(2 floor(i / 2) / E)).
// Nothing is learned; the encoding is computed when the layer is built. Unlike a position_embedding, it needs no
// training to tell steps apart. Parameter: max_wavelength (10000, the paper's and Keras's).
#include <cmath>
#include <vector>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class PositionalEncoding final : public Layer {
 public:
  explicit PositionalEncoding(const Params& p) : max_wavelength_(p.number("max_wavelength", 10000.0, 1.0, 1e12)) { p.check_unused(); }
  std::string type() const override { return "positional_encoding"; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() != 2)
      throw ShapeError(fmt::format("positional_encoding expects a sequence per sample, [steps, features], got {}", input.str()));
    backend_ = &ctx.backend;
    const std::int64_t steps = input[0], features = input[1];
    std::vector<double> values(static_cast<std::size_t>(steps * features));
    for (std::int64_t t = 0; t < steps; ++t)
      for (std::int64_t i = 0; i < features; ++i) {
        const double angle = static_cast<double>(t) / std::pow(max_wavelength_, static_cast<double>(2 * (i / 2)) / static_cast<double>(features));
        values[static_cast<std::size_t>(t * features + i)] = i % 2 == 0 ? std::sin(angle) : std::cos(angle);
      }
    encoding_ = ctx.backend.empty(Shape{steps * features}, ctx.dtype);
    from_host(encoding_, values);
    return input;
  }

  // Every sample as one row, the encoding as the vector added to each.
  const Tensor& forward(const Tensor& x) override {
    ensure(y_, *backend_, x.shape(), x.dtype());
    backend_->run(op::AddRowVector{rows(x), encoding_, rows(y_)});
    return y_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    dx_ = need_input_grad ? dy : Tensor();
    return dx_;
  }

 private:
  double max_wavelength_;
  Backend* backend_ = nullptr;
  Tensor encoding_, y_, dx_;

  Tensor rows(const Tensor& t) const { return t.reshape(Shape{t.dim(0), encoding_.numel()}); }
};

}  // namespace

NNPLUG_PLUGIN("positional_encoding", "0.1.0", "layer:positional_encoding", 0) {
  registrar.add_layer("positional_encoding", [](const Params& p) { return std::make_unique<PositionalEncoding>(p); });
}
