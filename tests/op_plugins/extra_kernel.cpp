// An op plugin for the tests that defines no op: one more cpu kernel, float64 only, for op 'scale_cube' of another
// plugin. Loaded beside a plugin whose op is refused, it must be refused too (tests/op_plugin_test.cpp).
#include "nnplug/plugin.hpp"

using namespace nnplug;

NNPLUG_PLUGIN("op_fixture_extra_kernel", "1.0.0", "kernel:scale_cube/cpu", 0) {
  registrar.add_kernel({"scale_cube", "cpu", {DType::Float64}}, [](const OpCall& call) {
    const double scale = call.number("scale");
    const auto* x = call.inputs[0].data<double>();
    auto* y = call.outputs[0].data<double>();
    for (std::int64_t i = 0; i < call.inputs[0].numel(); ++i) y[i] = scale * x[i] * x[i] * x[i];
  });
}
