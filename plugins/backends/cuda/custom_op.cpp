// op::Custom on the GPU: the plugin's cuda kernel launches on the context's stream, so that it runs in order with
// the built-in ops and a step graph captures it like them.
#include "kernels.hpp"
#include "nnplug/custom_op.hpp"

namespace nnplug::cuda {

void run_kernel(const op::Custom& o, DeviceContext& ctx) {
  require(o.kernel && o.kernel->backend == "cuda", "custom", "the op's kernel is not a cuda kernel");
  o.kernel->run(OpCall(*o.kernel->op, o.inputs.front().backend(), o.inputs, o.outputs, o.attributes, ctx.stream()));
}

}  // namespace nnplug::cuda
