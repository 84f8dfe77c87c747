// 2-D convolution on cuDNN (cross-correlation, NCHW, as torch.nn.Conv2d), with the bias added and reduced by cuDNN.
#include <string>

#include <fmt/format.h>

#include "convolution_plans.hpp"
#include "kernels.hpp"

namespace nnplug::cuda {

namespace {

void check_cudnn(cudnnStatus_t status, const char* op, const char* call) {
  if (status != CUDNN_STATUS_SUCCESS) throw BackendError(fmt::format("cuda backend: {}: {}: {}", op, call, cudnnGetErrorString(status)));
}

int to_int(std::int64_t v, const char* op) {
  require(v <= 0x7fffffff, op, "a dimension exceeds cuDNN's 32-bit sizes");
  return static_cast<int>(v);
}

void set_nchw(cudnnTensorDescriptor_t d, cudnnDataType_t type, std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w) {
  check_cudnn(cudnnSetTensor4dDescriptor(d, CUDNN_TENSOR_NCHW, type, to_int(n, "conv2d"), to_int(c, "conv2d"), to_int(h, "conv2d"),
                                         to_int(w, "conv2d")),
              "conv2d", "cudnnSetTensor4dDescriptor");
}

// The first algorithm cuDNN's heuristics rank as working, preferring deterministic ones (so that a run on the GPU
// repeats itself); `Perf` is one of cuDNN's *AlgoPerf_t structs.
template <typename Perf>
const Perf& pick(const Perf* perf, int count, const char* which) {
  for (int i = 0; i < count; ++i)
    if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].determinism == CUDNN_DETERMINISTIC) return perf[i];
  for (int i = 0; i < count; ++i)
    if (perf[i].status == CUDNN_STATUS_SUCCESS) return perf[i];
  throw BackendError(fmt::format("cuda backend: conv2d: cuDNN has no {} algorithm for this geometry", which));
}

// The plan's geometry of a convolution whose shapes OpChecks found to fit (s), once its dtypes agree.
ConvolutionGeometry geometry(const backends::WindowShape& s, const Tensor& x, const Tensor& w, const Tensor& y, const Window2d& g,
                             const char* op, const DeviceContext& ctx) {
  require(w.dtype() == x.dtype() && y.dtype() == x.dtype(), op, "dtypes differ");
  return {x.dtype(), s.n, s.c, s.h, s.w, s.f, s.oh, s.ow, s.groups, g, ctx.bfloat16() && x.dtype() == DType::Float32};
}

constexpr int kFirstCopy = DeviceContext::kBfloat16Slots;  // mixed precision's three bfloat16 copies

// cuDNN's scaling factors are float for float data and double for double data.
struct Scale {
  float f;
  double d;
  const void* of(DType t) const { return t == DType::Float64 ? static_cast<const void*>(&d) : static_cast<const void*>(&f); }
};
constexpr Scale kOne{1.0f, 1.0}, kZero{0.0f, 0.0};

}  // namespace

ConvolutionPlan::~ConvolutionPlan() {
  if (x) cudnnDestroyTensorDescriptor(x);
  if (y) cudnnDestroyTensorDescriptor(y);
  if (y_wide) cudnnDestroyTensorDescriptor(y_wide);
  if (bias) cudnnDestroyTensorDescriptor(bias);
  if (w) cudnnDestroyFilterDescriptor(w);
  if (conv) cudnnDestroyConvolutionDescriptor(conv);
}

const ConvolutionPlan& ConvolutionPlans::get(cudnnHandle_t handle, const ConvolutionGeometry& s) {
  if (auto it = plans_.find(s); it != plans_.end()) return *it->second;
  auto plan = std::make_unique<ConvolutionPlan>();
  const cudnnDataType_t wide = s.dtype == DType::Float64 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
  const cudnnDataType_t type = s.bfloat16 ? CUDNN_DATA_BFLOAT16 : wide;  // cuDNN's BFLOAT16_CONFIG: float accumulation
  const char* op = "conv2d";
  check_cudnn(cudnnCreateTensorDescriptor(&plan->x), op, "cudnnCreateTensorDescriptor");
  check_cudnn(cudnnCreateTensorDescriptor(&plan->y), op, "cudnnCreateTensorDescriptor");
  check_cudnn(cudnnCreateTensorDescriptor(&plan->y_wide), op, "cudnnCreateTensorDescriptor");
  check_cudnn(cudnnCreateTensorDescriptor(&plan->bias), op, "cudnnCreateTensorDescriptor");
  check_cudnn(cudnnCreateFilterDescriptor(&plan->w), op, "cudnnCreateFilterDescriptor");
  check_cudnn(cudnnCreateConvolutionDescriptor(&plan->conv), op, "cudnnCreateConvolutionDescriptor");
  set_nchw(plan->x, type, s.n, s.c, s.h, s.w);
  set_nchw(plan->y, type, s.n, s.f, s.oh, s.ow);
  set_nchw(plan->y_wide, wide, s.n, s.f, s.oh, s.ow);
  set_nchw(plan->bias, wide, 1, s.f, 1, 1);
  check_cudnn(cudnnSetFilter4dDescriptor(plan->w, type, CUDNN_TENSOR_NCHW, to_int(s.f, op), to_int(s.c / s.groups, op), to_int(s.g.kernel_h, op),
                                         to_int(s.g.kernel_w, op)),
              op, "cudnnSetFilter4dDescriptor");
  check_cudnn(cudnnSetConvolution2dDescriptor(plan->conv, to_int(s.g.pad_h, op), to_int(s.g.pad_w, op), to_int(s.g.stride_h, op),
                                              to_int(s.g.stride_w, op), to_int(s.g.dilation_h, op), to_int(s.g.dilation_w, op),
                                              CUDNN_CROSS_CORRELATION, wide),
              op, "cudnnSetConvolution2dDescriptor");
  check_cudnn(cudnnSetConvolutionGroupCount(plan->conv, to_int(s.groups, op)), op, "cudnnSetConvolutionGroupCount");
  // Exact float32 arithmetic unless TF32 was allowed, as for the GEMMs; tensor cores for bfloat16.
  const cudnnMathType_t math = s.bfloat16                                 ? CUDNN_TENSOR_OP_MATH
                               : type == CUDNN_DATA_FLOAT && !allow_tf32_ ? CUDNN_FMA_MATH
                                                                          : CUDNN_DEFAULT_MATH;
  check_cudnn(cudnnSetConvolutionMathType(plan->conv, math), op, "cudnnSetConvolutionMathType");

  int count = 0;
  cudnnConvolutionFwdAlgoPerf_t fwd[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  check_cudnn(cudnnGetConvolutionForwardAlgorithm_v7(handle, plan->x, plan->w, plan->conv, plan->y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT,
                                                     &count, fwd),
              op, "cudnnGetConvolutionForwardAlgorithm_v7");
  const auto& f = pick(fwd, count, "forward");
  plan->forward = f.algo;
  check_cudnn(cudnnGetConvolutionForwardWorkspaceSize(handle, plan->x, plan->w, plan->conv, plan->y, f.algo, &plan->forward_workspace),
              op, "cudnnGetConvolutionForwardWorkspaceSize");

  cudnnConvolutionBwdDataAlgoPerf_t bwd_data[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
  check_cudnn(cudnnGetConvolutionBackwardDataAlgorithm_v7(handle, plan->w, plan->y, plan->conv, plan->x,
                                                          CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count, bwd_data),
              op, "cudnnGetConvolutionBackwardDataAlgorithm_v7");
  const auto& d = pick(bwd_data, count, "backward data");
  plan->backward_data = d.algo;
  check_cudnn(cudnnGetConvolutionBackwardDataWorkspaceSize(handle, plan->w, plan->y, plan->conv, plan->x, d.algo,
                                                           &plan->backward_data_workspace),
              op, "cudnnGetConvolutionBackwardDataWorkspaceSize");

  cudnnConvolutionBwdFilterAlgoPerf_t bwd_filter[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
  check_cudnn(cudnnGetConvolutionBackwardFilterAlgorithm_v7(handle, plan->x, plan->y, plan->conv, plan->w,
                                                            CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, &count, bwd_filter),
              op, "cudnnGetConvolutionBackwardFilterAlgorithm_v7");
  const auto& b = pick(bwd_filter, count, "backward filter");
  plan->backward_filter = b.algo;
  check_cudnn(cudnnGetConvolutionBackwardFilterWorkspaceSize(handle, plan->x, plan->y, plan->conv, plan->w, b.algo,
                                                             &plan->backward_filter_workspace),
              op, "cudnnGetConvolutionBackwardFilterWorkspaceSize");
  return *(plans_[s] = std::move(plan));
}

void run_kernel(const op::Conv2d& o, DeviceContext& ctx) {
  const ConvolutionGeometry s = geometry(kChecks.conv(o.x, o.w, o.y, o.window, o.groups, "conv2d"), o.x, o.w, o.y, o.window, "conv2d", ctx);
  if (o.bias.defined()) require(o.bias.numel() == s.f && o.bias.dtype() == s.dtype, "conv2d", [&] { return fmt::format("bias {} does not fit the filters", o.bias.describe()); });
  with_float_type(o.x, "conv2d", [](auto) {});
  const ConvolutionPlan& p = ctx.convolution_plans().get(ctx.cudnn(), s);
  void* workspace = p.forward_workspace ? ctx.scratch(0, p.forward_workspace) : nullptr;
  const void* x = s.bfloat16 ? bfloat16_copy(ctx, kFirstCopy, o.x, "conv2d") : o.x.data();
  const void* w = s.bfloat16 ? bfloat16_copy(ctx, kFirstCopy + 1, o.w, "conv2d") : o.w.data();
  void* y = s.bfloat16 ? bfloat16_space(ctx, kFirstCopy + 2, o.y) : o.y.data();
  check_cudnn(cudnnConvolutionForward(ctx.cudnn(), kOne.of(s.dtype), p.x, x, p.w, w, p.conv, p.forward, workspace, p.forward_workspace,
                                      kZero.of(s.dtype), p.y, y),
              "conv2d", "cudnnConvolutionForward");
  if (s.bfloat16) widen_bfloat16(ctx, y, o.y, "conv2d");
  if (o.bias.defined())
    check_cudnn(cudnnAddTensor(ctx.cudnn(), kOne.of(s.dtype), p.bias, o.bias.data(), kOne.of(s.dtype), p.y_wide, o.y.data()), "conv2d",
                "cudnnAddTensor");
  // The epilogue, as a kernel of its own after the convolution (cudnnConvolutionBiasActivationForward is not used yet).
  if (o.epilogue != Pointwise::Identity) run_kernel(op::Activation{o.y, o.y, o.epilogue, o.epilogue_alpha}, ctx);
}

void run_kernel(const op::Conv2dGrad& o, DeviceContext& ctx) {
  const ConvolutionGeometry s = geometry(kChecks.conv_grad(o), o.x, o.w, o.dy, o.window, "conv2d_grad", ctx);
  with_float_type(o.x, "conv2d_grad", [](auto) {});
  const ConvolutionPlan& p = ctx.convolution_plans().get(ctx.cudnn(), s);
  const std::size_t bytes = std::max(o.dw.defined() ? p.backward_filter_workspace : 0, o.dx.defined() ? p.backward_data_workspace : 0);
  void* workspace = bytes ? ctx.scratch(0, bytes) : nullptr;
  // In mixed precision the three copies are reused in stream order: x's room takes dx once dw is done, w's takes
  // dw and then w.
  const void* dy = s.bfloat16 ? bfloat16_copy(ctx, kFirstCopy + 2, o.dy, "conv2d_grad") : o.dy.data();
  if (o.dw.defined()) {
    const void* x = s.bfloat16 ? bfloat16_copy(ctx, kFirstCopy, o.x, "conv2d_grad") : o.x.data();
    void* dw = s.bfloat16 ? bfloat16_space(ctx, kFirstCopy + 1, o.dw) : o.dw.data();
    check_cudnn(cudnnConvolutionBackwardFilter(ctx.cudnn(), kOne.of(s.dtype), p.x, x, p.y, dy, p.conv, p.backward_filter, workspace,
                                               p.backward_filter_workspace, kZero.of(s.dtype), p.w, dw),
                "conv2d_grad", "cudnnConvolutionBackwardFilter");
    if (s.bfloat16) widen_bfloat16(ctx, dw, o.dw, "conv2d_grad");
  }
  if (o.dx.defined()) {
    const void* w = s.bfloat16 ? bfloat16_copy(ctx, kFirstCopy + 1, o.w, "conv2d_grad") : o.w.data();
    void* dx = s.bfloat16 ? bfloat16_space(ctx, kFirstCopy, o.dx) : o.dx.data();
    check_cudnn(cudnnConvolutionBackwardData(ctx.cudnn(), kOne.of(s.dtype), p.w, w, p.y, dy, p.conv, p.backward_data, workspace,
                                             p.backward_data_workspace, kZero.of(s.dtype), p.x, dx),
                "conv2d_grad", "cudnnConvolutionBackwardData");
    if (s.bfloat16) widen_bfloat16(ctx, dx, o.dx, "conv2d_grad");
  }
  if (o.dbias.defined())
    check_cudnn(cudnnConvolutionBackwardBias(ctx.cudnn(), kOne.of(s.dtype), p.y_wide, o.dy.data(), kZero.of(s.dtype), p.bias, o.dbias.data()),
                "conv2d_grad", "cudnnConvolutionBackwardBias");
}

}  // namespace nnplug::cuda
