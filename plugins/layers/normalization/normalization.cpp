// Layer 'normalization' (Keras's Normalization): (x - mean) / sqrt(variance), with a mean and a variance for each entry
// of a sample's `axis` (-1, the last, Keras's default; 1, the channels of [channels, height, width] images, as nnplug
// lays them out; null, one pair for the whole sample), fixed as the data gave them: Python's
// nnplug.Normalization().adapt(x) computes them as Keras's adapt does. A variance of 0 (a feature constant in that
// data) divides by 1, as scikit-learn's StandardScaler does, where Keras divides by 1e-7 and any other value of that
// feature becomes huge. The gradient is dy / sqrt(variance).
//
// Ops every backend runs: a batch norm in eval mode, with those statistics, over x seen as (rows, entries, rest).
#include <cmath>

#include <fmt/format.h>

#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class Normalization final : public Layer {
 public:
  explicit Normalization(const Params& p)
      : whole_(p.has("axis") && p.json()["axis"].is_null()), mean_(p.numbers("mean", {})), variance_(p.numbers("variance", {}, 0, 0.0)) {
    if (whole_) p.accept({"axis"});
    else axis_ = p.integer("axis", -1, -1, Shape::kMaxRank);
    if (axis_ == 0) p.fail("axis", "must be a sample axis, from 1 (0 is the batch), -1 for the last, or null for the whole sample");
    if (mean_.empty() || variance_.empty())
      p.fail("", "needs \"mean\" and \"variance\", the data's statistics: Python's nnplug.Normalization().adapt(x) computes them, as Keras's "
                 "adapt does");
    if (mean_.size() != variance_.size())
      p.fail("", fmt::format("has {} means but {} variances, one of each per entry of the axis", mean_.size(), variance_.size()));
    p.check_unused();
  }
  std::string type() const override { return "normalization"; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    const std::int64_t axis = axis_ == -1 ? input.rank() : axis_;
    if (!whole_ && axis > input.rank())
      throw ShapeError(fmt::format("normalization: axis {} is not an axis of input {} (sample axes 1 to {})", axis_, input.str(), input.rank()));
    before_ = 1, entries_ = 1, after_ = 1;
    for (std::int64_t i = 0; i < input.rank(); ++i) (whole_ || i > axis - 1 ? after_ : i < axis - 1 ? before_ : entries_) *= input[i];
    const auto given = static_cast<std::int64_t>(mean_.size());
    if (given != entries_ && given != 1)
      throw ShapeError(fmt::format("normalization: {} means and variances for {} {} of input {}; give one for each, or one for all", given,
                                   entries_, whole_ ? "sample" : fmt::format("entries of axis {}", axis_), input.str()));
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    const auto per_entry = [&](const std::vector<double>& values, bool variance) {
      std::vector<double> out;
      for (std::int64_t c = 0; c < entries_; ++c) {
        const double v = values[static_cast<std::size_t>(given == 1 ? 0 : c)];
        out.push_back(variance && v == 0.0 ? 1.0 : v);  // a constant feature: centred, not scaled
      }
      Tensor t = ctx.backend.empty(Shape{entries_}, dtype_);
      from_host(t, out);
      return t;
    };
    mean_t_ = per_entry(mean_, false), variance_t_ = per_entry(variance_, true);
    ones_ = ctx.backend.empty(Shape{entries_}, dtype_), zeros_ = ctx.backend.empty(Shape{entries_}, dtype_);
    ctx.backend.run(op::Fill{ones_, 1.0});
    ctx.backend.run(op::Fill{zeros_, 0.0});
    for (Tensor* t : {&saved_mean_, &invstd_, &dgamma_, &dbeta_}) *t = ctx.backend.empty(Shape{entries_}, dtype_);
    return input;
  }

  const Tensor& forward(const Tensor& x) override {
    x_ = view(x);
    ensure(y_, *backend_, x.shape(), dtype_);
    backend_->run(op::BatchNorm{x_, ones_, zeros_, view(y_), saved_mean_, invstd_, mean_t_, variance_t_, 0.0, 0.0, false});
    return y_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    if (!need_input_grad) {
      dx_ = Tensor();
      return dx_;
    }
    ensure(dx_, *backend_, dy.shape(), dtype_);
    backend_->run(op::BatchNormGrad{x_, ones_, view(dy), saved_mean_, invstd_, view(dx_), dgamma_, dbeta_, false});
    return dx_;
  }

 private:
  // A batch as batch norm reads it: (rows, entries, rest), the axis's entries its channels.
  Tensor view(const Tensor& t) const { return t.reshape(Shape{t.dim(0) * before_, entries_, after_}); }

  bool whole_;
  std::int64_t axis_ = -1;
  std::vector<double> mean_, variance_;
  std::int64_t before_ = 1, entries_ = 1, after_ = 1;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  Tensor mean_t_, variance_t_, ones_, zeros_;
  Tensor saved_mean_, invstd_, dgamma_, dbeta_;  // what batch norm's passes write besides y and dx, unused
  Tensor x_, y_, dx_;
};

}  // namespace

NNPLUG_PLUGIN("normalization", "0.1.0", "layer:normalization", 0) {
  registrar.add_layer("normalization", [](const Params& p) { return std::make_unique<Normalization>(p); });
}
