// Maxout: the maximum of each group of `pieces` consecutive features, and the winner's index for the backward pass.
#include "grid_loop.cuh"
#include "kernels.hpp"

namespace nnplug::cuda {

namespace {

template <typename T>
__global__ void max_groups_kernel(const T* x, T* y, std::int32_t* argmax, std::int64_t groups, std::int64_t pieces) {
  NNPLUG_GRID_LOOP(j, groups) {
    const T* g = x + j * pieces;
    std::int64_t best = 0;
    for (std::int64_t k = 1; k < pieces; ++k)
      if (g[k] > g[best]) best = k;  // the first of equal maxima, as torch.max
    y[j] = g[best];
    argmax[j] = static_cast<std::int32_t>(best);
  }
}

template <typename T>
__global__ void max_groups_grad_kernel(const T* dy, const std::int32_t* argmax, T* dx, std::int64_t groups, std::int64_t pieces) {
  NNPLUG_GRID_LOOP(j, groups) {
    for (std::int64_t k = 0; k < pieces; ++k) dx[j * pieces + k] = k == argmax[j] ? dy[j] : T(0);
  }
}

}  // namespace

void run_kernel(const op::MaxGroups& o, DeviceContext& ctx) {
  kChecks.max_groups(o);
  with_float_type(o.x, "max_groups", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t groups = o.y.numel();
    max_groups_kernel<T><<<blocks_for(groups), kThreads, 0, ctx.stream()>>>(o.x.data<T>(), o.y.data<T>(),
                                                                             o.argmax.data<std::int32_t>(), groups, o.pieces);
  });
  check_launch("max_groups");
}

void run_kernel(const op::MaxGroupsGrad& o, DeviceContext& ctx) {
  kChecks.max_groups_grad(o);
  with_float_type(o.dy, "max_groups_grad", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t groups = o.dy.numel();
    max_groups_grad_kernel<T><<<blocks_for(groups), kThreads, 0, ctx.stream()>>>(o.dy.data<T>(), o.argmax.data<std::int32_t>(),
                                                                                  o.dx.data<T>(), groups, o.pieces);
  });
  check_launch("max_groups_grad");
}

}  // namespace nnplug::cuda
