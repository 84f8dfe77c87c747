// GEMM on cuBLAS. cuBLAS is column-major and our tensors are row-major: a row-major matrix read column-major is its
// transpose, so C = op(A) op(B) is computed as C^T = op(B)^T op(A)^T with the operands swapped.
#include <type_traits>

#include "kernels.hpp"

namespace nnplug::cuda {

void run_kernel(const op::Gemm& o, DeviceContext& ctx) {
  const auto [m, n, k] = kChecks.gemm(o);
  require(o.a.dtype() == o.c.dtype() && o.b.dtype() == o.c.dtype(), "gemm", "dtypes differ");
  const auto too_big = [](std::int64_t v) { return v > 0x7fffffff; };
  require(!too_big(m) && !too_big(n) && !too_big(k), "gemm", "a dimension exceeds cuBLAS' 32-bit sizes");
  const cublasOperation_t op_b = o.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, op_a = o.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int ldb = static_cast<int>(std::max<std::int64_t>(1, o.b.dim(1))), lda = static_cast<int>(std::max<std::int64_t>(1, o.a.dim(1)));
  const int ldc = static_cast<int>(std::max<std::int64_t>(1, n));
  cublasStatus_t status = CUBLAS_STATUS_SUCCESS;
  with_float_type(o.c, "gemm", [&](auto tag) {
    using T = decltype(tag);
    const T alpha = static_cast<T>(o.alpha), beta = static_cast<T>(o.beta);  // beta 0: C is not read (NaN included)
    if constexpr (std::is_same_v<T, float>) {
      if (ctx.bfloat16()) {
        // Mixed precision: cuBLAS rounds the float32 operands to bfloat16 for the tensor cores and sums in float32.
        status = ctx.blas().gemm_ex(ctx.cublas(), op_b, op_a, static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &alpha,
                                    o.b.data<T>(), CUDA_R_32F, ldb, o.a.data<T>(), CUDA_R_32F, lda, &beta, o.c.data<T>(), CUDA_R_32F,
                                    ldc, CUBLAS_COMPUTE_32F_FAST_16BF, CUBLAS_GEMM_DEFAULT);
        return;
      }
      status = ctx.blas().sgemm(ctx.cublas(), op_b, op_a, static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &alpha,
                                o.b.data<T>(), ldb, o.a.data<T>(), lda, &beta, o.c.data<T>(), ldc);
    } else {
      status = ctx.blas().dgemm(ctx.cublas(), op_b, op_a, static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &alpha,
                                o.b.data<T>(), ldb, o.a.data<T>(), lda, &beta, o.c.data<T>(), ldc);
    }
  });
  require(status == CUBLAS_STATUS_SUCCESS, "gemm", [&] { return std::string("cuBLAS failed: ") + ctx.blas().status_string(status); });
  // The epilogue, as kernels of their own after the product (cuBLASLt's fused epilogues are not used yet).
  if (o.bias.defined()) run_kernel(op::AddRowVector{o.c, o.bias, o.c}, ctx);
  if (o.epilogue != Pointwise::Identity) run_kernel(op::Activation{o.c, o.c, o.epilogue, o.epilogue_alpha}, ctx);
}

}  // namespace nnplug::cuda
