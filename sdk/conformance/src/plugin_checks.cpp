#include "nnplug/conformance/plugin_checks.hpp"

#include <cmath>

#include <unistd.h>

#include <fmt/format.h>

#include "nnplug/conformance/component_checks.hpp"
#include "nnplug/conformance/op_checks.hpp"
#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/model_file.hpp"

namespace nnplug::conformance {

namespace {

Params spec_of(const std::string& name, const Params::Json& extra) {
  Params::Json spec = extra;
  spec["type"] = name;
  return Params(fmt::format("plugin-check {}", name), spec);
}

// Creates the plugin with `extra`, plus each of `optional` the plugin accepts (an unknown parameter is dropped).
template <typename Create>
auto create_with(Create create, const std::string& name, Params::Json extra, const Params::Json& optional) {
  for (auto it = optional.begin(); it != optional.end(); ++it)
    if (!extra.contains(it.key())) extra[it.key()] = it.value();
  for (;;) {
    try {
      return create(spec_of(name, extra));
    } catch (const InvalidArgument& e) {
      bool dropped = false;
      for (auto it = optional.begin(); it != optional.end() && !dropped; ++it)
        if (extra.contains(it.key()) && std::string(e.what()).find(fmt::format("'{}'", it.key())) != std::string::npos) {
          extra.erase(it.key());
          dropped = true;
        }
      if (!dropped) throw;
    }
  }
}

CheckResult failed(const std::string& check, const std::string& why) { return {check, false, why}; }

// A penalty's gradient by centred differences of the value it returns; a constraint applied twice changes
// nothing more than once.
CheckResult check_regularizer(Regularizer& reg, Backend& be) {
  const auto w0 = random_normal(12, 31);
  Tensor w = be.empty(Shape{3, 4}, DType::Float64), grad = be.empty(Shape{3, 4}, DType::Float64);
  from_host(w, w0);
  if (reg.role() == RegularizerRole::Constraint) {
    CheckResult r{fmt::format("{} constraint is a projection", reg.type())};
    reg.constrain(w);
    const auto once = to_host<double>(w);
    reg.constrain(w);
    const auto twice = to_host<double>(w);
    for (std::size_t i = 0; i < once.size(); ++i)
      if (std::abs(once[i] - twice[i]) > 1e-12 * std::max(1.0, std::abs(once[i]))) return failed(r.check, "applying it again changed the weights");
    return r;
  }
  CheckResult r{fmt::format("{} penalty gradient", reg.type())};
  be.run(op::Fill{grad, 0.0});
  Tensor value = be.empty(Shape{1}, DType::Float64);
  reg.penalize(w, grad, 1.0, value);
  const auto analytic = to_host<double>(grad);
  auto host = w0;
  Tensor scratch = be.empty(Shape{3, 4}, DType::Float64);
  for (std::size_t i = 0; i < host.size(); ++i) {
    auto value_at = [&](double v) {
      host[i] = v;
      from_host(w, host);
      reg.penalize(w, scratch, 1.0, value);
      return to_host<double>(value)[0];
    };
    const double original = host[i], h = 1e-5;
    const double numeric = (value_at(original + h) - value_at(original - h)) / (2 * h);
    host[i] = original;
    const double error = std::abs(analytic[i] - numeric) / std::max({std::abs(analytic[i]), std::abs(numeric), 1e-3});
    r.worst_error = std::max(r.worst_error, error);
    if (!(error < 1e-6)) return failed(r.check, fmt::format("[{}]: analytic {}, numeric {}", i, analytic[i], numeric));
  }
  return r;
}

CheckResult check_schedule(Schedule& s) {
  CheckResult r{fmt::format("{} learning rates are finite and non-negative", s.type())};
  for (std::int64_t epoch = 0; epoch < 200; ++epoch)
    for (std::int64_t step : {epoch * 100, epoch * 100 + 99}) {
      const double lr = s.learning_rate(0.1, epoch, step);
      if (!(lr >= 0.0) || !std::isfinite(lr))
        return failed(r.check, fmt::format("epoch {}, step {} gives {}", epoch, step, lr));
    }
  return r;
}

CheckResult check_gradient_transform(GradientTransform& t, Backend& be) {
  CheckResult r{fmt::format("{} keeps gradients finite and shaped", t.type())};
  Parameter p{"w", be.empty(Shape{5}, DType::Float64), be.empty(Shape{5}, DType::Float64)};
  from_host(p.value, random_normal(5, 32));
  from_host(p.grad, random_normal(5, 33));
  t.apply({&p}, 0);
  for (double g : to_host<double>(p.grad))
    if (!std::isfinite(g)) return failed(r.check, fmt::format("a gradient became {}", g));
  return r;
}

}  // namespace

CheckResult check_layer_save_load(const Registry& registry, const Params::Json& layer_spec, const Shape& sample) {
  const std::string type = layer_spec.is_string() ? layer_spec.get<std::string>() : layer_spec.value("type", std::string("layer"));
  CheckResult r{fmt::format("{} save and load", type)};
  Params::Json layer = layer_spec.is_string() ? Params::Json{{"type", type}} : layer_spec;
  if (registry.has(PluginKind::Layer, type) && registry.create_layer(Params("conformance", layer))->merges())
    layer["inputs"] = {"input", "input"};  // a merge layer merges the input with itself
  const Spec spec{std::filesystem::temp_directory_path() / "conformance.json",
                  Params::Json{{"backend", "cpu"}, {"dtype", "float64"}, {"layers", Params::Json::array({layer})}}};
  auto backend = registry.create_backend(Params("reference backend", "cpu"));
  auto model = build_model(spec, registry, backend, DType::Float64, sample, 0);
  std::uint64_t seed = 50;
  for (Parameter* p : model->parameters(false)) {  // random values, buffers included (positive, for variances)
    auto v = random_normal(static_cast<std::size_t>(p->value.numel()), seed++);
    if (!p->trainable)
      for (double& x : v) x = std::abs(x) + 0.5;
    from_host(p->value, v);
  }
  model->set_training(false);
  Tensor x = backend->empty(sample.with_batch(3), DType::Float64);
  from_host(x, random_normal(static_cast<std::size_t>(x.numel()), 60));
  const auto before = to_host<double>(model->forward(x));
  const auto path = std::filesystem::temp_directory_path() / (fmt::format("nnplug_conformance_{}.safetensors", getpid()));
  save_model(path, spec, *model, registry);
  LoadedModel loaded = load_model(path, registry, backend);
  std::filesystem::remove(path);
  loaded.model->set_training(false);
  if (to_host<double>(loaded.model->forward(x)) != before) {
    r.passed = false;
    r.detail = "the loaded model's output differs: a parameter or buffer is not among parameters()";
  }
  return r;
}

std::vector<CheckResult> check_registered(const Registry& registry, const std::string& kind, const std::string& name,
                                          const Params::Json& extra, const Shape& sample) {
  auto backend = registry.create_backend(Params("reference backend", "cpu"));
  const std::string label = fmt::format("{} {}", kind, name);
  try {
    if (kind == "activation") {
      auto a = registry.create_activation(spec_of(name, extra));
      return {check_activation_gradient(a, *backend, Shape{6}, 4, away_from_zero(random_normal(24, 3)))};
    }
    if (kind == "layer") {
      auto layer = registry.create_layer(spec_of(name, extra));
      Params::Json spec = extra;
      spec["type"] = name;
      return {check_layer_gradient(*layer, *backend, sample, 4, random_normal(static_cast<std::size_t>(4 * sample.numel()), 1)),
              check_layer_save_load(registry, spec, sample)};
    }
    if (kind == "loss") {
      auto loss = registry.create_loss(spec_of(name, extra));
      Tensor target;
      std::vector<double> pred = random_normal(20, 4);
      if (loss->target_kind() == TargetKind::ClassIndex) {
        target = backend->empty(Shape{4}, DType::Int32);
        from_host(target, std::vector<double>{0, 3, 4, 1});
      } else {  // 0/1 targets and predictions inside (0, 1): valid for probability and value losses alike
        target = backend->empty(Shape{4, 5}, DType::Float64);
        std::vector<double> t(20);
        for (std::size_t i = 0; i < t.size(); ++i) t[i] = pred[i] > 0 ? 1.0 : 0.0;
        for (double& p : pred) p = 0.5 + 0.35 * std::tanh(p);
        std::swap(pred[0], pred[7]);  // decorrelate predictions from targets
        from_host(target, t);
      }
      return {check_loss_gradient(*loss, *backend, Shape{4, 5}, pred, target)};
    }
    if (kind == "optimizer") {
      const Params::Json optional = {{"lr", 0.1}, {"weight_decay", 0.0}};
      auto make = [&] { return create_with([&](const Params& p) { return registry.create_optimizer(p); }, name, extra, optional); };
      make();  // fail here, once, if it cannot be created
      return {check_optimizer_zero_gradient(make, *backend), check_optimizer_converges_on_quadratic(make, *backend),
              check_optimizer_state_round_trip(make, *backend), check_optimizer_steps_in_parts(make, *backend)};
    }
    if (kind == "initializer") return {check_initializer_determinism(*registry.create_initializer(spec_of(name, extra)))};
    if (kind == "backend") {
      auto candidate = registry.create_backend(spec_of(name, extra));
      auto results = check_backend_parity(*candidate, *backend, DType::Float32);
      for (auto& r : check_backend_parity(*candidate, *backend, DType::Float64)) results.push_back(r);
      return results;
    }
    if (kind == "schedule") return {check_schedule(*registry.create_schedule(spec_of(name, extra)))};
    if (kind == "regularizer") return {check_regularizer(*registry.create_regularizer(spec_of(name, extra)), *backend)};
    if (kind == "gradient_transform") return {check_gradient_transform(*registry.create_gradient_transform(spec_of(name, extra)), *backend)};
    if (kind == "communicator") return check_communicator(*registry.create_communicator(spec_of(name, extra)), *backend);
    if (kind == "op" || kind == "kernel") {  // a kernel ("kernel:OP/BACKEND") is checked with every kernel of its op
      const std::string op_name = name.substr(0, name.find('/'));
      if (const auto op = registry.find_op(op_name)) return check_op(registry, op);
      return {failed(label, fmt::format("op '{}' is not defined by any loaded plugin", op_name))};
    }
  } catch (const std::exception& e) {
    return {failed(label, fmt::format("cannot be created for checking: {} (give its parameters with --params)", e.what()))};
  }
  return {failed(label, fmt::format("no checks for kind '{}'", kind))};
}

}  // namespace nnplug::conformance
