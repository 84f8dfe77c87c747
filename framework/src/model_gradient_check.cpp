#include "nnplug/framework/model_gradient_check.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "nnplug/errors.hpp"
#include "nnplug/framework/step_labels.hpp"
#include "nnplug/framework/trainer.hpp"

namespace nnplug {

namespace {
constexpr double kKinkBand = 1e-4;  // the top of "ok with kinks"

// |a - n| / max(|a|, |n|), 0 when both are 0 (NaN stays NaN).
double relative_error(double analytic, double numeric) {
  const double scale = std::max(std::abs(analytic), std::abs(numeric));
  return scale == 0.0 ? 0.0 : std::abs(analytic - numeric) / scale;
}
}  // namespace

std::string gradient_verdict(double e) {
  if (!(e <= 1e-2)) return "wrong";  // NaN included
  if (e > kKinkBand) return "suspicious";
  if (e > 1e-7) return "ok with kinks";
  return "pass";
}

std::vector<TensorCheck> check_model_gradients(Model& model, Loss& loss, const Dataset& data, const GradientCheckSettings& settings) {
  if (model.dtype() != DType::Float64) throw InvalidArgument("the gradient check needs a float64 model (float32 rounding hides errors)");
  if (data.size() == 0) throw InvalidArgument("the gradient check needs at least one sample");
  if (!(settings.step > 0)) throw InvalidArgument("the gradient check's step h must be positive");
  Backend& be = model.backend();
  const auto n = data.size();
  check_targets(loss, model.output_shape(), data);
  Tensor x = be.empty(data.sample_shape.with_batch(n), DType::Float64);
  data.x.visit([&](const auto& values) { from_host(x, values); });
  Tensor target, labels, target_rows, rows, gathered, dgathered;  // scored per step (step_targets, score_step_rows)
  const ScoredRows step_rows = scored_rows(loss, model.output_shape(), data.target_width);
  if (step_rows.steps) {  // labels per step (and where some are padding, the labelled steps' rows), or distributions
    std::vector<std::int32_t> scored;
    std::vector<double> at;
    const auto all = step_labels(data, step_rows.steps);
    for (std::size_t i = 0; i < all.size(); ++i)
      if (all[i] >= 0) scored.push_back(all[i]), at.push_back(static_cast<double>(i));
    if (scored.empty()) throw InvalidArgument("the gradient check needs a labelled step, but every step of these samples is padding");
    labels = be.empty(Shape{static_cast<std::int64_t>(scored.size())}, DType::Int32);
    be.upload(labels, scored.data(), labels.bytes());
    const bool distributions = distributions_per_step(loss, model.output_shape(), data.target_width);
    target = step_targets(loss, scored, labels, step_rows.width, DType::Float64, target_rows, distributions ? &data.targets : nullptr);
    if (scored.size() < all.size()) {
      rows = be.empty(labels.shape(), DType::Float64);
      from_host(rows, at);
    }
  } else if (loss.target_kind() == TargetKind::ClassIndex) {
    target = be.empty(Shape{n}, DType::Int32);
    be.upload(target, data.labels.data(), target.bytes());
  } else {
    target = be.empty(model.output_shape().with_batch(n), DType::Float64);
    from_host(target, data.has_value_targets() ? data.targets : label_values(data.labels, model.output_shape().numel()));
  }
  Tensor value = be.empty(Shape{1}, DType::Float64);
  Tensor dprediction = be.empty(model.output_shape().with_batch(n), DType::Float64);

  // The objective the optimizer sees: the mean data loss, plus the penalties when they are checked. The
  // penalties' gradients are added to the parameters' by apply_penalties() (only read after a backward pass).
  auto objective = [&](bool backward) {
    const Tensor& y = model.forward(x);
    if (step_rows.steps) {
      const Shape as_rows{n * step_rows.steps, step_rows.width};
      score_step_rows(be, loss, y.reshape(as_rows), rows, target, value, backward ? dprediction.reshape(as_rows) : Tensor(), gathered, dgathered);
    } else {
      loss.compute(y, target, value, backward ? dprediction : Tensor());
    }
    double f = to_host<double>(value)[0];
    if (backward) model.backward(dprediction);
    if (settings.regularization) {
      model.apply_penalties();
      f += model.penalty();
    }
    return f;
  };
  struct Analytic {
    Parameter* parameter;
    std::vector<double> grad;
    TensorCheck check;
  };
  std::vector<Analytic> tensors;
  const double at_point = objective(true);
  for (std::size_t l = 0; l < model.size(); ++l)
    for (Parameter* p : model.layer(l).parameters())
      if (p->trainable) tensors.push_back({p, to_host<double>(p->grad), {model.label(l), p->name}});
  std::vector<TensorCheck> checks;
  for (auto& t : tensors) {
    auto values = to_host<double>(t.parameter->value);
    const auto count = static_cast<std::int64_t>(values.size());
    const std::int64_t checked = std::min(count, std::max<std::int64_t>(1, settings.coordinates));
    for (std::int64_t k = 0; k < checked; ++k) {
      // Evenly spread, the last coordinate included, so that every part of the tensor is visited.
      const std::int64_t i = checked == 1 ? 0 : k * (count - 1) / (checked - 1);
      // The objective with this coordinate moved by delta.
      auto moved = [&](double delta) {
        const double original = values[static_cast<std::size_t>(i)];
        values[static_cast<std::size_t>(i)] = original + delta;
        from_host(t.parameter->value, values);
        const double f = objective(false);
        values[static_cast<std::size_t>(i)] = original;
        from_host(t.parameter->value, values);
        return f;
      };
      const double analytic = t.grad[static_cast<std::size_t>(i)];
      double h = settings.step, plus = moved(h), minus = moved(-h);
      double step = h, numeric = (plus - minus) / (2 * h), error = relative_error(analytic, numeric);
      // How far rounding the objective's values may move the centred difference at the current h.
      const auto rounding = [&] { return 4 * std::numeric_limits<double>::epsilon() * std::max(std::abs(plus), std::abs(minus)) / h; };
      // Both within the rounding of the centred difference (a gradient that is exactly 0, as a bias before batch
      // norm's mean subtraction): they agree as far as differences can tell, and a smaller h would only round more.
      if (std::max(std::abs(analytic), std::abs(numeric)) <= rounding()) {
        error = 0;
        ++t.check.within_rounding;
      }
      // A kink (ReLU, max pooling, a hinge) less than h away bends the centred difference by O(1), and only while
      // it lies within h: the error of a kink shrinks with h, the error of a wrong gradient stays. So a coordinate
      // above the "ok with kinks" band is measured again at h/10 and h/100, as the chapter says to try by hand.
      bool unresolved = false;
      for (int smaller = 0; smaller < 2 && !(error <= kKinkBand); ++smaller) {
        const double coarse = (plus - minus) / (2 * h), coarse_rounding = rounding();
        h /= 10, plus = moved(h), minus = moved(-h);
        const double n = (plus - minus) / (2 * h), e = relative_error(analytic, n);
        if (e < error || std::isnan(error)) step = h, numeric = n, error = e;
        // Still off, but within the error of the coarser difference: its truncation (about its distance from this
        // finer one, which has a hundredth of it) and its rounding. A gradient far smaller than its neighbours', as
        // batch norm's weight where the layers after it undo its scale, is as right as differences can tell.
        if (!(error <= kKinkBand) && std::abs(analytic - coarse) <= std::abs(coarse - n) + coarse_rounding) error = 0, unresolved = true;
      }
      t.check.unresolved += unresolved;
      if (!unresolved && step != settings.step && error <= kKinkBand) ++t.check.kinks_crossed;
      // A kink at the point itself (a ReLU's input exactly 0, as behind a zero bias over a blank border) stays at
      // every h: the centred difference averages the two slopes, while backpropagation gives one of them. The
      // one-sided differences (second order, at the smallest h) tell it from a wrong gradient.
      if (!(error <= kKinkBand)) {
        // As differences from the point's value, so that a flat side gives exactly 0.
        const double right = (4 * (plus - at_point) - (moved(2 * h) - at_point)) / (2 * h);
        const double left = (4 * (at_point - minus) - (at_point - moved(-2 * h))) / (2 * h);
        const double right_error = relative_error(analytic, right), left_error = relative_error(analytic, left);
        if (std::min(right_error, left_error) <= kKinkBand) {
          ++t.check.at_a_kink;
          step = h, numeric = right_error <= left_error ? right : left, error = std::min(right_error, left_error);
        }
      }
      t.check.largest_gradient = std::max(t.check.largest_gradient, std::abs(analytic));
      if (error > t.check.worst_error || std::isnan(error) || k == 0) {
        t.check.worst_error = std::isnan(error) ? INFINITY : error;
        t.check.worst_index = i, t.check.analytic = analytic, t.check.numeric = numeric, t.check.worst_step = step;
      }
    }
    t.check.checked = checked;
    checks.push_back(t.check);
  }
  return checks;
}

}  // namespace nnplug
