#pragma once
// The checks a backend makes before it runs an op: shapes, dtypes and arguments, with the same message whatever
// the backend ("<backend> backend: <op>: <what>"), so that an op one backend refuses, every backend refuses alike.
// Header-only, shared by the backends in plugins/backends/; each holds one OpChecks named after itself. The
// checks return the sizes they derive, so that a kernel does not work them out again.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <variant>

#include "../../shared/host_device.hpp"
#include "nnplug/ops.hpp"

namespace nnplug::backends {

// fmt::format(format, arguments...) for the checks' messages. nvcc compiles this header (the CUDA kernels' files
// include it) and cannot compile fmt 9's, so the formatting is done in op_checks.cpp, which the host compiler
// builds into each backend.
using MessageArgument = std::variant<std::int64_t, double, std::string>;
std::string format_message(const char* format, std::initializer_list<MessageArgument> arguments);

// A (N, C, ...) tensor seen as N * C blocks of `inner` contiguous elements, the channel being dim 1. Passed by
// value to device kernels.
struct ChannelLayout {
  std::int64_t outer, channels, inner;
  explicit ChannelLayout(const Tensor& x) : outer(x.dim(0)), channels(x.dim(1)), inner(x.numel() / (x.dim(0) * x.dim(1))) {}
  NNPLUG_HOST_DEVICE std::int64_t per_channel() const { return outer * inner; }
  // Index of the first element of sample n, channel c.
  NNPLUG_HOST_DEVICE std::int64_t at(std::int64_t n, std::int64_t c) const { return (n * channels + c) * inner; }
  // Index of the k-th of channel c's per_channel() elements.
  NNPLUG_HOST_DEVICE std::int64_t nth(std::int64_t c, std::int64_t k) const { return at(k / inner, c) + k % inner; }
};

// The sizes of a 2-D convolution or pooling: input (N, C, H, W), F filters, output (OH, OW), channel groups.
struct WindowShape {
  std::int64_t n, c, h, w, f, oh, ow, groups = 1;
};

// Calls f(E{}) with E an unsigned integer of the tensor's element size: for ops that move elements as they are.
template <typename F>
void with_element_type(const Tensor& t, F&& f) {
  switch (dtype_size(t.dtype())) {
    case 1: f(std::uint8_t{}); return;
    case 2: f(std::uint16_t{}); return;
    case 4: f(std::uint32_t{}); return;
    default: f(std::uint64_t{}); return;
  }
}

class OpChecks {
 public:
  explicit constexpr OpChecks(const char* backend) : backend_(backend) {}

  // Throws BackendError("<backend> backend: OP: what") unless ok. `what` is a message or a function that makes it,
  // called only when the check fails: these checks run before every op, and most messages name shapes.
  void require(bool ok, const char* op, const std::string& what) const {
    if (!ok) throw BackendError(format_message("{} backend: {}: {}", {backend_, op, what}));
  }
  // A literal message becomes a string only when the check fails (as a std::string argument, every op would
  // allocate it).
  void require(bool ok, const char* op, const char* what) const {
    if (!ok) require(false, op, std::string(what));
  }
  template <typename Message, typename = decltype(std::declval<Message>()())>
  void require(bool ok, const char* op, Message&& what) const {
    if (!ok) require(false, op, what());
  }
  void same_count(const Tensor& a, const Tensor& b, const char* op) const {
    require(a.numel() == b.numel(), op, [&] { return format_message("tensors {} and {} differ in size", {a.describe(), b.describe()}); });
  }
  // Calls f(T{}) with T = float or double for the tensor's dtype.
  template <typename F>
  void with_float_type(const Tensor& t, const char* op, F&& f) const {
    switch (t.dtype()) {
      case DType::Float32: f(float{}); return;
      case DType::Float64: f(double{}); return;
      default: require(false, op, [&] { return format_message("dtype {} is not supported", {dtype_name(t.dtype())}); });
    }
  }

  // The column block's widths: part (rows, w) within whole (rows, W).
  struct ColumnBlock {
    std::int64_t part_width, whole_width;
  };
  ColumnBlock copy_columns(const op::CopyColumns& o) const {
    require(o.part.dtype() == o.whole.dtype(), "copy_columns", [&] {
      return format_message("dtypes differ: {}, {}", {o.part.describe(), o.whole.describe()});
    });
    require(o.rows >= 1 && o.part.numel() % o.rows == 0 && o.whole.numel() % o.rows == 0, "copy_columns", [&] {
      return format_message("part {} and whole {} do not split into {} rows", {o.part.describe(), o.whole.describe(), o.rows});
    });
    const ColumnBlock b{o.part.numel() / o.rows, o.whole.numel() / o.rows};
    require(o.offset >= 0 && o.offset <= b.whole_width - b.part_width, "copy_columns", [&] {
      return format_message("columns [{}, {}) lie outside whole's {}", {o.offset, o.offset + b.part_width, b.whole_width});
    });
    return b;
  }

  // Permute as a walk over out's elements in order: out's sizes, and x's stride along each of out's axes. Axes of
  // size 1 are left out, and neighbours that stay neighbours in x are one axis, so that a batched transpose is 3 axes.
  struct AxisWalk {
    int rank = 0;
    std::int64_t sizes[Shape::kMaxRank]{}, strides[Shape::kMaxRank]{};
  };
  AxisWalk permute(const op::Permute& o) const {
    const int rank = o.x.rank();
    require(o.out.rank() == rank && o.out.dtype() == o.x.dtype(), "permute", [&] {
      return format_message("x {} and out {} must have one rank and dtype", {o.x.describe(), o.out.describe()});
    });
    std::int64_t x_strides[Shape::kMaxRank]{};
    std::int64_t stride = 1;
    for (int a = rank - 1; a >= 0; --a) x_strides[a] = stride, stride *= o.x.dim(a);
    bool seen[Shape::kMaxRank]{};
    AxisWalk w;
    for (int i = 0; i < rank; ++i) {
      const int a = o.perm[static_cast<std::size_t>(i)];
      require(a >= 0 && a < rank && !seen[a], "permute", [&] { return format_message("perm is not a permutation of x's {} axes", {std::int64_t{rank}}); });
      seen[a] = true;
      require(o.out.dim(i) == o.x.dim(a), "permute", [&] {
        return format_message("out {} is not x {} with its axes reordered", {o.out.describe(), o.x.describe()});
      });
      if (o.x.dim(a) == 1) continue;
      if (w.rank > 0 && w.strides[w.rank - 1] == x_strides[a] * o.x.dim(a)) {  // x's next axis: one axis with the last
        w.sizes[w.rank - 1] *= o.x.dim(a);
        w.strides[w.rank - 1] = x_strides[a];
      } else {
        w.sizes[w.rank] = o.x.dim(a), w.strides[w.rank] = x_strides[a], ++w.rank;
      }
    }
    if (w.rank == 0) w.rank = 1, w.sizes[0] = 1, w.strides[0] = 1;  // one element
    return w;
  }

  struct GemmSize {
    std::int64_t m, n, k;
  };
  GemmSize gemm(const op::Gemm& o) const {
    require(o.a.rank() == 2 && o.b.rank() == 2 && o.c.rank() == 2, "gemm", [&] {
      return format_message("needs 2-D tensors, got {}, {}, {}", {o.a.describe(), o.b.describe(), o.c.describe()});
    });
    const auto m = o.trans_a ? o.a.dim(1) : o.a.dim(0), k = o.trans_a ? o.a.dim(0) : o.a.dim(1);
    const auto kb = o.trans_b ? o.b.dim(1) : o.b.dim(0), n = o.trans_b ? o.b.dim(0) : o.b.dim(1);
    require(k == kb && o.c.dim(0) == m && o.c.dim(1) == n, "gemm", [&] {
      return format_message("shapes do not fit: a {}{}, b {}{}, c {}",
                            {o.a.shape().str(), o.trans_a ? "^T" : "", o.b.shape().str(), o.trans_b ? "^T" : "", o.c.shape().str()});
    });
    require(!o.bias.defined() || (o.bias.numel() == n && o.bias.dtype() == o.c.dtype()), "gemm", [&] {
      return format_message("bias {} does not fit c {}", {o.bias.describe(), o.c.describe()});
    });
    return {m, n, k};
  }

  void add_row_vector(const op::AddRowVector& o) const {
    require(o.x.rank() == 2 && o.bias.numel() == o.x.dim(1), "add_row_vector", [&] {
      return format_message("x {} and bias {} do not fit", {o.x.shape().str(), o.bias.shape().str()});
    });
    same_count(o.x, o.out, "add_row_vector");
  }

  void sum_rows(const op::SumRows& o) const {
    require(o.x.rank() == 2 && o.out.numel() == o.x.dim(1), "sum_rows", [&] {
      return format_message("x {} and out {} do not fit", {o.x.shape().str(), o.out.shape().str()});
    });
  }

  // An activation's gradient reads x, y = f(x) or both, as the function needs: a layer may keep only one of them.
  void activation_grad(const op::ActivationGrad& o) const {
    same_count(o.dy, o.dx, "activation_grad");
    const Pointwise f = o.fn;
    const bool needs_y = f == Pointwise::Elu || f == Pointwise::Selu || f == Pointwise::Sigmoid || f == Pointwise::Tanh;
    const bool needs_x = f != Pointwise::Identity && f != Pointwise::Sigmoid && f != Pointwise::Tanh;
    require(!needs_x || (o.x.defined() && o.x.numel() == o.dx.numel()), "activation_grad", "this function's gradient needs x");
    require(!needs_y || (o.y.defined() && o.y.numel() == o.dx.numel()), "activation_grad", "this function's gradient needs y = f(x)");
  }

  // Softmax and its gradient: rows of a (N, C) tensor.
  void rows(const Tensor& t, const char* op) const {
    require(t.rank() >= 2, op, [&] { return format_message("needs a (N, C) tensor, got {}", {t.shape().str()}); });
  }

  // A recurrent cell's step: gates (N, G units) for its G gates, and each state (N, units) of the gates' dtype.
  struct CellSize {
    std::int64_t rows, units;
  };
  template <typename... States>
  CellSize recurrent_cell(const Tensor& gates, std::int64_t gate_count, const char* op, const States&... states) const {
    require(gates.rank() == 2 && gates.dim(1) % gate_count == 0, op,
            [&] { return format_message("gates {} must be (N, {} units)", {gates.describe(), gate_count}); });
    const CellSize size{gates.dim(0), gates.dim(1) / gate_count};
    const auto fits = [&](const Tensor& state) {
      require(state.dtype() == gates.dtype() && state.numel() == size.rows * size.units, op, [&] {
        return format_message("{} does not fit gates {}: a state is (N, units), ({}, {})", {state.describe(), gates.describe(), size.rows, size.units});
      });
    };
    (fits(states), ...);
    return size;
  }
  CellSize lstm_cell(const op::LstmCell& o) const { return recurrent_cell(o.gates, 4, "lstm_cell", o.c_prev, o.c, o.tanh_c, o.h); }
  CellSize lstm_cell_grad(const op::LstmCellGrad& o) const {
    same_count(o.gates, o.dgates, "lstm_cell_grad");
    return recurrent_cell(o.gates, 4, "lstm_cell_grad", o.c_prev, o.tanh_c, o.dh, o.dc);
  }
  CellSize gru_cell(const op::GruCell& o) const {
    same_count(o.gates, o.input_part, "gru_cell");
    same_count(o.gates, o.hidden_part, "gru_cell");
    return recurrent_cell(o.gates, 3, "gru_cell", o.h_prev, o.h);
  }
  CellSize gru_cell_grad(const op::GruCellGrad& o) const {
    for (const Tensor* t : {&o.hidden_part, &o.d_input, &o.d_hidden}) same_count(o.gates, *t, "gru_cell_grad");
    return recurrent_cell(o.gates, 3, "gru_cell_grad", o.h_prev, o.dh, o.dh_prev);
  }

  // PReLU: alpha has 1 value or one per channel.
  ChannelLayout prelu(const Tensor& x, const Tensor& alpha, const char* op) const {
    require(x.rank() >= 2, op, [&] { return format_message("needs (N, C, ...) input, got {}", {x.shape().str()}); });
    require(alpha.numel() == 1 || alpha.numel() == x.dim(1), op, [&] {
      return format_message("alpha has {} values; input {} needs 1 or {}", {alpha.numel(), x.shape().str(), x.dim(1)});
    });
    return ChannelLayout(x);
  }

  void max_groups(const op::MaxGroups& o) const {
    require(o.pieces >= 1 && o.x.rank() == 2 && o.x.dim(1) % o.pieces == 0 && o.y.numel() == o.x.numel() / o.pieces,
            "max_groups", [&] {
              return format_message("x {} does not split into groups of {} matching y {}", {o.x.shape().str(), o.pieces, o.y.shape().str()});
            });
    require(o.argmax.dtype() == DType::Int32 && o.argmax.numel() == o.y.numel(), "max_groups", "argmax must be int32 like y");
  }

  void max_groups_grad(const op::MaxGroupsGrad& o) const {
    require(o.dx.numel() == o.dy.numel() * o.pieces && o.argmax.numel() == o.dy.numel(), "max_groups_grad", [&] {
      return format_message("dx {}, dy {} and pieces {} do not fit", {o.dx.shape().str(), o.dy.shape().str(), o.pieces});
    });
  }

  // GatherRows and ScatterAddRows: `picked` holds index.numel() rows of the table's width, all in one dtype.
  struct RowPick {
    std::int64_t rows, width, count;
  };
  RowPick row_pick(const Tensor& table, const Tensor& index, const Tensor& picked, const char* op) const {
    require(table.rank() == 2, op, [&] { return format_message("needs a (rows, width) table, got {}", {table.describe()}); });
    require(index.dtype() == table.dtype() && picked.dtype() == table.dtype(), op, [&] {
      return format_message("index {} and rows {} must have the table's dtype, {}",
                            {index.describe(), picked.describe(), table.describe()});
    });
    const RowPick p{table.dim(0), table.dim(1), index.numel()};
    require(picked.numel() == p.count * p.width, op, [&] {
      return format_message("rows {} do not hold {} indices' rows of width {}", {picked.describe(), p.count, p.width});
    });
    return p;
  }

  void dropout(const op::Dropout& o) const {
    require(o.rate >= 0.0 && o.rate < 1.0, "dropout", [&] { return format_message("rate must be in [0, 1), got {}", {o.rate}); });
    same_count(o.x, o.y, "dropout");
    same_count(o.x, o.mask, "dropout");
  }

  // Batch norm and its gradient: gamma has one value per channel.
  ChannelLayout batch_norm(const Tensor& x, const Tensor& gamma, const char* op) const {
    require(x.rank() >= 2, op, [&] { return format_message("needs (N, C) or (N, C, H, W) input, got {}", {x.shape().str()}); });
    require(gamma.numel() == x.dim(1), op, [&] {
      return format_message("gamma has {} values for {} channels", {gamma.numel(), x.dim(1)});
    });
    return ChannelLayout(x);
  }
  ChannelLayout batch_norm(const op::BatchNorm& o) const {
    const ChannelLayout l = batch_norm(o.x, o.gamma, "batch_norm");
    same_count(o.x, o.y, "batch_norm");
    require(!o.training || l.per_channel() > 1, "batch_norm", [&] {
      return format_message("training needs more than one value per channel, got input {}", {o.x.shape().str()});
    });
    return l;
  }

  void clip_to_norm(const op::ClipToNorm& o) const {
    require(o.max_norm > 0.0, "clip_to_norm", [&] { return format_message("max_norm must be > 0, got {}", {o.max_norm}); });
    require(o.squares.numel() >= 1 && o.squares.dtype() == o.x.dtype(), "clip_to_norm", [&] {
      return format_message("squares {} must hold at least one sum of squares of x's dtype {}", {o.squares.describe(), o.x.describe()});
    });
  }

  void clamp(const op::Clamp& o) const {
    require(o.min <= o.max, "clamp", [&] { return format_message("min {} is above max {}", {o.min, o.max}); });
  }

  // Convolution and its gradient: y is the output of x under the window with w's filters, in `groups` groups.
  WindowShape conv(const Tensor& x, const Tensor& w, const Tensor& y, const Window2d& g, std::int64_t groups, const char* op) const {
    require(x.rank() == 4 && w.rank() == 4 && y.rank() == 4, op, [&] {
      return format_message("needs (N, C, H, W) input, (F, C / groups, KH, KW) weight and (N, F, OH, OW) output, got {}, {}, {}",
                            {x.shape().str(), w.shape().str(), y.shape().str()});
    });
    window(g, op);
    const WindowShape s{x.dim(0), x.dim(1), x.dim(2), x.dim(3), w.dim(0), g.out_h(x.dim(2)), g.out_w(x.dim(3)), groups};
    require(groups >= 1 && s.c % groups == 0 && s.f % groups == 0, op, [&] {
      return format_message("groups {} does not divide the {} input channels and {} filters", {groups, s.c, s.f});
    });
    require(w.dim(1) * groups == s.c && w.dim(2) == g.kernel_h && w.dim(3) == g.kernel_w, op, [&] {
      return format_message("weight {} does not fit input {} in {} groups", {w.shape().str(), x.shape().str(), groups});
    });
    require(s.oh > 0 && s.ow > 0 && y.dim(0) == s.n && y.dim(1) == s.f && y.dim(2) == s.oh && y.dim(3) == s.ow, op, [&] {
      return format_message("output {} does not fit input {} and weight {}", {y.shape().str(), x.shape().str(), w.shape().str()});
    });
    return s;
  }

  // The gradients a convolution's backward pass is asked for fit the weight, the filters and the input. dbias only
  // beside dw, as oneDNN computes it; dx alone reads x for its shape only.
  WindowShape conv_grad(const op::Conv2dGrad& o) const {
    const WindowShape s = conv(o.x, o.w, o.dy, o.window, o.groups, "conv2d_grad");
    require(!o.dw.defined() || o.dw.numel() == o.w.numel(), "conv2d_grad", [&] {
      return format_message("dw {} does not fit weight {}", {o.dw.shape().str(), o.w.shape().str()});
    });
    require(!o.dbias.defined() || (o.dw.defined() && o.dbias.numel() == s.f), "conv2d_grad", [&] {
      return format_message("dbias {} must come with dw and hold the {} filters", {o.dbias.shape().str(), s.f});
    });
    if (o.dx.defined()) same_count(o.x, o.dx, "conv2d_grad");
    return s;
  }

  // Pooling and its gradient: y (N, C, OH, OW) is the pooling of x (N, C, H, W); argmax (max pooling) is int32 like y.
  WindowShape pool(const Tensor& x, const Tensor& y, const Tensor& argmax, PoolKind kind, const Window2d& g, const char* op) const {
    require(x.rank() == 4 && y.rank() == 4, op, [&] {
      return format_message("needs (N, C, H, W) tensors, got {} and {}", {x.shape().str(), y.shape().str()});
    });
    window(g, op);
    const WindowShape s{x.dim(0), x.dim(1), x.dim(2), x.dim(3), x.dim(1), g.out_h(x.dim(2)), g.out_w(x.dim(3))};
    require(s.oh > 0 && s.ow > 0 && y.dim(0) == s.n && y.dim(1) == s.c && y.dim(2) == s.oh && y.dim(3) == s.ow, op, [&] {
      return format_message("output {} does not fit input {}", {y.shape().str(), x.shape().str()});
    });
    if (kind == PoolKind::Max) require(argmax.dtype() == DType::Int32 && argmax.numel() == y.numel(), op, "argmax must be int32 like y");
    return s;
  }
  WindowShape pool_grad(const op::Pool2dGrad& o) const {
    const WindowShape s = pool(o.dx, o.dy, o.argmax, o.kind, o.window, "pool2d_grad");
    if (o.input_activation == Pointwise::Identity) return s;
    require(o.kind == PoolKind::Max && o.input_activation == Pointwise::Relu, "pool2d_grad",
            "input_activation takes only a ReLU, and only into max pooling");
    require(o.y.defined() && o.y.dtype() == o.dy.dtype() && o.y.shape() == o.dy.shape(), "pool2d_grad", [&] {
      return format_message("y must be the pooling's output, like dy {}, got {}", {o.dy.describe(), o.y.defined() ? o.y.describe() : "nothing"});
    });
    return s;
  }

  // Class losses and the correct count: (N, C) scores against int32 labels (N).
  void labels(const Tensor& scores, const Tensor& labels, const char* op) const {
    require(scores.rank() == 2, op, [&] { return format_message("needs (N, C) scores, got {}", {scores.shape().str()}); });
    require(labels.dtype() == DType::Int32 && labels.numel() == scores.dim(0), op, [&] {
      return format_message("labels must be int32 (N) with N = {}, got {}", {scores.dim(0), labels.describe()});
    });
  }

  // Row losses: scores against labels as above, a gradient of the scores' size, and class weights (when given) one
  // per column in the scores' dtype.
  void class_loss(const op::ClassLoss& o) const {
    labels(o.scores, o.labels, "class_loss");
    if (o.dscores.defined()) same_count(o.scores, o.dscores, "class_loss");
    if (!o.class_weights.defined()) return;
    require(o.class_weights.dtype() == o.scores.dtype() && o.class_weights.numel() == o.scores.dim(1), "class_loss", [&] {
      return format_message("class weights must be {} ({}), one per column of the scores, got {}",
                            {std::string(dtype_name(o.scores.dtype())), o.scores.dim(1), o.class_weights.describe()});
    });
  }

  // Element-wise losses: target and gradient of the prediction's size, and the positive weights (when given) of the
  // logistic loss, in its dtype, as many as a sample's outputs.
  void elementwise_loss(const op::ElementwiseLoss& o) const {
    same_count(o.pred, o.target, "elementwise_loss");
    if (o.dpred.defined()) same_count(o.pred, o.dpred, "elementwise_loss");
    if (!o.pos_weight.defined()) return;
    require(o.fn == ElementwiseLossFn::BceWithLogits, "elementwise_loss", "pos_weight weighs the logistic loss (BceWithLogits) only");
    require(o.pos_weight.dtype() == o.pred.dtype() && o.pos_weight.numel() > 0 && o.pred.numel() % o.pos_weight.numel() == 0,
            "elementwise_loss", [&] {
              return format_message("pos_weight must be {}, one per output of a sample of {}, got {}",
                                    {std::string(dtype_name(o.pred.dtype())), o.pred.describe(), o.pos_weight.describe()});
            });
  }

  // Optimizer steps: every state tensor in use matches the parameter, step counts start at 1.
  void adam_step(const op::AdamStep& o) const {
    step_count(o.step, "adam_step");
    like_param(o.param, "adam_step", o.grad, o.m, o.v);
    if (o.amsgrad) like_param(o.param, "adam_step", o.v_max);
  }
  void rmsprop_step(const op::RmspropStep& o) const {
    like_param(o.param, "rmsprop_step", o.grad, o.square_avg);
    if (o.centered) like_param(o.param, "rmsprop_step", o.grad_avg);
    if (o.momentum > 0.0) like_param(o.param, "rmsprop_step", o.buf);
  }
  void step_count(std::int64_t step, const char* op) const {
    require(step >= 1, op, [&] { return format_message("step must be >= 1, got {}", {step}); });
  }
  template <typename... Tensors>
  void like_param(const Tensor& param, const char* op, const Tensors&... state) const {
    (same_count(param, state, op), ...);
  }

 private:
  void window(const Window2d& g, const char* op) const {
    require(g.stride_h > 0 && g.stride_w > 0 && g.dilation_h > 0 && g.dilation_w > 0, op, "stride and dilation must be >= 1");
  }
  const char* backend_;
};

}  // namespace nnplug::backends
