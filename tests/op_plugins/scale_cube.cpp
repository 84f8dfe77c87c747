// An op plugin for the tests: op 'scale_cube' (y = scale * x^3) with a cpu kernel, a composite and a host
// reference, its gradient op 'scale_cube_grad' (dx = 3 scale x^2 dy), and activation 'scale_cube' that binds them.
// Built several times (tests/op_plugins/CMakeLists.txt), each with one defect the host must catch, named by
// FIXTURE_DEFECT: none, wrong_element, throws, unknown_backend, dtype_mismatch, attribute_mismatch, float64_only,
// composite_float32; FIXTURE_PRIORITY its priority (0 unless set).
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "nnplug/op_activation.hpp"
#include "nnplug/plugin.hpp"

#ifndef FIXTURE_PRIORITY
#define FIXTURE_PRIORITY 0
#endif

namespace {

using namespace nnplug;

constexpr bool defect(const char* name) { return std::string_view(FIXTURE_DEFECT) == name; }

template <typename T>
void cube_on_cpu(const OpCall& call) {
  const auto* x = call.inputs[0].data<T>();
  auto* y = call.outputs[0].data<T>();
  const T scale = static_cast<T>(call.number("scale"));
  for (std::int64_t i = 0; i < call.inputs[0].numel(); ++i) y[i] = scale * x[i] * x[i] * x[i];
  if (defect("wrong_element") && call.inputs[0].numel() > 3) y[3] += T(0.25);
  if (defect("throws")) throw std::runtime_error("the lookup table is missing");
}

template <typename T>
void cube_grad_on_cpu(const OpCall& call) {
  const auto* x = call.inputs[0].data<T>();
  const auto* dy = call.inputs[2].data<T>();
  auto* dx = call.outputs[0].data<T>();
  const T scale = static_cast<T>(call.number("scale"));
  for (std::int64_t i = 0; i < call.inputs[0].numel(); ++i) dx[i] = 3 * scale * x[i] * x[i] * dy[i];
}

std::pair<OpSchema, OpSchema> schemas() {
  auto [cube, gradient] = activation_op_schemas("scale_cube", {{"scale", 1.0}});
  gradient.host_reference = [](HostOpCall& call) {
    const double scale = call.number("scale");
    const auto &x = call.inputs[0].values, &dy = call.inputs[2].values;
    for (std::size_t i = 0; i < x.size(); ++i) call.outputs[0].values[i] = 3 * scale * x[i] * x[i] * dy[i];
  };
  if (defect("dtype_mismatch")) cube.dtypes = {DType::Float64};
  if (defect("float64_only")) return {std::move(cube), std::move(gradient)};  // no reference: only a float64 kernel
  cube.composite = [](const OpCall& call) {  // y = scale * (x * x) * x with built-in ops
    const Tensor &x = call.inputs[0], &y = call.outputs[0];
    call.backend.run(op::Multiply{x, x, y});
    call.backend.run(op::Multiply{y, x, y});
    const bool wrong = defect("composite_float32") && call.dtype() == DType::Float32;
    call.backend.run(op::Axpby{y, y, 0.0, call.number("scale") + (wrong ? 0.5 : 0.0)});
  };
  cube.host_reference = [](HostOpCall& call) {
    const double scale = call.number("scale");
    for (std::size_t i = 0; i < call.inputs[0].values.size(); ++i) call.outputs[0].values[i] = scale * std::pow(call.inputs[0].values[i], 3);
  };
  return {std::move(cube), std::move(gradient)};
}

}  // namespace

NNPLUG_PLUGIN(FIXTURE_NAME, "1.0.0", "op:scale_cube op:scale_cube_grad activation:scale_cube", FIXTURE_PRIORITY) {
  auto [cube_schema, gradient_schema] = schemas();
  auto cube = registrar.add_op(std::move(cube_schema));
  registrar.add_op(std::move(gradient_schema));
  OpKernelSpec spec{"scale_cube", defect("unknown_backend") ? "tpu" : "cpu"};
  if (defect("dtype_mismatch")) spec.dtypes = {DType::Float32};
  if (defect("float64_only")) spec.dtypes = {DType::Float64};
  if (defect("attribute_mismatch")) spec.attributes = std::vector<std::string>{"factor"};
  registrar.add_kernel(spec, [](const OpCall& call) {
    if (call.dtype() == DType::Float32) cube_on_cpu<float>(call);
    else cube_on_cpu<double>(call);
  });
  registrar.add_kernel({"scale_cube_grad", "cpu"}, [](const OpCall& call) {
    if (call.dtype() == DType::Float32) cube_grad_on_cpu<float>(call);
    else cube_grad_on_cpu<double>(call);
  });
  registrar.add_activation("scale_cube", [cube](const Params& p) {
    const double scale = p.number("scale", 1.0);
    p.check_unused();
    return std::make_unique<OpActivation>("scale_cube", cube, OpActivation::Values{{"scale", scale}});
  });
}
