// Element-wise losses of a prediction against a target of the same shape, mean over every element.
#include "element_losses.hpp"
#include "grid_loop.cuh"
#include "reduce.cuh"

namespace nnplug::cuda {

namespace {

using backends::element_loss;

template <typename T>
__global__ void elementwise_loss_kernel(const T* p, const T* t, const T* pos_weight, std::int64_t outputs, T* dp, std::int64_t n,
                                        ElementwiseLossFn fn, T param, double* acc) {
  const T inv_n = T(1) / static_cast<T>(n);
  double total = 0;
  NNPLUG_GRID_LOOP(i, n) {
    T grad = 0;
    total += element_loss<T>(fn, p[i], t[i], param, &grad, pos_weight ? pos_weight[i % outputs] : T(1));
    if (dp) dp[i] = grad * inv_n;
  }
  total = block_sum(total);
  if (threadIdx.x == 0) atomicAdd(acc, total);
}

}  // namespace

void run_kernel(const op::ElementwiseLoss& o, DeviceContext& ctx) {
  kChecks.elementwise_loss(o);
  with_float_type(o.pred, "elementwise_loss", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.pred.numel();
    double* acc = zeroed_accumulators(ctx, 1, "elementwise_loss");
    T* dp = o.dpred.defined() ? o.dpred.data<T>() : nullptr;
    const T* pos_weight = o.pos_weight.defined() ? o.pos_weight.data<T>() : nullptr;
    const std::int64_t outputs = o.pos_weight.defined() ? o.pos_weight.numel() : 1;
    elementwise_loss_kernel<T><<<blocks_for(n), kThreads, 0, ctx.stream()>>>(o.pred.data<T>(), o.target.data<T>(), pos_weight, outputs, dp,
                                                                              n, o.fn, static_cast<T>(o.param), acc);
    check_launch("elementwise_loss");
    store_scalar(acc, o.loss, 1.0 / static_cast<double>(n), ctx, "elementwise_loss");
  });
}

}  // namespace nnplug::cuda
