// The op batched_matmul (multi_head_attention's plugin): every kernel the cpu backend can run (oneDNN's batched
// product in float32, the backend's products block by block, the host reference) against plain loops here, with
// each input transposed or not, alpha, and beta adding to what c held; beta 0 ignores c, NaN included. Block counts
// from one to attention's (512 blocks of 28 x 16 by 16 x 28, for the native kernel).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "test_support.hpp"

namespace nnplug::test {
namespace {

struct Size {
  std::int64_t blocks, m, k, n;
};

// c_i = alpha op(a_i) op(b_i) + beta c_i, with a stored (blocks, m, k) or (blocks, k, m), b (blocks, k, n) or (blocks, n, k).
std::vector<double> naive(const std::vector<double>& a, const std::vector<double>& b, std::vector<double> c, const Size& s, bool ta,
                          bool tb, double alpha, double beta) {
  for (std::int64_t i = 0; i < s.blocks; ++i)
    for (std::int64_t r = 0; r < s.m; ++r)
      for (std::int64_t col = 0; col < s.n; ++col) {
        double sum = 0;
        for (std::int64_t j = 0; j < s.k; ++j) {
          const std::int64_t ai = i * s.m * s.k + (ta ? j * s.m + r : r * s.k + j), bi = i * s.k * s.n + (tb ? col * s.k + j : j * s.n + col);
          sum += a[static_cast<std::size_t>(ai)] * b[static_cast<std::size_t>(bi)];
        }
        double& out = c[static_cast<std::size_t>((i * s.m + r) * s.n + col)];
        out = alpha * sum + (beta == 0 ? 0.0 : beta * out);
      }
  return c;
}

TEST(BatchedMatmul, EveryCpuKernelComputesEachBlocksProduct) {
  const auto be = cpu_backend();
  const auto op = registry().find_op("batched_matmul");
  ASSERT_TRUE(op) << "no plugin defines batched_matmul";
  int native_runs = 0;
  for (const Size& s : {Size{1, 3, 2, 4}, Size{7, 5, 3, 6}, Size{512, 28, 16, 28}})
    for (const auto& kernel : op->kernels())
      for (DType dtype : {DType::Float32, DType::Float64}) {
        if (!kernel->runs(dtype) || (kernel->kind == OpKernel::Kind::Native && kernel->backend != "cpu")) continue;
        if (s.blocks > 100 && kernel->kind != OpKernel::Kind::Native) continue;  // the references' loops: small sizes do
        native_runs += kernel->kind == OpKernel::Kind::Native;
        const BoundOp bound(op, *be, dtype, kernel.get());
        for (const bool ta : {false, true})
          for (const bool tb : {false, true})
            for (const auto& [alpha, beta] : std::vector<std::pair<double, double>>{{1.0, 0.0}, {0.25, 0.0}, {1.0, 1.0}, {-0.5, 1.5}}) {
              SCOPED_TRACE(fmt::format("{} in {}: {} blocks of ({} x {}) by ({} x {}), trans_a {}, trans_b {}, alpha {}, beta {}", kernel->label(),
                                       dtype_name(dtype), s.blocks, s.m, s.k, s.k, s.n, ta, tb, alpha, beta));
              const auto av = random_normal(static_cast<std::size_t>(s.blocks * s.m * s.k), 3);
              const auto bv = random_normal(static_cast<std::size_t>(s.blocks * s.k * s.n), 4);
              const Tensor a = tensor(*be, ta ? Shape{s.blocks, s.k, s.m} : Shape{s.blocks, s.m, s.k}, av, dtype);
              const Tensor b = tensor(*be, tb ? Shape{s.blocks, s.n, s.k} : Shape{s.blocks, s.k, s.n}, bv, dtype);
              const Tensor c = tensor(*be, Shape{s.blocks, s.m, s.n}, random_normal(static_cast<std::size_t>(s.blocks * s.m * s.n), 5), dtype);
              if (beta == 0) be->run(op::Fill{c, std::nan("")});
              const auto c_before = to_host<double>(c);
              bound({a, b}, {c}, {{"trans_a", ta}, {"trans_b", tb}, {"alpha", alpha}, {"beta", beta}});
              const auto want = naive(to_host<double>(a), to_host<double>(b), c_before, s, ta, tb, alpha, beta);
              const auto got = to_host<double>(c);
              const double tolerance = dtype == DType::Float32 ? 1e-5 : 1e-13;
              for (std::size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got[i], want[i], tolerance * (1 + std::abs(want[i]))) << "c [" << i << "]";
            }
      }
  EXPECT_GT(native_runs, 0) << "no native cpu kernel ran: is the plugin built without oneDNN?";
}

TEST(BatchedMatmul, RefusesBatchesThatDoNotMultiply) {
  const auto be = cpu_backend();
  const BoundOp bound(registry().find_op("batched_matmul"), *be, DType::Float32);
  const Tensor a = be->empty(Shape{4, 3, 5}, DType::Float32), b = be->empty(Shape{4, 6, 2}, DType::Float32), c = be->empty(Shape{4, 3, 2}, DType::Float32);
  const std::string message = error_of([&] { bound({a, b}, {c}); });
  EXPECT_NE(message.find("nnplug_layer_multi_head_attention.so"), std::string::npos) << message;
  EXPECT_NE(message.find("batched_matmul multiplies batches of matrices (blocks, rows, columns) block by block, the first's columns by the "
                         "second's rows; got [4, 3, 5] and [4, 6, 2]"),
            std::string::npos)
      << message;
  const Tensor other_count = be->empty(Shape{3, 5, 2}, DType::Float32);
  EXPECT_NE(error_of([&] { bound({a, other_count}, {c}); }).find("got [4, 3, 5] and [3, 5, 2]"), std::string::npos);
}

}  // namespace
}  // namespace nnplug::test
