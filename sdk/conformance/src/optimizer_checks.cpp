#include <cmath>
#include <cstdint>

#include <fmt/format.h>

#include "nnplug/conformance/component_checks.hpp"

namespace nnplug::conformance {

namespace {

struct Weights {
  Parameter p;
  explicit Weights(Backend& be, const std::vector<double>& w0) {
    const Shape shape{static_cast<std::int64_t>(w0.size())};
    p = {"w", be.empty(shape, DType::Float64), be.empty(shape, DType::Float64)};
    from_host(p.value, w0);
    be.run(op::Fill{p.grad, 0.0});
  }
};

double distance(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(s);
}

}  // namespace

CheckResult check_optimizer_zero_gradient(const OptimizerFactory& make, Backend& backend) {
  auto opt = make();
  CheckResult r{fmt::format("{} zero gradient keeps the weights", opt->type())};
  const auto w0 = random_normal(10, 21);
  Weights w(backend, w0);
  opt->attach({&w.p});
  for (int i = 0; i < 5; ++i) opt->step();
  const auto w5 = to_host<double>(w.p.value);
  if (w5 != w0) {
    r.passed = false;
    r.detail = fmt::format("after 5 steps with a zero gradient the weights moved by {}", distance(w5, w0));
  }
  return r;
}

CheckResult check_optimizer_converges_on_quadratic(const OptimizerFactory& make, Backend& backend, int max_steps) {
  auto opt = make();
  CheckResult r{fmt::format("{} converges on a quadratic", opt->type())};
  const auto c = random_normal(10, 22);
  const std::vector<double> w0(c.size(), 0.0);
  Weights w(backend, w0);
  Tensor target = backend.empty(w.p.value.shape(), DType::Float64);
  from_host(target, c);
  opt->attach({&w.p});
  const double start = distance(w0, c);
  for (int step = 1; step <= max_steps; ++step) {
    backend.run(op::Copy{w.p.value, w.p.grad});
    backend.run(op::Axpby{target, w.p.grad, -1.0, 1.0});  // grad = w - c
    opt->step();
    if (step % 50 == 0 && distance(to_host<double>(w.p.value), c) < 0.1 * start) {
      r.detail = fmt::format("within a tenth of the start after {} steps", step);
      return r;
    }
  }
  r.passed = false;
  r.detail = fmt::format("after {} steps the distance is {} (start {})", max_steps, distance(to_host<double>(w.p.value), c), start);
  return r;
}

CheckResult check_optimizer_state_round_trip(const OptimizerFactory& make, Backend& backend) {
  auto opt = make();
  CheckResult r{fmt::format("{} state save and restore", opt->type())};
  Weights w(backend, random_normal(10, 23));
  opt->attach({&w.p});
  auto step_with = [&](std::uint64_t seed) {
    from_host(w.p.grad, random_normal(10, seed));
    opt->step();
  };
  for (std::uint64_t s = 0; s < 5; ++s) step_with(100 + s);
  // Save.
  const auto saved_w = to_host<double>(w.p.value);
  std::vector<std::vector<double>> saved_state;
  for (auto& [name, t] : opt->state()) saved_state.push_back(to_host<double>(t));
  const auto saved_steps = opt->step_count();
  for (std::uint64_t s = 5; s < 8; ++s) step_with(100 + s);
  const auto first = to_host<double>(w.p.value);
  // Restore into a fresh optimizer, as a resumed run does.
  auto resumed = make();
  from_host(w.p.value, saved_w);
  resumed->attach({&w.p});
  auto state = resumed->state();
  if (state.size() != saved_state.size()) {
    r.passed = false;
    r.detail = fmt::format("a fresh optimizer has {} state tensors, the saved one {}", state.size(), saved_state.size());
    return r;
  }
  for (std::size_t i = 0; i < state.size(); ++i) from_host(state[i].second, saved_state[i]);
  resumed->set_step_count(saved_steps);
  opt = std::move(resumed);
  for (std::uint64_t s = 5; s < 8; ++s) step_with(100 + s);
  const auto second = to_host<double>(w.p.value);
  if (first != second) {
    r.passed = false;
    r.detail = fmt::format("the restored run differs by {} after 3 steps: some state is missing from state() or step_count()",
                           distance(first, second));
  }
  return r;
}

CheckResult check_optimizer_steps_in_parts(const OptimizerFactory& make, Backend& backend) {
  auto whole = make();
  CheckResult r{fmt::format("{} steps taken in parts equal whole steps", whole->type())};
  if (!whole->steps_in_parts()) {
    r.detail = "it steps whole only (steps_in_parts() is false)";
    return r;
  }
  // Two parameters, updated by one optimizer in one step() and by another in two parts, the second first, as a
  // data-parallel step updates each bucket once it is reduced.
  Weights a0(backend, random_normal(10, 24)), b0(backend, random_normal(7, 25));
  Weights a1(backend, random_normal(10, 24)), b1(backend, random_normal(7, 25));
  auto parts = make();
  whole->attach({&a0.p, &b0.p});
  parts->attach({&a1.p, &b1.p});
  for (std::uint64_t s = 0; s < 5; ++s) {
    for (Parameter* p : {&a0.p, &a1.p}) from_host(p->grad, random_normal(10, 200 + s));
    for (Parameter* p : {&b0.p, &b1.p}) from_host(p->grad, random_normal(7, 300 + s));
    whole->step();
    parts->begin_step();
    parts->step_parameters({1});
    parts->step_parameters({0});
  }
  const auto a_whole = to_host<double>(a0.p.value), a_parts = to_host<double>(a1.p.value);
  const auto b_whole = to_host<double>(b0.p.value), b_parts = to_host<double>(b1.p.value);
  if (a_whole != a_parts || b_whole != b_parts) {
    r.passed = false;
    r.detail = fmt::format("after 5 steps the parameters differ by {} and {}: an update reads another parameter's gradient or state, "
                           "or step_parameters() does not do what step() does; keep steps_in_parts() false",
                           distance(a_whole, a_parts), distance(b_whole, b_parts));
  }
  return r;
}

}  // namespace nnplug::conformance
