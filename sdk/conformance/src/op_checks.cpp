#include "nnplug/conformance/op_checks.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>


namespace nnplug::conformance {

namespace {

// The op's inputs and outputs for one check, as host values; outputs hold what they start with (NaN, so that an
// element a kernel does not write shows, or random values for an op that updates its outputs).
struct Case {
  std::vector<HostTensor> inputs, outputs;
};

Case random_case(const OpDefinition& op, std::uint64_t seed) {
  const OpSchema& s = op.schema();
  Case c;
  std::vector<Shape> shapes;
  for (std::size_t i = 0; i < s.inputs.size(); ++i) {
    const Shape shape = s.check_shapes.empty() ? Shape{4, 6} : s.check_shapes[i];
    shapes.push_back(shape);
    c.inputs.push_back({shape, random_normal(static_cast<std::size_t>(shape.numel()), seed + i)});
  }
  std::vector<OpAttributeValue> defaults;
  for (const auto& a : s.attributes) defaults.push_back(a.default_value);
  std::uint64_t output_seed = seed + 100;
  for (const Shape& shape : op.output_shapes(shapes, defaults)) {
    const auto n = static_cast<std::size_t>(shape.numel());
    c.outputs.push_back({shape, s.updates_outputs ? random_normal(n, output_seed++)
                                                  : std::vector<double>(n, std::numeric_limits<double>::quiet_NaN())});
  }
  if (s.check_values) s.check_values(c.inputs, c.outputs);
  return c;
}

std::vector<Tensor> upload(Backend& backend, const std::vector<HostTensor>& values, DType dtype) {
  std::vector<Tensor> out;
  for (const auto& v : values) {
    out.push_back(backend.empty(v.shape, dtype));
    from_host(out.back(), v.values);
  }
  return out;
}

// The outputs of the op run with one kernel on one backend, as doubles, one after another.
std::vector<double> run_with(const std::shared_ptr<const OpDefinition>& op, const OpKernel& kernel, Backend& backend,
                             DType dtype, const Case& c) {
  BoundOp bound(op, backend, dtype, &kernel);
  const auto outputs = upload(backend, c.outputs, dtype);
  bound(upload(backend, c.inputs, dtype), outputs);
  std::vector<double> all;
  for (const Tensor& t : outputs) {
    const auto v = to_host<double>(t);
    all.insert(all.end(), v.begin(), v.end());
  }
  return all;
}

// Where `got` differs from `want` by more than tolerance * max(1, |want|); NaN differs.
CheckResult compare(const std::string& check, const std::vector<double>& got, const std::vector<double>& want, double tolerance) {
  CheckResult r{check};
  for (std::size_t i = 0; i < want.size(); ++i) {
    const double error = std::abs(got[i] - want[i]) / std::max(1.0, std::abs(want[i]));
    if (!(error <= tolerance)) {
      if (r.passed) r.detail = fmt::format("[{}]: {:.9g}, the reference gives {:.9g} (tolerance {:g})", i, got[i], want[i], tolerance);
      r.passed = false;
      ++r.failures;
      r.worst_error = INFINITY;
    } else {
      r.worst_error = std::max(r.worst_error, error);
    }
  }
  if (r.failures > 1) r.detail += fmt::format(", and {} more elements", r.failures - 1);
  else if (r.passed) r.detail = fmt::format("largest difference {:.2g}", r.worst_error);
  return r;
}

// The op's gradient op against centred differences of L(x) = sum over outputs of r * op(x), in float64.
CheckResult check_gradient(const std::shared_ptr<const OpDefinition>& op, Backend& backend) {
  CheckResult result{fmt::format("op {} gradient ({}, float64)", op->name(), op->gradient()->name())};
  const Case c = random_case(*op, 70);
  BoundOp forward(op, backend, DType::Float64);
  std::vector<Tensor> x = upload(backend, c.inputs, DType::Float64), y = upload(backend, c.outputs, DType::Float64), r;
  std::uint64_t seed = 90;
  for (const auto& out : c.outputs) r.push_back(upload(backend, {{out.shape, random_normal(out.values.size(), seed++)}}, DType::Float64)[0]);
  auto objective = [&] {
    forward(x, y);
    double sum = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      const auto yv = to_host<double>(y[i]), rv = to_host<double>(r[i]);
      for (std::size_t k = 0; k < yv.size(); ++k) sum += yv[k] * rv[k];
    }
    return sum;
  };
  objective();  // y = op(x), an input of the gradient op
  std::vector<Tensor> grad_inputs = x, dx;
  grad_inputs.insert(grad_inputs.end(), y.begin(), y.end());
  grad_inputs.insert(grad_inputs.end(), r.begin(), r.end());
  for (const Tensor& t : x) dx.push_back(backend.empty(t.shape(), DType::Float64));
  forward.gradient()(grad_inputs, dx);
  for (std::size_t i = 0; i < x.size(); ++i)
    compare_with_centred_differences(x[i], to_host<double>(dx[i]), objective, op->schema().inputs[i], GradientCheckOptions{}, result);
  return result;
}

}  // namespace

std::vector<CheckResult> check_op(const Registry& registry, const std::shared_ptr<const OpDefinition>& op) {
  std::vector<CheckResult> results;
  const OpKernel* reference = op->find(OpKernel::Kind::Composite);
  if (!reference) reference = op->find(OpKernel::Kind::HostReference);
  if (!reference) {
    results.push_back({fmt::format("op {} has a reference", op->name()), false,
                       "no composite and no host reference: there is nothing to check its kernels against"});
  }
  auto cpu = registry.create_backend(Params("reference backend", "cpu"));
  for (DType dtype : op->schema().dtypes) {
    if (!reference) break;
    const Case c = random_case(*op, 40);
    const double tolerance = dtype == DType::Float32 ? op->schema().tolerance_float32 : op->schema().tolerance_float64;
    // The reference runs in float64 where it can: the truth a float32 kernel is measured against.
    const DType reference_dtype = reference->runs(DType::Float64) ? DType::Float64 : dtype;
    std::vector<double> want;
    try {
      want = run_with(op, *reference, *cpu, reference_dtype, c);
    } catch (const std::exception& e) {
      results.push_back({fmt::format("op {} {} ({})", op->name(), reference->describe(), dtype_name(dtype)), false, e.what()});
      continue;
    }
    for (const auto& kernel : op->kernels()) {
      // The reference itself is checked where it ran in float64 for the truth and also runs in this dtype.
      if ((kernel.get() == reference && reference_dtype == dtype) || !kernel->runs(dtype)) continue;
      CheckResult r{fmt::format("op {} {} ({})", op->name(), kernel->label(), dtype_name(dtype))};
      std::shared_ptr<Backend> backend = cpu;
      if (kernel->kind == OpKernel::Kind::Native) {
        if (!registry.has(PluginKind::Backend, kernel->backend)) {
          const std::string why = registry.why_unavailable(PluginKind::Backend, kernel->backend);
          results.push_back({r.check, true, fmt::format("backend '{}' is not usable here: {}", kernel->backend, why.empty() ? "no plugin provides it" : why), 0.0, 0, true});
          continue;
        }
        backend = registry.create_backend(Params("op kernel backend", kernel->backend));
      }
      try {
        auto checked = compare(r.check, run_with(op, *kernel, *backend, dtype, c), want, tolerance);
        results.push_back(checked);
      } catch (const std::exception& e) {
        results.push_back({r.check, false, e.what()});
      }
    }
  }
  if (op->gradient()) {
    try {
      results.push_back(check_gradient(op, *cpu));
    } catch (const std::exception& e) {
      results.push_back({fmt::format("op {} gradient", op->name()), false, e.what()});
    }
  }
  return results;
}

}  // namespace nnplug::conformance
