#include "onednn_matmul.hpp"

#if NNPLUG_HAVE_ONEDNN

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "kernels.hpp"
#include "onednn_library.hpp"

namespace nnplug::cpu {

namespace {

using dnnl::memory;
constexpr auto kF32 = memory::data_type::f32, kBf16 = memory::data_type::bf16;

struct Key {
  std::int64_t m, n, k;
  bool trans_a, trans_b;
  double alpha, beta;
  bool bfloat16;
  bool bias;
  bool relu;          // a ReLU in the output pass,
  double relu_slope;  // with this slope below zero (0 without one: a NaN would break the map's ordering)
  auto operator<=>(const Key&) const = default;
};

// Products of fewer multiply-adds than this run on the calling thread: a parallel region costs about 3 us here (1.2
// with its if clause false), and the demo's 128 x 128 x 10 products took oneDNN 1.9-2.9 us on one thread against
// 4.2-5.7 on two; at 128 x 128 x 64 (2^20) the two broke even.
constexpr std::int64_t kOneThreadProducts = std::int64_t{1} << 20;

// For its lifetime, OpenMP runs the calling thread's parallel regions on that thread alone where `one` is set: oneDNN
// sizes a primitive's threads when it is made, and runs a primitive of one thread without a parallel region.
class OneThread {
 public:
  explicit OneThread(bool one) : saved_(one ? omp_get_max_threads() : 0) {
    if (saved_) omp_set_num_threads(1);
  }
  ~OneThread() {
    if (saved_) omp_set_num_threads(saved_);
  }
  OneThread(const OneThread&) = delete;
  OneThread& operator=(const OneThread&) = delete;

 private:
  int saved_;
};

// A row-major (rows x cols) matrix, or the transpose of one stored (cols x rows), as oneDNN strides.
memory::desc matrix(std::int64_t rows, std::int64_t cols, bool transposed, memory::data_type type) {
  return {{rows, cols}, type, transposed ? memory::dims{1, rows} : memory::dims{cols, 1}};
}

// A product's primitive, made once per shape, with its arguments: a call points them at its tensors and allocates
// nothing of its own. Making oneDNN memory objects and their map at each call, and a string at every op
// (op_checks.hpp, before its literal-message overload), held the demo in bfloat16 to 277,000-280,000 samples/s
// against 289,000-296,000 without them (four alternating pairs of train_throughput on a 2-core AMD EPYC, Zen 5).
struct Plan {
  // Mixed precision: the inputs rounded to bfloat16 in the op's own strides, so that rounding is one plain pass
  // whose copy any product can read (cpu_buffer.hpp); a transposed input made row-major cost half its product (73
  // against 131 us for the demo's W1). The scratch holds an input whose buffer keeps no copies.
  bool bfloat16;
  std::vector<std::uint16_t> a_scratch, b_scratch;
  dnnl::matmul product;
  memory a, b, c, bias;
  // For oneDNN's C call: its C++ one copies a map of the arguments into such a list at every call.
  std::vector<dnnl_exec_arg_t> args;

  Plan(OnednnLibrary& lib, const Key& k) : bfloat16(k.bfloat16) {
    const auto input_type = k.bfloat16 ? kBf16 : kF32;
    const memory::desc a_desc = matrix(k.m, k.k, k.trans_a, input_type), b_desc = matrix(k.k, k.n, k.trans_b, input_type);
    const memory::desc c_desc = matrix(k.m, k.n, false, kF32), bias_desc({1, k.n}, kF32, memory::dims{k.n, 1});
    dnnl::primitive_attr attr;
    if (k.alpha != 1.0) attr.set_output_scales(0, {static_cast<float>(k.alpha)});
    dnnl::post_ops post;
    if (k.beta != 0.0) post.append_sum(static_cast<float>(k.beta));
    if (k.relu) post.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, static_cast<float>(k.relu_slope), 0.0f);
    attr.set_post_ops(post);
    const auto desc = k.bias ? dnnl::matmul::desc(a_desc, b_desc, bias_desc, c_desc) : dnnl::matmul::desc(a_desc, b_desc, c_desc);
    product = dnnl::matmul(dnnl::matmul::primitive_desc(desc, attr, lib.engine));
    a = memory(a_desc, lib.engine, DNNL_MEMORY_NONE), b = memory(b_desc, lib.engine, DNNL_MEMORY_NONE);
    c = memory(c_desc, lib.engine, DNNL_MEMORY_NONE);
    args = {{DNNL_ARG_SRC, a.get()}, {DNNL_ARG_WEIGHTS, b.get()}, {DNNL_ARG_DST, c.get()}};
    if (k.bias) {
      bias = memory(bias_desc, lib.engine, DNNL_MEMORY_NONE);
      args.push_back({DNNL_ARG_BIAS, bias.get()});
    }
  }

  // What the product reads of input t: its values, or their copy rounded to bfloat16.
  void* input(const Tensor& t, std::vector<std::uint16_t>& scratch) const {
    if (bfloat16) return rounded_values(t, scratch);
    return float_values(t);
  }
};

std::map<Key, std::unique_ptr<Plan>>& plans() {  // guarded by the library's lock
  static std::map<Key, std::unique_ptr<Plan>> instance;
  return instance;
}

}  // namespace

OnednnGemmDone onednn_gemm(const op::Gemm& o, std::int64_t m, std::int64_t n, std::int64_t k, bool bfloat16) {
  if (o.c.dtype() != DType::Float32 || m == 0 || n == 0 || k == 0) return {};  // k == 0: C = beta C, Eigen does it
  // oneDNN scales the bias with the product: it joins the output pass only where alpha is 1.
  const bool bias = o.bias.defined() && o.alpha == 1.0;
  // The function comes after the bias: it joins the output pass only where the bias did.
  const std::optional<double> slope = o.bias.defined() && !bias ? std::nullopt : relu_slope(o.epilogue, o.epilogue_alpha);
  run_on_onednn("gemm", [&](OnednnLibrary& lib) {
    const Key key{m, n, k, o.trans_a, o.trans_b, o.alpha, o.beta, bfloat16, bias, slope.has_value(), slope.value_or(0.0)};
    const OneThread one_thread(m * n * k < kOneThreadProducts);
    auto& slot = plans()[key];
    if (!slot) slot = std::make_unique<Plan>(lib, key);
    Plan& p = *slot;
    p.a.set_data_handle(p.input(o.a, p.a_scratch));
    p.b.set_data_handle(p.input(o.b, p.b_scratch));
    p.c.set_data_handle(float_values(o.c));
    if (bias) p.bias.set_data_handle(float_values(o.bias));
    dnnl::error::wrap_c_api(dnnl_primitive_execute(p.product.get(), lib.stream.get(), static_cast<int>(p.args.size()), p.args.data()),
                            "could not execute a matrix product");
    lib.stream.wait();
  });
  return {true, bias, slope.has_value()};
}

}  // namespace nnplug::cpu

#else  // built without oneDNN: every product runs on Eigen, and bfloat16 is refused when the backend is made

namespace nnplug::cpu {
OnednnGemmDone onednn_gemm(const op::Gemm&, std::int64_t, std::int64_t, std::int64_t, bool) { return {}; }
}  // namespace nnplug::cpu

#endif
