#include "nnplug/conformance/gradient_check.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "nnplug/framework/activation_layer.hpp"
#include "nnplug/random.hpp"

namespace nnplug::conformance {

namespace {

Tensor upload(Backend& backend, const Shape& shape, const std::vector<double>& values) {
  Tensor t = backend.empty(shape, DType::Float64);
  from_host(t, values);
  return t;
}

}  // namespace

void compare_with_centred_differences(const Tensor& values, const std::vector<double>& analytic, const std::function<double()>& objective,
             const std::string& what, const GradientCheckOptions& o, CheckResult& result) {
  auto host = to_host<double>(values);
  if (host.size() != analytic.size()) {
    result.passed = false;
    result.detail += fmt::format("{}: the gradient has {} values, expected {}; ", what, analytic.size(), host.size());
    return;
  }
  const std::size_t stride = std::max<std::size_t>(1, host.size() / o.max_coordinates);
  for (std::size_t i = 0; i < host.size(); i += stride) {
    const double original = host[i];
    host[i] = original + o.step;
    from_host(values, host);
    const double plus = objective();
    host[i] = original - o.step;
    from_host(values, host);
    const double minus = objective();
    host[i] = original;
    from_host(values, host);
    const double numeric = (plus - minus) / (2 * o.step);
    // The centred difference is known only to within how far rounding the objective's values moves it, ~1e-10 for a
    // loss near 10: that part of a difference is no error. A gradient that is exactly 0 (attention's key bias, which
    // the softmax cancels) then passes, as in the model gradient check, and so does a small one whose difference is
    // rounding alone (one compiler's rounding put 4e-11 on a gradient of 3e-4, over the floor's 1e-10 x 1e-7).
    const double rounding = 4 * std::numeric_limits<double>::epsilon() * std::max(std::abs(plus), std::abs(minus)) / o.step;
    const double error = std::max(0.0, std::abs(analytic[i] - numeric) - rounding) / std::max({std::abs(analytic[i]), std::abs(numeric), 1e-3});
    const std::string at = fmt::format("{} [{}]: analytic {:g}, numeric {:g}, relative error {:g}", what, i, analytic[i], numeric, error);
    if (!(error < o.tolerance)) {  // NaN fails too
      if (result.passed) result.detail = fmt::format("relative error over {:g}: ", o.tolerance);
      result.passed = false;
      if (++result.failures <= 3) result.detail += fmt::format("{}; ", at);
    } else if (result.passed && error >= result.worst_error) {
      result.detail = fmt::format("worst {}", at);
    }
    result.worst_error = std::isnan(error) ? INFINITY : std::max(result.worst_error, error);
  }
}

std::vector<double> random_normal(std::size_t n, std::uint64_t seed) {
  Random random(seed);
  std::vector<double> v(n);
  for (double& x : v) x = random.normal();
  return v;
}

std::vector<double> away_from_zero(std::vector<double> v) {
  for (double& x : v) x = x >= 0 ? x + 0.05 : x - 0.05;
  return v;
}

CheckResult check_merge_gradient(Layer& layer, Backend& backend, const std::vector<Shape>& samples, std::int64_t batch,
                                 const std::vector<std::vector<double>>& x_values, const std::function<void(Layer&)>& prepare,
                                 const GradientCheckOptions& options) {
  CheckResult result{fmt::format("{} gradient", layer.type())};
  const bool merges = layer.merges();
  const BuildContext ctx{backend, DType::Float64};
  if (merges) layer.build_merge(samples, ctx);
  else layer.build(samples.at(0), ctx);
  std::uint64_t seed = 7;
  for (Parameter* p : layer.parameters()) from_host(p->value, random_normal(static_cast<std::size_t>(p->value.numel()), seed++));
  if (prepare) prepare(layer);
  std::vector<Tensor> xs;
  for (std::size_t i = 0; i < samples.size(); ++i) xs.push_back(upload(backend, samples[i].with_batch(batch), x_values.at(i)));
  auto forward = [&]() -> const Tensor& { return merges ? layer.forward_merge(xs) : layer.forward(xs[0]); };
  const Shape out = forward().shape();
  const auto r_host = random_normal(static_cast<std::size_t>(out.numel()), 99);
  Tensor r = upload(backend, out, r_host);
  auto objective = [&] {
    const auto y = to_host<double>(forward());
    double s = 0;
    for (std::size_t i = 0; i < y.size(); ++i) s += r_host[i] * y[i];
    return s;
  };
  objective();
  std::vector<std::vector<double>> dx;
  if (merges)
    for (const Tensor& g : layer.backward_merge(r)) dx.push_back(to_host<double>(g));
  else
    dx.push_back(to_host<double>(layer.backward(r, true)));
  std::vector<std::vector<double>> grads;
  for (Parameter* p : layer.parameters()) grads.push_back(to_host<double>(p->grad));
  for (std::size_t i = 0; i < xs.size() && options.check_input; ++i)
    compare_with_centred_differences(xs[i], dx.at(i), objective, merges ? fmt::format("input {}", i) : "input", options, result);
  const auto params = layer.parameters();
  for (std::size_t i = 0; i < params.size(); ++i)
    if (params[i]->trainable) compare_with_centred_differences(params[i]->value, grads[i], objective, params[i]->name, options, result);
  return result;
}

CheckResult check_layer_gradient(Layer& layer, Backend& backend, const Shape& sample, std::int64_t batch,
                                 const std::vector<double>& x_values, const std::function<void(Layer&)>& prepare,
                                 const GradientCheckOptions& options) {
  if (!layer.merges()) return check_merge_gradient(layer, backend, {sample}, batch, {x_values}, prepare, options);
  // A merge layer gets two inputs of the sample's shape, the second with values of its own.
  return check_merge_gradient(layer, backend, {sample, sample}, batch, {x_values, random_normal(x_values.size(), 1234)}, prepare, options);
}

CheckResult check_activation_gradient(std::shared_ptr<Activation> activation, Backend& backend, const Shape& sample,
                                      std::int64_t batch, const std::vector<double>& x, const GradientCheckOptions& options) {
  ActivationLayer layer(std::move(activation));
  return check_layer_gradient(layer, backend, sample, batch, x, {}, options);
}

CheckResult check_loss_gradient(Loss& loss, Backend& backend, const Shape& pred_shape, const std::vector<double>& pred_values,
                                const Tensor& target, const GradientCheckOptions& options) {
  CheckResult result{fmt::format("{} gradient", loss.type())};
  Tensor pred = upload(backend, pred_shape, pred_values);
  Tensor value = backend.empty(Shape{1}, DType::Float64), grad = backend.empty(pred_shape, DType::Float64);
  loss.compute(pred, target, value, grad);
  compare_with_centred_differences(pred, to_host<double>(grad), [&] {
    loss.compute(pred, target, value, Tensor());
    return to_host<double>(value)[0];
  }, "prediction", options, result);
  return result;
}

}  // namespace nnplug::conformance
