#include "batched_products.hpp"

#include <compare>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include <fmt/format.h>

#include "nnplug/custom_op.hpp"
#include "nnplug/errors.hpp"
#if NNPLUG_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace nnplug::layers {

namespace {

// A batch of matrices (blocks, rows, cols) as each product sees it.
struct Products {
  std::int64_t blocks, m, n, k;
  bool trans_a, trans_b;
  double alpha, beta;
};

Products products(const std::vector<Shape>& in, const OpAttributes& a) {
  const bool ta = a.flag("trans_a"), tb = a.flag("trans_b");
  if (in[0].rank() != 3 || in[1].rank() != 3 || in[0][0] != in[1][0] || in[0][ta ? 1 : 2] != in[1][tb ? 2 : 1])
    throw ShapeError(fmt::format("batched_matmul multiplies batches of matrices (blocks, rows, columns) block by block, the first's{} columns "
                                 "by the second's{} rows; got {} and {}",
                                 ta ? " (transposed)" : "", tb ? " (transposed)" : "", in[0].str(), in[1].str()));
  return {in[0][0], in[0][ta ? 2 : 1], in[1][tb ? 1 : 2], in[0][ta ? 1 : 2], ta, tb, a.number("alpha"), a.number("beta")};
}

// Element (row, col) of block i of a matrix stored (rows, cols), or transposed (cols, rows).
std::int64_t at(std::int64_t i, std::int64_t row, std::int64_t col, std::int64_t rows, std::int64_t cols, bool transposed) {
  return i * rows * cols + (transposed ? col * rows + row : row * cols + col);
}

void host_reference(HostOpCall& call) {
  const Products p = products({call.inputs[0].shape, call.inputs[1].shape}, call);
  const auto& a = call.inputs[0].values;
  const auto& b = call.inputs[1].values;
  auto& c = call.outputs[0].values;
  for (std::int64_t i = 0; i < p.blocks; ++i)
    for (std::int64_t r = 0; r < p.m; ++r)
      for (std::int64_t col = 0; col < p.n; ++col) {
        double sum = 0;
        for (std::int64_t j = 0; j < p.k; ++j)
          sum += a[static_cast<std::size_t>(at(i, r, j, p.m, p.k, p.trans_a))] * b[static_cast<std::size_t>(at(i, j, col, p.k, p.n, p.trans_b))];
        double& out = c[static_cast<std::size_t>((i * p.m + r) * p.n + col)];
        out = p.alpha * sum + (p.beta == 0.0 ? 0.0 : p.beta * out);  // beta 0 ignores c, NaN included, as op::Gemm
      }
}

// One of the backend's products per block.
void composite(const OpCall& call) {
  const Products p = products({call.inputs[0].shape(), call.inputs[1].shape()}, call);
  const auto block = [](const Tensor& t, std::int64_t i) { return t.rows(i, i + 1).reshape(Shape{t.dim(1), t.dim(2)}); };
  for (std::int64_t i = 0; i < p.blocks; ++i)
    call.backend.run(op::Gemm{.a = block(call.inputs[0], i), .b = block(call.inputs[1], i), .c = block(call.outputs[0], i),
                              .trans_a = p.trans_a, .trans_b = p.trans_b, .alpha = p.alpha, .beta = p.beta});
}

#if NNPLUG_HAVE_ONEDNN
using dnnl::memory;

struct Key {
  std::int64_t blocks, m, n, k;
  bool trans_a, trans_b;
  double alpha, beta;
  auto operator<=>(const Key&) const = default;
};

// A batch of row-major (rows x cols) float32 matrices, or of the transposes of (cols x rows) ones, as oneDNN strides.
memory::desc batch(std::int64_t blocks, std::int64_t rows, std::int64_t cols, bool transposed) {
  return {{blocks, rows, cols}, memory::data_type::f32, transposed ? memory::dims{rows * cols, 1, rows} : memory::dims{rows * cols, cols, 1}};
}

// A shape's primitive, made once, with its arguments; a call points them at its tensors.
struct Plan {
  dnnl::matmul product;
  memory a, b, c;

  Plan(const dnnl::engine& engine, const Key& k) {
    const memory::desc a_desc = batch(k.blocks, k.m, k.k, k.trans_a), b_desc = batch(k.blocks, k.k, k.n, k.trans_b);
    const memory::desc c_desc = batch(k.blocks, k.m, k.n, false);
    dnnl::primitive_attr attr;
    if (k.alpha != 1.0) attr.set_output_scales(0, {static_cast<float>(k.alpha)});
    if (k.beta != 0.0) {
      dnnl::post_ops post;
      post.append_sum(static_cast<float>(k.beta));
      attr.set_post_ops(post);
    }
    product = dnnl::matmul(dnnl::matmul::primitive_desc(dnnl::matmul::desc(a_desc, b_desc, c_desc), attr, engine));
    a = memory(a_desc, engine, DNNL_MEMORY_NONE), b = memory(b_desc, engine, DNNL_MEMORY_NONE), c = memory(c_desc, engine, DNNL_MEMORY_NONE);
  }
};

class OnednnProducts {
 public:
  void run(const OpCall& call) {
    const Products p = products({call.inputs[0].shape(), call.inputs[1].shape()}, call);
    const Key key{p.blocks, p.m, p.n, p.k, p.trans_a, p.trans_b, p.alpha, p.beta};
    const std::lock_guard lock(mutex_);
    try {
      auto& plan = plans_[key];
      if (!plan) plan = std::make_unique<Plan>(engine_, key);
      plan->a.set_data_handle(const_cast<float*>(call.inputs[0].data<float>()));
      plan->b.set_data_handle(const_cast<float*>(call.inputs[1].data<float>()));
      plan->c.set_data_handle(call.outputs[0].data<float>());
      plan->product.execute(stream_, {{DNNL_ARG_SRC, plan->a}, {DNNL_ARG_WEIGHTS, plan->b}, {DNNL_ARG_DST, plan->c}});
      stream_.wait();
    } catch (const dnnl::error& e) {
      throw BackendError(fmt::format("oneDNN's batched product of {} blocks of ({} x {}) by ({} x {}) failed: {}", p.blocks, p.m, p.k, p.k, p.n,
                                     e.what()));
    }
  }

 private:
  dnnl::engine engine_{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream_{engine_};
  std::mutex mutex_;  // the plans' memory objects hold one call's addresses at a time
  std::map<Key, std::unique_ptr<Plan>> plans_;
};
#endif

}  // namespace

OpHandle add_batched_matmul(Registrar& registrar) {
  OpSchema s;
  s.name = "batched_matmul";
  s.inputs = {"a", "b"};
  s.outputs = {"c"};
  s.attributes = {{"trans_a", false}, {"trans_b", false}, {"alpha", 1.0}, {"beta", 0.0}};
  s.updates_outputs = true;  // with beta, c adds to the product
  s.shape_rule = [](const std::vector<Shape>& in, const OpAttributes& a) {
    const Products p = products(in, a);
    return std::vector<Shape>{Shape{p.blocks, p.m, p.n}};
  };
  s.check_shapes = {Shape{3, 5, 4}, Shape{3, 4, 6}};
  s.composite = composite;
  s.host_reference = host_reference;
  OpHandle op = registrar.add_op(std::move(s));
#if NNPLUG_HAVE_ONEDNN
  auto onednn = std::make_shared<OnednnProducts>();
  registrar.add_kernel({.op = "batched_matmul", .backend = "cpu", .dtypes = {DType::Float32}}, [onednn](const OpCall& call) { onednn->run(call); });
#endif
  return op;
}

}  // namespace nnplug::layers
