#include "nnplug/framework/model_gradient_check.hpp"

#include <algorithm>
#include <cmath>

#include "nnplug/errors.hpp"
#include "nnplug/framework/trainer.hpp"

namespace nnplug {

std::string gradient_verdict(double e) {
  if (!(e <= 1e-2)) return "wrong";  // NaN included
  if (e > 1e-4) return "suspicious";
  if (e > 1e-7) return "ok with kinks";
  return "pass";
}

std::vector<TensorCheck> check_model_gradients(Model& model, Loss& loss, const Dataset& data, const GradientCheckSettings& settings) {
  if (model.dtype() != DType::Float64) throw InvalidArgument("the gradient check needs a float64 model (float32 rounding hides errors)");
  if (data.size() == 0) throw InvalidArgument("the gradient check needs at least one sample");
  if (!(settings.step > 0)) throw InvalidArgument("the gradient check's step h must be positive");
  Backend& be = model.backend();
  const auto n = data.size();
  loss.check(model.output_shape(), data.num_classes);
  Tensor x = be.empty(data.sample_shape.with_batch(n), DType::Float64);
  data.x.visit([&](const auto& values) { from_host(x, values); });
  Tensor target;
  if (loss.target_kind() == TargetKind::ClassIndex) {
    target = be.empty(Shape{n}, DType::Int32);
    be.upload(target, data.labels.data(), target.bytes());
  } else {
    target = be.empty(model.output_shape().with_batch(n), DType::Float64);
    from_host(target, label_values(data.labels, model.output_shape().numel()));
  }
  Tensor value = be.empty(Shape{1}, DType::Float64);
  Tensor dprediction = be.empty(model.output_shape().with_batch(n), DType::Float64);

  // The objective the optimizer sees: the mean data loss, plus the penalties when they are checked. The
  // penalties' gradients are added to the parameters' by apply_penalties() (only read after a backward pass).
  auto objective = [&](bool backward) {
    const Tensor& y = model.forward(x);
    loss.compute(y, target, value, backward ? dprediction : Tensor());
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
  objective(true);
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
      const double original = values[static_cast<std::size_t>(i)];
      values[static_cast<std::size_t>(i)] = original + settings.step;
      from_host(t.parameter->value, values);
      const double plus = objective(false);
      values[static_cast<std::size_t>(i)] = original - settings.step;
      from_host(t.parameter->value, values);
      const double minus = objective(false);
      values[static_cast<std::size_t>(i)] = original;
      from_host(t.parameter->value, values);
      const double numeric = (plus - minus) / (2 * settings.step);
      const double analytic = t.grad[static_cast<std::size_t>(i)];
      const double scale = std::max(std::abs(analytic), std::abs(numeric));
      const double error = scale == 0.0 ? 0.0 : std::abs(analytic - numeric) / scale;
      t.check.largest_gradient = std::max(t.check.largest_gradient, std::abs(analytic));
      if (error > t.check.worst_error || std::isnan(error) || k == 0) {
        t.check.worst_error = std::isnan(error) ? INFINITY : error;
        t.check.worst_index = i, t.check.analytic = analytic, t.check.numeric = numeric;
      }
    }
    t.check.checked = checked;
    checks.push_back(t.check);
  }
  return checks;
}

}  // namespace nnplug
