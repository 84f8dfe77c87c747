// Layouts on this backend: which each op's tensors may have, and the reorder between them. Images in channel
// blocks of 16 (Tensor's Layout) reach the ops that read or write them between convolutions; every other op takes
// row-major tensors only, and refuses a tensor in blocks instead of reading its elements in the wrong order.
#include "kernels.hpp"

namespace nnplug::cpu {

namespace {

// Every (sample, block of 16 channels) of an image between its 16 row-major planes and its plane of 16-channel
// pixels; both sit at the same offset, (n C + 16 b) H W.
template <typename T>
void reorder_images(const T* from, T* to, const Shape& s, bool into_blocks) {
  const std::int64_t blocks = s[1] / kChannelBlock, plane = s[2] * s[3];
#pragma omp parallel for collapse(2) schedule(static) if (s.numel() > kParallelThreshold)
  for (std::int64_t n = 0; n < s[0]; ++n)
    for (std::int64_t b = 0; b < blocks; ++b) {
      const std::int64_t at = (n * blocks + b) * kChannelBlock * plane;
      if (into_blocks) rows_into_block(from + at, plane, to + at, plane);
      else block_into_rows(from + at, to + at, plane, plane);
    }
}

template <typename... Tensors>
bool row_major(const Tensors&... t) {
  return (t.row_major() && ...);
}

// Element-wise ops: any layout, the same for every operand (an undefined tensor is left out).
template <typename... Tensors>
bool one_layout(const Tensor& first, const Tensors&... rest) {
  return ((!rest.defined() || rest.layout() == first.layout()) && ...);
}

bool layouts_fit(const Op& op) {
  return std::visit(
      [](const auto& o) {
        using Kind = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<Kind, op::Fill>) return true;
        else if constexpr (std::is_same_v<Kind, op::Copy>) return o.x.layout() == o.out.layout() || o.x.shape() == o.out.shape();
        else if constexpr (std::is_same_v<Kind, op::Axpby>) return one_layout(o.x, o.y);
        else if constexpr (std::is_same_v<Kind, op::Activation>) return one_layout(o.x, o.y);
        else if constexpr (std::is_same_v<Kind, op::ActivationGrad>) return one_layout(o.dy, o.x, o.y, o.dx);
        else if constexpr (std::is_same_v<Kind, op::Multiply>) return one_layout(o.a, o.b, o.out);
        else if constexpr (std::is_same_v<Kind, op::Dropout>) return one_layout(o.x, o.y, o.mask);
        else if constexpr (std::is_same_v<Kind, op::Penalty>) return one_layout(o.w, o.grad) && row_major(o.out);
        else if constexpr (std::is_same_v<Kind, op::BatchNorm>)
          return one_layout(o.x, o.y) && row_major(o.gamma, o.beta, o.mean, o.invstd, o.running_mean, o.running_var);
        else if constexpr (std::is_same_v<Kind, op::BatchNormGrad>)
          return one_layout(o.x, o.dy, o.dx) && row_major(o.gamma, o.mean, o.invstd, o.dgamma, o.dbeta);
        else if constexpr (std::is_same_v<Kind, op::Conv2d>) return row_major(o.w, o.bias);  // x and y: any
        else if constexpr (std::is_same_v<Kind, op::Conv2dGrad>) return row_major(o.w, o.dw, o.dbias) && one_layout(o.x, o.dx);
        else if constexpr (std::is_same_v<Kind, op::Pool2d>) return one_layout(o.x, o.y, o.argmax);
        else if constexpr (std::is_same_v<Kind, op::Pool2dGrad>) return one_layout(o.dx, o.dy, o.argmax, o.y);
        else if constexpr (std::is_same_v<Kind, op::CopyColumns>) return row_major(o.part, o.whole);
        else if constexpr (std::is_same_v<Kind, op::Permute>) return row_major(o.x, o.out);
        else if constexpr (std::is_same_v<Kind, op::Gemm>) return row_major(o.a, o.b, o.c, o.bias);
        else if constexpr (std::is_same_v<Kind, op::AddRowVector>) return row_major(o.x, o.bias, o.out);
        else if constexpr (std::is_same_v<Kind, op::SumRows>) return row_major(o.x, o.out);
        else if constexpr (std::is_same_v<Kind, op::Softmax>) return row_major(o.x, o.y);
        else if constexpr (std::is_same_v<Kind, op::SoftmaxGrad>) return row_major(o.y, o.dy, o.dx);
        else if constexpr (std::is_same_v<Kind, op::LstmCell>) return row_major(o.gates, o.c_prev, o.c, o.tanh_c, o.h);
        else if constexpr (std::is_same_v<Kind, op::LstmCellGrad>) return row_major(o.gates, o.c_prev, o.tanh_c, o.dh, o.dc, o.dgates);
        else if constexpr (std::is_same_v<Kind, op::GruCell>) return row_major(o.input_part, o.hidden_part, o.h_prev, o.gates, o.h);
        else if constexpr (std::is_same_v<Kind, op::GruCellGrad>)
          return row_major(o.gates, o.hidden_part, o.h_prev, o.dh, o.d_input, o.d_hidden, o.dh_prev);
        else if constexpr (std::is_same_v<Kind, op::Prelu>) return row_major(o.x, o.alpha, o.y);
        else if constexpr (std::is_same_v<Kind, op::PreluGrad>) return row_major(o.x, o.alpha, o.dy, o.dx, o.dalpha);
        else if constexpr (std::is_same_v<Kind, op::MaxGroups>) return row_major(o.x, o.y, o.argmax);
        else if constexpr (std::is_same_v<Kind, op::MaxGroupsGrad>) return row_major(o.dy, o.argmax, o.dx);
        else if constexpr (std::is_same_v<Kind, op::GatherRows>) return row_major(o.table, o.index, o.out);
        else if constexpr (std::is_same_v<Kind, op::ScatterAddRows>) return row_major(o.grad, o.index, o.table_grad);
        else if constexpr (std::is_same_v<Kind, op::RowNormConstraint>) return row_major(o.w);
        else if constexpr (std::is_same_v<Kind, op::Clamp>) return row_major(o.x);
        else if constexpr (std::is_same_v<Kind, op::SumSquares>) return row_major(o.x, o.out);
        else if constexpr (std::is_same_v<Kind, op::ClipToNorm>) return row_major(o.x, o.squares);
        else if constexpr (std::is_same_v<Kind, op::AddNoise>) return row_major(o.x);
        else if constexpr (std::is_same_v<Kind, op::ClassLoss>) return row_major(o.scores, o.labels, o.loss, o.dscores, o.class_weights);
        else if constexpr (std::is_same_v<Kind, op::ElementwiseLoss>) return row_major(o.pred, o.target, o.loss, o.dpred, o.pos_weight);
        else if constexpr (std::is_same_v<Kind, op::CountCorrect>) return row_major(o.scores, o.labels, o.out);
        else if constexpr (std::is_same_v<Kind, op::SgdStep>) return row_major(o.param, o.grad, o.velocity);
        else if constexpr (std::is_same_v<Kind, op::AdamStep>) return row_major(o.param, o.grad, o.m, o.v, o.v_max);
        else if constexpr (std::is_same_v<Kind, op::AdagradStep>) return row_major(o.param, o.grad, o.sum);
        else if constexpr (std::is_same_v<Kind, op::RmspropStep>) return row_major(o.param, o.grad, o.square_avg, o.grad_avg, o.buf);
        else if constexpr (std::is_same_v<Kind, op::AdadeltaStep>) return row_major(o.param, o.grad, o.square_avg, o.acc_delta);
        else {
          static_assert(std::is_same_v<Kind, op::Custom>, "every op states the layouts it takes");
          return std::all_of(o.inputs.begin(), o.inputs.end(), [](const Tensor& t) { return t.row_major(); }) &&
                 std::all_of(o.outputs.begin(), o.outputs.end(), [](const Tensor& t) { return t.row_major(); });
        }
      },
      op);
}

}  // namespace

void check_layouts(const Op& op) {
  require(layouts_fit(op), op_name(op),
          "its tensors' layouts do not fit: element-wise operands share one layout, a copy between layouts keeps the shape, "
          "convolutions, pooling, batch norm and dropout take images in channel blocks of 16, and every other tensor is row-major");
}

void reorder(const Tensor& from, const Tensor& to) {
  require(from.shape() == to.shape() && from.dtype() == to.dtype(), "copy",
          [&] { return fmt::format("a copy between layouts keeps shape and dtype: {} into {}", from.describe(), to.describe()); });
  with_float_type(from, "copy", [&](auto tag) {
    using T = decltype(tag);
    if (from.row_major()) reorder_images(from.data<T>(), to.data<T>(), from.shape(), true);
    else reorder_images(from.data<T>(), to.data<T>(), from.shape(), false);
  });
}

}  // namespace nnplug::cpu
