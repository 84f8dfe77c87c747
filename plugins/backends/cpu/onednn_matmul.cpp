#include "onednn_matmul.hpp"

#if NNPLUG_HAVE_ONEDNN

#include <compare>
#include <map>
#include <memory>
#include <optional>

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
  auto operator<=>(const Key&) const = default;
};

// A row-major (rows x cols) matrix, or the transpose of one stored (cols x rows), as oneDNN strides.
memory::desc matrix(std::int64_t rows, std::int64_t cols, bool transposed, memory::data_type type) {
  return {{rows, cols}, type, transposed ? memory::dims{1, rows} : memory::dims{cols, 1}};
}

// A product's primitive and, in mixed precision, the bfloat16 copies of its inputs, made once per shape.
struct Plan {
  memory::desc a_user, b_user, c_user;  // as the op's float32 tensors hold them
  std::optional<memory> a_low, b_low;   // rounded to bfloat16, row-major
  dnnl::matmul product;

  Plan(OnednnLibrary& lib, const Key& k)
      : a_user(matrix(k.m, k.k, k.trans_a, kF32)), b_user(matrix(k.k, k.n, k.trans_b, kF32)), c_user(matrix(k.m, k.n, false, kF32)) {
    if (k.bfloat16) {
      a_low.emplace(matrix(k.m, k.k, false, kBf16), lib.engine);
      b_low.emplace(matrix(k.k, k.n, false, kBf16), lib.engine);
    }
    dnnl::primitive_attr attr;
    if (k.alpha != 1.0) attr.set_output_scales(0, {static_cast<float>(k.alpha)});
    if (k.beta != 0.0) {
      dnnl::post_ops post;
      post.append_sum(static_cast<float>(k.beta));
      attr.set_post_ops(post);
    }
    const dnnl::matmul::desc desc(a_low ? a_low->get_desc() : a_user, b_low ? b_low->get_desc() : b_user, c_user);
    product = dnnl::matmul(dnnl::matmul::primitive_desc(desc, attr, lib.engine));
  }
};

std::map<Key, std::unique_ptr<Plan>>& plans() {  // guarded by the library's lock
  static std::map<Key, std::unique_ptr<Plan>> instance;
  return instance;
}

}  // namespace

bool onednn_gemm(const op::Gemm& o, std::int64_t m, std::int64_t n, std::int64_t k, bool bfloat16) {
  if (o.c.dtype() != DType::Float32 || m == 0 || n == 0 || k == 0) return false;  // k == 0: C = beta C, Eigen does it
  run_on_onednn("gemm", [&](OnednnLibrary& lib) {
    const Key key{m, n, k, o.trans_a, o.trans_b, o.alpha, o.beta, bfloat16};
    auto& slot = plans()[key];
    if (!slot) slot = std::make_unique<Plan>(lib, key);
    Plan& p = *slot;
    memory a = user_memory(lib, p.a_user, o.a), b = user_memory(lib, p.b_user, o.b);
    if (p.a_low) {
      dnnl::reorder(a, *p.a_low).execute(lib.stream, a, *p.a_low);
      dnnl::reorder(b, *p.b_low).execute(lib.stream, b, *p.b_low);
      a = *p.a_low, b = *p.b_low;
    }
    p.product.execute(lib.stream, {{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, user_memory(lib, p.c_user, o.c)}});
    lib.stream.wait();
  });
  return true;
}

}  // namespace nnplug::cpu

#else  // built without oneDNN: every product runs on Eigen, and bfloat16 is refused when the backend is made

namespace nnplug::cpu {
bool onednn_gemm(const op::Gemm&, std::int64_t, std::int64_t, std::int64_t, bool) { return false; }
}  // namespace nnplug::cpu

#endif
