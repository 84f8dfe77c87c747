// Batch normalisation over every axis but the channel (dim 1), statistics in double as on the CPU. One block per
// channel: the block reduces the channel's values, then normalises them.
#include <cmath>

#include "reduce.cuh"

namespace nnplug::cuda {

namespace {

template <typename T>
__global__ void batch_norm_kernel(const T* x, const T* gamma, const T* beta, T* y, T* mean_out, T* invstd_out, T* rmean, T* rvar,
                                  ChannelLayout l, double momentum, double eps, bool training) {
  const std::int64_t c = blockIdx.x, m = l.per_channel();
  double mean, invstd;
  if (training) {
    double sum = 0;
    for (std::int64_t k = threadIdx.x; k < m; k += blockDim.x) sum += static_cast<double>(x[l.nth(c, k)]);
    mean = block_broadcast_sum(sum) / static_cast<double>(m);
    double sq = 0;
    for (std::int64_t k = threadIdx.x; k < m; k += blockDim.x) {
      const double d = static_cast<double>(x[l.nth(c, k)]) - mean;
      sq += d * d;
    }
    sq = block_broadcast_sum(sq);
    invstd = 1.0 / sqrt(sq / static_cast<double>(m) + eps);  // biased variance, for normalising
    if (threadIdx.x == 0) {
      const double unbiased = sq / static_cast<double>(m - 1);
      rmean[c] = static_cast<T>((1.0 - momentum) * static_cast<double>(rmean[c]) + momentum * mean);
      rvar[c] = static_cast<T>((1.0 - momentum) * static_cast<double>(rvar[c]) + momentum * unbiased);
    }
  } else {
    mean = static_cast<double>(rmean[c]);
    invstd = 1.0 / sqrt(static_cast<double>(rvar[c]) + eps);
  }
  if (threadIdx.x == 0) {
    mean_out[c] = static_cast<T>(mean);
    invstd_out[c] = static_cast<T>(invstd);
  }
  const T scale = static_cast<T>(gamma[c] * invstd), shift = static_cast<T>(beta[c] - gamma[c] * mean * invstd);
  for (std::int64_t k = threadIdx.x; k < m; k += blockDim.x) {
    const std::int64_t i = l.nth(c, k);
    y[i] = x[i] * scale + shift;
  }
}

template <typename T>
__global__ void batch_norm_grad_kernel(const T* x, const T* gamma_in, const T* dy, const T* mean_in, const T* invstd_in, T* dx,
                                       T* dgamma, T* dbeta, ChannelLayout l, bool training) {
  const std::int64_t c = blockIdx.x, count = l.per_channel();
  const double m = static_cast<double>(count);
  const double mean = static_cast<double>(mean_in[c]), invstd = static_cast<double>(invstd_in[c]);
  const double gamma = static_cast<double>(gamma_in[c]);
  double sum_dy = 0, sum_dy_xhat = 0;
  for (std::int64_t k = threadIdx.x; k < count; k += blockDim.x) {
    const std::int64_t i = l.nth(c, k);
    sum_dy += static_cast<double>(dy[i]);
    sum_dy_xhat += static_cast<double>(dy[i]) * (static_cast<double>(x[i]) - mean) * invstd;
  }
  sum_dy = block_broadcast_sum(sum_dy);
  sum_dy_xhat = block_broadcast_sum(sum_dy_xhat);
  if (threadIdx.x == 0) {
    dgamma[c] = static_cast<T>(sum_dy_xhat);
    dbeta[c] = static_cast<T>(sum_dy);
  }
  if (!dx) return;
  // Training: dx = gamma invstd / m (m dy - sum dy - xhat sum(dy xhat)). Eval: dx = gamma invstd dy.
  const double k_train = gamma * invstd / m;
  for (std::int64_t k = threadIdx.x; k < count; k += blockDim.x) {
    const std::int64_t i = l.nth(c, k);
    const double xhat = (static_cast<double>(x[i]) - mean) * invstd;
    dx[i] = training ? static_cast<T>(k_train * (m * static_cast<double>(dy[i]) - sum_dy - xhat * sum_dy_xhat))
                     : static_cast<T>(gamma * invstd * static_cast<double>(dy[i]));
  }
}


}  // namespace

void run_kernel(const op::BatchNorm& o, DeviceContext& ctx) {
  const ChannelLayout l = kChecks.batch_norm(o);
  with_float_type(o.x, "batch_norm", [&](auto tag) {
    using T = decltype(tag);
    batch_norm_kernel<T><<<static_cast<unsigned>(l.channels), kThreads, 0, ctx.stream()>>>(
        o.x.data<T>(), o.gamma.data<T>(), o.beta.data<T>(), o.y.data<T>(), o.mean.data<T>(), o.invstd.data<T>(),
        o.running_mean.data<T>(), o.running_var.data<T>(), l, o.momentum, o.eps, o.training);
  });
  check_launch("batch_norm");
  if (o.epilogue != Pointwise::Identity) run_kernel(op::Activation{o.y, o.y, o.epilogue, o.epilogue_alpha}, ctx);  // a kernel of its own
}

void run_kernel(const op::BatchNormGrad& o, DeviceContext& ctx) {
  const ChannelLayout l = kChecks.batch_norm(o.x, o.gamma, "batch_norm_grad");
  require_same_count(o.x, o.dy, "batch_norm_grad");
  with_float_type(o.x, "batch_norm_grad", [&](auto tag) {
    using T = decltype(tag);
    T* dx = o.dx.defined() ? o.dx.data<T>() : nullptr;
    batch_norm_grad_kernel<T><<<static_cast<unsigned>(l.channels), kThreads, 0, ctx.stream()>>>(
        o.x.data<T>(), o.gamma.data<T>(), o.dy.data<T>(), o.mean.data<T>(), o.invstd.data<T>(), dx, o.dgamma.data<T>(),
        o.dbeta.data<T>(), l, o.training);
  });
  check_launch("batch_norm_grad");
  if (o.dx.defined() && o.input_activation != Pointwise::Identity)  // a kernel of its own
    run_kernel(op::ActivationGrad{o.x, o.x, o.dx, o.dx, o.input_activation}, ctx);
}

}  // namespace nnplug::cuda
