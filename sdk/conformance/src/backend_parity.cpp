#include <cmath>

#include <fmt/format.h>

#include "nnplug/conformance/component_checks.hpp"

namespace nnplug::conformance {

namespace {

// One tensor of a case: its shape, and for int32 tensors (labels) the range of values [0, classes).
struct Slot {
  Shape shape;
  std::int32_t classes = 0;  // > 0: int32 values below this
  bool compared = false;     // an output, compared after the op
  bool blocks = false;       // in channel blocks of 16 on a candidate that has them (Backend::has_layout)
  bool whole_numbers = false;  // with classes: those values in the case's float dtype (an embedding's indices)
};

// An op on seeded inputs, and how far a candidate may stray from the reference (relative to max(|reference|, 1)).
// The defaults allow for another summation order (a GPU's reductions, cuDNN's convolution algorithms, cuBLAS'
// blocking) and for 1-2 ulp differences of a device's exp, log, erf; a case states its own where it needs more.
struct ParityCase {
  std::string name;
  std::vector<Slot> slots;
  std::function<Op(const std::vector<Tensor>&)> make;
  double float32_tolerance = 1e-4, float64_tolerance = 1e-10;
  bool mixed_precision = false;  // a matrix product or convolution, which mixed precision runs in bfloat16
};

Slot in(Shape s) { return {s}; }
Slot out(Shape s) { return {s, 0, true}; }
Slot labels(Shape s, std::int32_t classes) { return {s, classes}; }
Slot out_int(Shape s) { return {s, 1, true}; }
Slot indices(Shape s, std::int32_t rows) { return {s, rows, false, false, true}; }
Slot blocks(Slot s) {
  s.blocks = true;
  return s;
}
// A matrix product or convolution: mixed precision runs it in bfloat16.
ParityCase product(ParityCase c) {
  c.mixed_precision = true;
  return c;
}

std::vector<ParityCase> cases() {
  using T = std::vector<Tensor>;
  std::vector<ParityCase> c;
  c.push_back({"fill", {out({3, 4})}, [](const T& t) { return op::Fill{t[0], 0.25}; }});
  c.push_back({"copy", {in({3, 4}), out({3, 4})}, [](const T& t) { return op::Copy{t[0], t[1]}; }});
  // Columns [2, 5) of a (4, 7) whole: rows of 3 in, rows of 3 out.
  c.push_back({"copy_columns into", {in({4, 3}), out({4, 7})}, [](const T& t) { return op::CopyColumns{t[0], t[1], 4, 2, true}; }});
  c.push_back({"copy_columns from", {out({2, 2, 3}), in({2, 2, 7})}, [](const T& t) { return op::CopyColumns{t[0], t[1], 4, 2, false}; }});
  // A batched transpose, and NCHW to NHWC (whose H and W stay neighbours).
  c.push_back({"permute", {in({2, 3, 5}), out({2, 5, 3})}, [](const T& t) { return op::Permute{t[0], t[1], {0, 2, 1}}; }});
  c.push_back({"permute to channels last", {in({2, 3, 2, 4}), out({2, 2, 4, 3})}, [](const T& t) { return op::Permute{t[0], t[1], {0, 2, 3, 1}}; }});
  c.push_back({"axpby", {in({3, 4}), out({3, 4})}, [](const T& t) { return op::Axpby{t[0], t[1], 0.5, -2.0}; }});
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      c.push_back(product({fmt::format("gemm{}{}", ta ? " a^T" : "", tb ? " b^T" : ""),
                   {in(ta ? Shape{5, 3} : Shape{3, 5}), in(tb ? Shape{4, 5} : Shape{5, 4}), out({3, 4})},
                   [ta, tb](const T& t) { return op::Gemm{.a = t[0], .b = t[1], .c = t[2], .trans_a = ta, .trans_b = tb, .alpha = 0.7, .beta = 0.3}; }}));
  // Sizes a library runs on its blocked kernels, with a long sum (k = 96), as a dense layer's products are.
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      c.push_back(product({fmt::format("gemm 40x96x24{}{}", ta ? " a^T" : "", tb ? " b^T" : ""),
                   {in(ta ? Shape{96, 40} : Shape{40, 96}), in(tb ? Shape{24, 96} : Shape{96, 24}), out({40, 24})},
                   [ta, tb](const T& t) {
                     return op::Gemm{.a = t[0], .b = t[1], .c = t[2], .trans_a = ta, .trans_b = tb, .beta = tb ? 1.0 : 0.0};
                   }}));
  // A dense layer's product with its bias and ReLU in the output pass (op::Gemm's epilogue).
  c.push_back(product({"gemm with bias and relu", {in({40, 96}), in({24, 96}), in({24}), out({40, 24})}, [](const T& t) {
    return op::Gemm{.a = t[0], .b = t[1], .c = t[3], .trans_b = true, .bias = t[2], .epilogue = Pointwise::Relu};
  }}));
  c.push_back({"add_row_vector", {in({3, 4}), in({4}), out({3, 4})}, [](const T& t) { return op::AddRowVector{t[0], t[1], t[2]}; }});
  c.push_back({"sum_rows", {in({3, 4}), out({4})}, [](const T& t) { return op::SumRows{t[0], t[1], 0.5}; }});
  for (Pointwise fn : {Pointwise::Identity, Pointwise::Relu, Pointwise::LeakyRelu, Pointwise::Elu, Pointwise::Selu, Pointwise::Sigmoid,
                       Pointwise::Tanh, Pointwise::Silu, Pointwise::Gelu, Pointwise::Softplus, Pointwise::Relu6,
                       Pointwise::HardSigmoid, Pointwise::Softsign, Pointwise::Celu, Pointwise::HardSwish,
                       Pointwise::LogSigmoid, Pointwise::TanhShrink, Pointwise::SoftShrink, Pointwise::HardShrink}) {
    const double alpha = fn == Pointwise::Softplus ? 1.0 : 0.1;
    const int n = static_cast<int>(fn);
    c.push_back({fmt::format("activation {}", n), {in({3, 4}), out({3, 4})}, [fn, alpha](const T& t) { return op::Activation{t[0], t[1], fn, alpha}; }});
    // The gradient from x, with y = f(x) computed by the same backend first (slot 1 is y, an output too).
    c.push_back({fmt::format("activation_grad {}", n), {in({3, 4}), out({3, 4}), in({3, 4}), out({3, 4})}, [fn, alpha](const T& t) {
                   t[0].backend().run(op::Activation{t[0], t[1], fn, alpha});
                   return op::ActivationGrad{t[0], t[1], t[2], t[3], fn, alpha};
                 }});
  }
  c.push_back({"softmax", {in({3, 5}), out({3, 5})}, [](const T& t) { return op::Softmax{t[0], t[1]}; }});
  c.push_back({"softmax_grad", {in({3, 5}), in({3, 5}), out({3, 5})}, [](const T& t) { return op::SoftmaxGrad{t[0], t[1], t[2]}; }});
  // A recurrent step of 3 rows of 2 units: an LSTM's 4 gates and a GRU's 3 as column blocks of each row.
  c.push_back({"lstm_cell", {out({3, 8}), in({3, 2}), out({3, 2}), out({3, 2}), out({3, 2})},
               [](const T& t) { return op::LstmCell{t[0], t[1], t[2], t[3], t[4]}; }});
  c.push_back({"lstm_cell_grad", {in({3, 8}), in({3, 2}), in({3, 2}), in({3, 2}), out({3, 2}), out({3, 8})},
               [](const T& t) { return op::LstmCellGrad{t[0], t[1], t[2], t[3], t[4], t[5]}; }});
  c.push_back({"gru_cell", {in({3, 6}), in({3, 6}), in({3, 2}), out({3, 6}), out({3, 2})},
               [](const T& t) { return op::GruCell{t[0], t[1], t[2], t[3], t[4]}; }});
  c.push_back({"gru_cell in place", {out({3, 6}), in({3, 6}), in({3, 2}), out({3, 2})},
               [](const T& t) { return op::GruCell{t[0], t[1], t[2], t[0], t[3]}; }});
  c.push_back({"gru_cell_grad", {in({3, 6}), in({3, 6}), in({3, 2}), in({3, 2}), out({3, 6}), out({3, 6}), out({3, 2})},
               [](const T& t) { return op::GruCellGrad{t[0], t[1], t[2], t[3], t[4], t[5], t[6]}; }});
  c.push_back({"multiply", {in({3, 4}), in({3, 4}), out({3, 4})}, [](const T& t) { return op::Multiply{t[0], t[1], t[2]}; }});
  const Window2d same3{3, 3, 1, 1, 1, 1, 1, 1}, strided{3, 2, 2, 1, 1, 0, 1, 2};
  for (const Window2d& g : {same3, strided}) {
    const std::int64_t oh = g.out_h(6), ow = g.out_w(7);
    // 3 input channels, as a network's first layer, and 16, as the layers after it.
    for (std::int64_t channels : {3, 16}) {
      const std::string suffix = channels == 3 ? "" : " 16 channels";
      c.push_back(product({fmt::format("conv2d{}", suffix), {in({2, channels, 6, 7}), in({4, channels, g.kernel_h, g.kernel_w}), in({4}), out({2, 4, oh, ow})},
                   [g](const T& t) { return op::Conv2d{t[0], t[1], t[2], t[3], g}; }}));
      c.push_back(product({fmt::format("conv2d_grad{}", suffix),
                   {in({2, channels, 6, 7}), in({4, channels, g.kernel_h, g.kernel_w}), in({2, 4, oh, ow}), out({2, channels, 6, 7}),
                    out({4, channels, g.kernel_h, g.kernel_w}), out({4})},
                   [g](const T& t) { return op::Conv2dGrad{t[0], t[1], t[2], t[3], t[4], t[5], g}; }}));
    }
    // Grouped: 16 channels in 4 groups into 8 filters, and depthwise (16 groups of one channel).
    for (std::int64_t groups : {4, 16}) {
      const std::int64_t f = groups == 4 ? 8 : 16;
      const Shape x{2, 16, 6, 7}, w{f, 16 / groups, g.kernel_h, g.kernel_w}, y{2, f, oh, ow};
      c.push_back(product({fmt::format("conv2d in {} groups", groups), {in(x), in(w), in({f}), out(y)}, [g, groups](const T& t) {
        return op::Conv2d{t[0], t[1], t[2], t[3], g, Pointwise::Identity, kFunctionDefault, groups};
      }}));
      c.push_back(product({fmt::format("conv2d_grad in {} groups", groups), {in(x), in(w), in(y), out(x), out(w), out({f})},
                           [g, groups](const T& t) { return op::Conv2dGrad{t[0], t[1], t[2], t[3], t[4], t[5], g, groups}; }}));
    }
  }
  // A convolution with its bias and ReLU in the output pass (op::Conv2d's epilogue: X11's conv, ReLU).
  c.push_back(product({"conv2d with bias and relu", {in({2, 16, 6, 7}), in({4, 16, 3, 3}), in({4}), out({2, 4, 6, 7})},
                       [same3](const T& t) { return op::Conv2d{t[0], t[1], t[2], t[3], same3, Pointwise::Relu}; }}));
  const Window2d pool{2, 2, 2, 2, 0, 0, 1, 1}, padded{3, 3, 2, 2, 1, 1, 1, 1};
  for (const Window2d& g : {pool, padded}) {
    const Shape y{2, 3, g.out_h(6), g.out_w(7)};
    c.push_back({"max_pool2d", {in({2, 3, 6, 7}), out(y), out_int(y)},
                 [g](const T& t) { return op::Pool2d{t[0], t[1], t[2], PoolKind::Max, g}; }});
    c.push_back({"avg_pool2d", {in({2, 3, 6, 7}), out(y)}, [g](const T& t) { return op::Pool2d{t[0], t[1], Tensor(), PoolKind::Average, g}; }});
    c.push_back({"avg_pool2d_grad", {in(y), out({2, 3, 6, 7})},
                 [g](const T& t) { return op::Pool2dGrad{t[0], Tensor(), t[1], PoolKind::Average, g}; }});
  }
  c.push_back({"batch_norm", {in({4, 3, 2, 2}), in({3}), in({3}), out({4, 3, 2, 2}), out({3}), out({3}), out({3}), out({3})},
               [](const T& t) {
                 t[0].backend().run(op::Fill{t[7], 1.0});  // running_var > 0
                 return op::BatchNorm{t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]};
               }});
  // With the ReLU or ReLU6 after it in its output pass (op::BatchNorm's epilogue: ResNet's batch norm, ReLU; MobileNet's
  // batch norm, ReLU6).
  for (const Pointwise f : {Pointwise::Relu, Pointwise::Relu6})
    c.push_back({fmt::format("batch_norm with {}", f == Pointwise::Relu ? "relu" : "relu6"),
                 {in({4, 3, 2, 2}), in({3}), in({3}), out({4, 3, 2, 2}), out({3}), out({3}), out({3}), out({3})}, [f](const T& t) {
                   t[0].backend().run(op::Fill{t[7], 1.0});
                   t[0].backend().run(op::Fill{t[1], 4.0});  // gamma: normalised values of about +-1 reach past 6
                   return op::BatchNorm{t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], 0.1, 1e-5, true, f};
                 }});
  c.push_back({"softmax_cross_entropy", {in({4, 5}), labels({4}, 5), out({1}), out({4, 5})},
               [](const T& t) { return op::ClassLoss{t[0], t[1], t[2], t[3]}; }});
  c.push_back({"softmax_cross_entropy smoothed", {in({4, 5}), labels({4}, 5), out({1}), out({4, 5})}, [](const T& t) {
                 op::ClassLoss smoothed{t[0], t[1], t[2], t[3]};
                 smoothed.label_smoothing = 0.1;
                 return smoothed;
               }});
  // Weights drawn from the seeded inputs, some negative: the kernels do not look at their sign.
  c.push_back({"softmax_cross_entropy weighted, smoothed", {in({4, 5}), labels({4}, 5), out({1}), out({4, 5}), in({5})}, [](const T& t) {
                 op::ClassLoss weighted{t[0], t[1], t[2], t[3]};
                 weighted.label_smoothing = 0.1;
                 weighted.class_weights = t[4];
                 return weighted;
               }});
  c.push_back({"count_correct", {in({4, 5}), labels({4}, 5), out({1})}, [](const T& t) { return op::CountCorrect{t[0], t[1], t[2]}; }});
  c.push_back({"sgd_step", {out({6}), in({6}), out({6})},
               [](const T& t) { return op::SgdStep{t[0], t[1], t[2], 0.1, 0.9, 0.0, 0.01, true, false}; }});
  c.push_back({"adam_step", {out({6}), in({6}), out({6}), out({6})}, [](const T& t) {
                 t[0].backend().run(op::Fill{t[3], 0.5});  // v >= 0
                 op::AdamStep s{t[0], t[1], t[2], t[3]};
                 s.step = 3;
                 return s;
               }});
  c.push_back({"clamp", {out({3, 4})}, [](const T& t) { return op::Clamp{t[0], -0.5, 0.5}; }});
  c.push_back({"sum_squares", {in({5, 7}), out({1})}, [](const T& t) { return op::SumSquares{t[0], t[1]}; }});
  // Squares from seeded values (x^2 >= 0) summing to about 5: a norm of about 2.2, clipped to 1 or left alone.
  for (double max_norm : {1.0, 10.0})
    c.push_back({fmt::format("clip_to_norm {}", static_cast<int>(max_norm)), {in({5}), out({3, 4})}, [max_norm](const T& t) {
                   t[0].backend().run(op::Multiply{t[0], t[0], t[0]});
                   return op::ClipToNorm{t[1], t[0], max_norm};
                 }});
  for (const bool shared : {false, true}) {
    const Shape alpha = shared ? Shape{1} : Shape{3};
    const std::string suffix = shared ? " shared" : "";
    c.push_back({fmt::format("prelu{}", suffix), {in({2, 3, 4}), in(alpha), out({2, 3, 4})}, [](const T& t) { return op::Prelu{t[0], t[1], t[2]}; }});
    c.push_back({fmt::format("prelu_grad{}", suffix), {in({2, 3, 4}), in(alpha), in({2, 3, 4}), out({2, 3, 4}), out(alpha)},
                 [](const T& t) { return op::PreluGrad{t[0], t[1], t[2], t[3], t[4]}; }});
  }
  // 7 indices of 5 rows: some rows are picked twice, and their gradients add up.
  c.push_back({"gather_rows", {in({5, 3}), indices({7}, 5), out({7, 3})}, [](const T& t) { return op::GatherRows{t[0], t[1], t[2]}; }});
  c.push_back({"scatter_add_rows", {in({7, 3}), indices({7}, 5), out({5, 3})},
               [](const T& t) { return op::ScatterAddRows{t[0], t[1], t[2]}; }});
  c.push_back({"scatter_add_rows skipping a row", {in({7, 3}), indices({7}, 5), out({5, 3})},
               [](const T& t) { return op::ScatterAddRows{t[0], t[1], t[2], 2}; }});
  c.push_back({"max_groups", {in({3, 6}), out({3, 2}), out_int({3, 2})}, [](const T& t) { return op::MaxGroups{t[0], t[1], t[2], 3}; }});
  c.push_back({"max_groups_grad", {in({3, 2}), labels({3, 2}, 3), out({3, 6})},
               [](const T& t) { return op::MaxGroupsGrad{t[0], t[1], t[2], 3}; }});
  // Masks are drawn from (seed, index) by every backend: they must agree exactly, up to the device's log and cos.
  for (DropoutKind kind : {DropoutKind::Inverted, DropoutKind::Gaussian, DropoutKind::Alpha})
    c.push_back({fmt::format("dropout {}", static_cast<int>(kind)), {in({5, 8}), out({5, 8}), out({5, 8})},
                 [kind](const T& t) { return op::Dropout{t[0], t[1], t[2], kind, 0.3, 7}; }});
  c.push_back({"add_noise", {out({5, 8})}, [](const T& t) { return op::AddNoise{t[0], 0.3, 11}; }});
  c.push_back({"batch_norm eval", {in({4, 3, 2, 2}), in({3}), in({3}), out({4, 3, 2, 2}), out({3}), out({3}), in({3}), out({3})},
               [](const T& t) {
                 t[0].backend().run(op::Fill{t[7], 1.5});
                 return op::BatchNorm{t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], 0.1, 1e-5, false};
               }});
  for (const bool training : {true, false})
    c.push_back({fmt::format("batch_norm_grad{}", training ? "" : " eval"),
                 {in({4, 3, 2, 2}), in({3}), in({3}), out({4, 3, 2, 2}), out({3}), out({3}), out({3}), out({3}), in({4, 3, 2, 2}),
                  out({4, 3, 2, 2}), out({3}), out({3})},
                 [training](const T& t) {
                   t[0].backend().run(op::Fill{t[7], 1.0});
                   t[0].backend().run(op::BatchNorm{t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], 0.1, 1e-5, training});
                   return op::BatchNormGrad{t[0], t[1], t[8], t[4], t[5], t[9], t[10], t[11], training};
                 }});
  // Through the ReLU before it as well (X11's conv, ReLU, batch norm): x = relu(x) first, so that it holds zeros.
  c.push_back({"batch_norm_grad through a relu before it",
               {out({4, 3, 2, 2}), in({3}), in({3}), out({4, 3, 2, 2}), out({3}), out({3}), out({3}), out({3}), in({4, 3, 2, 2}),
                out({4, 3, 2, 2}), out({3}), out({3})},
               [](const T& t) {
                 t[0].backend().run(op::Activation{t[8], t[0], Pointwise::Relu});
                 t[0].backend().run(op::Fill{t[7], 1.0});
                 t[0].backend().run(op::BatchNorm{t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]});
                 return op::BatchNormGrad{t[0], t[1], t[8], t[4], t[5], t[9], t[10], t[11], true, Pointwise::Relu};
               }});
  c.push_back({"penalty", {in({3, 4}), out({3, 4}), out({1})}, [](const T& t) { return op::Penalty{t[0], t[1], t[2], 0.01, 0.1, 0.5}; }});
  for (const bool unit : {false, true})
    c.push_back({fmt::format("row_norm_constraint{}", unit ? " unit" : ""), {out({4, 5})},
                 [unit](const T& t) { return op::RowNormConstraint{t[0], 1.5, unit}; }});
  for (const Window2d& g : {pool, padded}) {
    const Shape y{2, 3, g.out_h(6), g.out_w(7)};
    c.push_back({"max_pool2d_grad", {in({2, 3, 6, 7}), out(y), out_int(y), in(y), out({2, 3, 6, 7})}, [g](const T& t) {
                   t[0].backend().run(op::Pool2d{t[0], t[1], t[2], PoolKind::Max, g});
                   return op::Pool2dGrad{t[3], t[2], t[4], PoolKind::Max, g};
                 }});
    // Through the ReLU before it (the CNNs' conv, ReLU, pool): x = relu(x) first, so that whole windows hold zeros.
    c.push_back({"max_pool2d_grad through a relu before it", {out({2, 3, 6, 7}), out(y), out_int(y), in(y), out({2, 3, 6, 7}), in({2, 3, 6, 7})},
                 [g](const T& t) {
                   t[0].backend().run(op::Activation{t[5], t[0], Pointwise::Relu});
                   t[0].backend().run(op::Pool2d{t[0], t[1], t[2], PoolKind::Max, g});
                   return op::Pool2dGrad{t[3], t[2], t[4], PoolKind::Max, g, Pointwise::Relu, t[1]};
                 }});
  }
  c.push_back(product({"conv2d no bias", {in({2, 3, 6, 7}), in({4, 3, 3, 3}), out({2, 4, 6, 7})},
               [same3](const T& t) { return op::Conv2d{t[0], t[1], Tensor(), t[2], same3}; }}));
  c.push_back(product({"conv2d_grad weights only", {in({2, 3, 6, 7}), in({4, 3, 3, 3}), in({2, 4, 6, 7}), out({4, 3, 3, 3})},
               [same3](const T& t) { return op::Conv2dGrad{t[0], t[1], t[2], Tensor(), t[3], Tensor(), same3}; }}));
  // dx alone, a transposed convolution's forward: x is dx itself, read for its shape only.
  for (std::int64_t groups : {1, 4})
    c.push_back(product({fmt::format("conv2d_grad input only in {} groups", groups), {in({2, 8, 3, 4}), in({8, 16 / groups, 3, 3}), out({2, 16, 6, 7})},
                         [groups](const T& t) {
                           return op::Conv2dGrad{t[2], t[1], t[0], t[2], Tensor(), Tensor(), Window2d{3, 3, 2, 2, 1, 1, 1, 1}, groups};
                         }}));
  c.push_back({"cross_entropy_of_probabilities", {in({4, 5}), labels({4}, 5), out({1}), out({4, 5})}, [](const T& t) {
                 t[0].backend().run(op::Softmax{t[0], t[0]});  // probabilities, so that few are clamped
                 return op::ClassLoss{t[0], t[1], t[2], t[3], ClassLossFn::CrossEntropyOfProbabilities, 1e-3};
               }});
  for (ClassLossFn fn : {ClassLossFn::Hinge, ClassLossFn::SquaredHinge})
    for (const bool mean : {true, false})
      c.push_back({fmt::format("{}{}", fn == ClassLossFn::Hinge ? "hinge" : "squared_hinge", mean ? "" : " summed"),
                   {in({4, 5}), labels({4}, 5), out({1}), out({4, 5})},
                   [fn, mean](const T& t) { return op::ClassLoss{t[0], t[1], t[2], t[3], fn, 1.0, mean}; }});
  c.push_back({"hinge weighted", {in({4, 5}), labels({4}, 5), out({1}), out({4, 5}), in({5})},
               [](const T& t) { return op::ClassLoss{t[0], t[1], t[2], t[3], ClassLossFn::Hinge, 1.0, true, 0.0, t[4]}; }});
  for (ElementwiseLossFn fn : {ElementwiseLossFn::SquaredError, ElementwiseLossFn::AbsoluteError, ElementwiseLossFn::Huber,
                               ElementwiseLossFn::BceWithLogits, ElementwiseLossFn::Perceptron, ElementwiseLossFn::Hinge})
    c.push_back({fmt::format("elementwise_loss {}", static_cast<int>(fn)), {in({3, 4}), in({3, 4}), out({1}), out({3, 4})},
                 [fn](const T& t) { return op::ElementwiseLoss{t[0], t[1], t[2], t[3], fn, 0.7}; }});
  c.push_back({"elementwise_loss with pos_weight", {in({3, 4}), in({3, 4}), out({1}), out({3, 4}), in({4})},
               [](const T& t) { return op::ElementwiseLoss{t[0], t[1], t[2], t[3], ElementwiseLossFn::BceWithLogits, 1.0, t[4]}; }});
  c.push_back({"count_correct binary", {in({6, 1}), labels({6}, 2), out({1})}, [](const T& t) { return op::CountCorrect{t[0], t[1], t[2]}; }});
  c.push_back({"sgd_step plain", {out({6}), in({6})}, [](const T& t) { return op::SgdStep{t[0], t[1], Tensor(), 0.1, 0.0, 0.0, 0.01}; }});
  c.push_back({"sgd_step first momentum", {out({6}), in({6}), out({6})},
               [](const T& t) { return op::SgdStep{t[0], t[1], t[2], 0.1, 0.9, 0.1, 0.0, false, true}; }});
  c.push_back({"adam_step amsgrad", {out({6}), in({6}), out({6}), out({6}), out({6})}, [](const T& t) {
                 t[0].backend().run(op::Fill{t[3], 0.5});
                 t[0].backend().run(op::Fill{t[4], 0.7});
                 op::AdamStep s{t[0], t[1], t[2], t[3], t[4]};
                 s.step = 2;
                 s.amsgrad = true;
                 s.weight_decay = 0.01;
                 return s;
               }});
  c.push_back({"adamw_step", {out({6}), in({6}), out({6}), out({6})}, [](const T& t) {
                 t[0].backend().run(op::Fill{t[3], 0.5});
                 op::AdamStep s{t[0], t[1], t[2], t[3]};
                 s.weight_decay = 0.1;
                 s.decoupled_weight_decay = true;
                 return s;
               }});
  c.push_back({"adagrad_step", {out({6}), in({6}), out({6})}, [](const T& t) {
                 t[0].backend().run(op::Fill{t[2], 0.1});  // a sum of squares
                 return op::AdagradStep{t[0], t[1], t[2], 0.1, 0.01, 1e-10, 0.01, 3};
               }});
  c.push_back({"rmsprop_step centered momentum", {out({6}), in({6}), out({6}), out({6}), out({6})}, [](const T& t) {
                 t[0].backend().run(op::Fill{t[2], 4.0});  // square_avg above grad_avg^2
                 t[0].backend().run(op::Fill{t[3], 0.1});
                 return op::RmspropStep{t[0], t[1], t[2], t[3], t[4], 0.01, 0.99, 1e-8, 0.01, 0.9, true};
               }});
  c.push_back({"rmsprop_step", {out({6}), in({6}), out({6})}, [](const T& t) {
                 t[0].backend().run(op::Fill{t[2], 0.3});
                 return op::RmspropStep{t[0], t[1], t[2], Tensor(), Tensor(), 0.01};
               }});
  c.push_back({"adadelta_step", {out({6}), in({6}), out({6}), out({6})}, [](const T& t) {
                 t[0].backend().run(op::Fill{t[2], 0.5});
                 t[0].backend().run(op::Fill{t[3], 0.1});
                 return op::AdadeltaStep{t[0], t[1], t[2], t[3], 1.0, 0.9, 1e-6, 0.01};
               }});
  return c;
}

// The ops a backend may run on images in channel blocks of 16, on a candidate that has them, against the
// reference's row-major images: the layout must not change a value (a dropout mask included).
std::vector<ParityCase> channel_block_cases() {
  using T = std::vector<Tensor>;
  std::vector<ParityCase> c;
  const Shape image{2, 16, 6, 7}, batch{4, 32, 2, 3};
  c.push_back({"copy into channel blocks", {in(image), blocks(out(image))}, [](const T& t) { return op::Copy{t[0], t[1]}; }});
  c.push_back({"copy out of channel blocks", {blocks(in(image)), out(image)}, [](const T& t) { return op::Copy{t[0], t[1]}; }});
  c.push_back({"axpby in channel blocks", {blocks(in(image)), blocks(out(image))}, [](const T& t) { return op::Axpby{t[0], t[1], 0.5, -2.0}; }});
  c.push_back({"multiply in channel blocks", {blocks(in(image)), blocks(in(image)), blocks(out(image))},
               [](const T& t) { return op::Multiply{t[0], t[1], t[2]}; }});
  c.push_back({"activation_grad in channel blocks", {blocks(in(image)), blocks(out(image)), blocks(in(image)), blocks(out(image))},
               [](const T& t) {
                 t[0].backend().run(op::Activation{t[0], t[1], Pointwise::Elu});
                 return op::ActivationGrad{t[0], t[1], t[2], t[3], Pointwise::Elu};
               }});
  for (DropoutKind kind : {DropoutKind::Inverted, DropoutKind::Gaussian, DropoutKind::Alpha})
    c.push_back({fmt::format("dropout {} in channel blocks", static_cast<int>(kind)), {blocks(in(image)), blocks(out(image)), blocks(out(image))},
                 [kind](const T& t) { return op::Dropout{t[0], t[1], t[2], kind, 0.3, 7, 5}; }});
  const Window2d same3{3, 3, 1, 1, 1, 1, 1, 1}, strided{3, 2, 2, 1, 1, 0, 1, 2};
  for (const Window2d& g : {same3, strided}) {
    const Shape y{2, 16, g.out_h(6), g.out_w(7)}, w{16, 16, g.kernel_h, g.kernel_w};
    c.push_back(product({"conv2d with relu in channel blocks", {blocks(in(image)), in(w), in({16}), blocks(out(y))},
                         [g](const T& t) { return op::Conv2d{t[0], t[1], t[2], t[3], g, Pointwise::Relu}; }}));
    c.push_back(product({"conv2d_grad in channel blocks", {blocks(in(image)), in(w), blocks(in(y)), blocks(out(image)), out(w), out({16})},
                         [g](const T& t) { return op::Conv2dGrad{t[0], t[1], t[2], t[3], t[4], t[5], g}; }}));
    // A first layer: 3 row-major input channels (im2col on the CPU backend) into blocks, and its gradient back.
    const Shape first{2, 3, 6, 7}, w3{16, 3, g.kernel_h, g.kernel_w};
    c.push_back(product({"conv2d of 3 channels into channel blocks", {in(first), in(w3), in({16}), blocks(out(y))},
                         [g](const T& t) { return op::Conv2d{t[0], t[1], t[2], t[3], g, Pointwise::Relu}; }}));
    c.push_back(product({"conv2d_grad of 3 channels from channel blocks", {in(first), in(w3), blocks(in(y)), out(first), out(w3), out({16})},
                         [g](const T& t) { return op::Conv2dGrad{t[0], t[1], t[2], t[3], t[4], t[5], g}; }}));
    // Depthwise, 16 groups of one channel, in blocks.
    const Shape depthwise{16, 1, g.kernel_h, g.kernel_w};
    c.push_back(product({"depthwise conv2d in channel blocks", {blocks(in(image)), in(depthwise), in({16}), blocks(out(y))},
                         [g](const T& t) { return op::Conv2d{t[0], t[1], t[2], t[3], g, Pointwise::Relu, kFunctionDefault, 16}; }}));
    c.push_back(product({"depthwise conv2d_grad in channel blocks",
                         {blocks(in(image)), in(depthwise), blocks(in(y)), blocks(out(image)), out(depthwise), out({16})},
                         [g](const T& t) { return op::Conv2dGrad{t[0], t[1], t[2], t[3], t[4], t[5], g, 16}; }}));
  }
  for (const Pointwise f : {Pointwise::Identity, Pointwise::Relu, Pointwise::Relu6}) {
    const std::string suffix = f == Pointwise::Identity ? "" : f == Pointwise::Relu ? " through a relu" : " through a relu6";
    c.push_back({fmt::format("batch_norm{} in channel blocks", suffix),
                 {blocks(in(batch)), in({32}), in({32}), blocks(out(batch)), out({32}), out({32}), out({32}), out({32})}, [f](const T& t) {
                   t[0].backend().run(op::Fill{t[7], 1.0});
                   return op::BatchNorm{t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], 0.1, 1e-5, true, f};
                 }});
    c.push_back({fmt::format("batch_norm_grad{} in channel blocks", suffix),
                 {blocks(out(batch)), in({32}), in({32}), blocks(out(batch)), out({32}), out({32}), out({32}), out({32}), blocks(in(batch)),
                  blocks(out(batch)), out({32}), out({32})},
                 [f](const T& t) {
                   t[0].backend().run(op::Activation{t[8], t[0], f});
                   t[0].backend().run(op::Fill{t[7], 1.0});
                   t[0].backend().run(op::BatchNorm{t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]});
                   return op::BatchNormGrad{t[0], t[1], t[8], t[4], t[5], t[9], t[10], t[11], true, f};
                 }});
  }
  const Window2d pool{2, 2, 2, 2, 0, 0, 1, 1}, padded{3, 3, 2, 2, 1, 1, 1, 1};
  for (const Window2d& g : {pool, padded}) {
    const Shape y{2, 16, g.out_h(6), g.out_w(7)};
    c.push_back({"max_pool2d in channel blocks", {blocks(in(image)), blocks(out(y)), blocks(out_int(y))},
                 [g](const T& t) { return op::Pool2d{t[0], t[1], t[2], PoolKind::Max, g}; }});
    c.push_back({"avg_pool2d in channel blocks", {blocks(in(image)), blocks(out(y))},
                 [g](const T& t) { return op::Pool2d{t[0], t[1], Tensor(), PoolKind::Average, g}; }});
    c.push_back({"avg_pool2d_grad in channel blocks", {blocks(in(y)), blocks(out(image))},
                 [g](const T& t) { return op::Pool2dGrad{t[0], Tensor(), t[1], PoolKind::Average, g}; }});
    c.push_back({"max_pool2d_grad through a relu in channel blocks",
                 {blocks(out(image)), blocks(out(y)), blocks(out_int(y)), blocks(in(y)), blocks(out(image)), blocks(in(image))},
                 [g](const T& t) {
                   t[0].backend().run(op::Activation{t[5], t[0], Pointwise::Relu});
                   t[0].backend().run(op::Pool2d{t[0], t[1], t[2], PoolKind::Max, g});
                   return op::Pool2dGrad{t[3], t[2], t[4], PoolKind::Max, g, Pointwise::Relu, t[1]};
                 }});
  }
  return c;
}

std::vector<ParityCase> all_cases() {
  std::vector<ParityCase> c = cases();
  for (auto& pc : channel_block_cases()) c.push_back(std::move(pc));
  return c;
}

// Uploads the same seeded values to a tensor of each backend: the candidate's in channel blocks where the slot
// asks for them and the candidate has them, the reference's row-major.
Tensor make_tensor(Backend& be, const Slot& s, DType dtype, std::uint64_t seed, bool candidate) {
  const Layout layout = candidate && s.blocks && be.has_layout(Layout::ChannelBlocks16) ? Layout::ChannelBlocks16 : Layout::RowMajor;
  if (s.classes > 0) {
    Tensor t = be.empty(s.shape, s.whole_numbers ? dtype : DType::Int32, layout);
    std::vector<double> v(static_cast<std::size_t>(s.shape.numel()));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>((i * 7 + seed) % static_cast<std::size_t>(s.classes));
    from_host(t, v);
    return t;
  }
  Tensor t = be.empty(s.shape, dtype, layout);
  from_host(t, random_normal(static_cast<std::size_t>(s.shape.numel()), seed));
  return t;
}

// Runs one case on both backends, the candidate's tensors in `dtype` and the reference's in `reference_dtype`, and
// hands each compared output's values (candidate, reference) to `compare`, which returns "" or what is wrong.
using Compare = std::function<std::string(const std::vector<double>&, const std::vector<double>&, CheckResult&)>;

CheckResult run_case(const ParityCase& pc, Backend& candidate, Backend& reference, DType dtype, DType reference_dtype,
                     const std::string& label, const Compare& compare) {
  CheckResult r{fmt::format("{} {} ({})", candidate.name(), pc.name, label)};
  std::vector<Tensor> mine, theirs;
  for (std::size_t i = 0; i < pc.slots.size(); ++i) {
    mine.push_back(make_tensor(candidate, pc.slots[i], dtype, 40 + i, true));
    theirs.push_back(make_tensor(reference, pc.slots[i], reference_dtype, 40 + i, false));
  }
  try {
    const Op op = pc.make(mine);
    if (!candidate.supports(op, dtype)) throw BackendError("not supported");
    candidate.run(op);
    reference.run(pc.make(theirs));
  } catch (const std::exception& e) {
    r.passed = false;
    r.detail = e.what();
    return r;
  }
  for (std::size_t i = 0; i < pc.slots.size() && r.passed; ++i) {
    if (!pc.slots[i].compared) continue;
    const std::string wrong = compare(to_host<double>(mine[i]), to_host<double>(theirs[i]), r);
    if (!wrong.empty()) r.passed = false, r.detail = fmt::format("output {}{}", i, wrong);
  }
  return r;
}

// Element by element, relative to max(|reference|, 1).
Compare elementwise(double tolerance) {
  return [tolerance](const std::vector<double>& a, const std::vector<double>& b, CheckResult& r) -> std::string {
    for (std::size_t k = 0; k < a.size(); ++k) {
      const double error = std::abs(a[k] - b[k]) / std::max(std::abs(b[k]), 1.0);
      r.worst_error = std::max(r.worst_error, error);
      if (!(error <= tolerance)) return fmt::format(" [{}]: {:g}, the reference has {:g}", k, a[k], b[k]);
    }
    return "";
  };
}

// Inputs rounded to bfloat16 (8 significant bits: a relative error up to 2^-9 each) and products summed in float32
// put these sums of unit normals' products 2.3e-3 to 3.2e-3 (relative RMS) off the float64 results on the CPU
// backend. 5e-3 leaves room for a device that also rounds its output to bfloat16 before widening it; sums
// accumulated in bfloat16 lose several bits more and fail it on the long (k = 96) products.
constexpr double kMixedPrecisionTolerance = 5e-3;

Compare relative_rms(double tolerance) {
  return [tolerance](const std::vector<double>& a, const std::vector<double>& b, CheckResult& r) -> std::string {
    double diff = 0, norm = 0;
    for (std::size_t k = 0; k < a.size(); ++k) diff += (a[k] - b[k]) * (a[k] - b[k]), norm += b[k] * b[k];
    const double error = std::sqrt(diff / std::max(norm, 1e-300));
    r.worst_error = std::max(r.worst_error, error);
    if (!(error <= tolerance)) return fmt::format(": relative RMS error {:.3g} against float64, above {:g}", error, tolerance);
    return "";
  };
}

}  // namespace

std::vector<CheckResult> check_backend_parity(Backend& candidate, Backend& reference, DType dtype) {
  std::vector<CheckResult> results;
  for (const auto& pc : all_cases()) {
    const double tolerance = dtype == DType::Float64 ? pc.float64_tolerance : pc.float32_tolerance;
    results.push_back(run_case(pc, candidate, reference, dtype, dtype, dtype_name(dtype), elementwise(tolerance)));
  }
  return results;
}

std::vector<CheckResult> check_backend_mixed_precision(Backend& candidate, Backend& reference) {
  std::vector<CheckResult> results;
  for (const auto& pc : all_cases()) {
    if (pc.mixed_precision)
      results.push_back(run_case(pc, candidate, reference, DType::Float32, DType::Float64, "bfloat16 mixed precision",
                                 relative_rms(kMixedPrecisionTolerance)));
    else
      results.push_back(run_case(pc, candidate, reference, DType::Float32, DType::Float32, "float32 under mixed precision",
                                 elementwise(pc.float32_tolerance)));
    results.push_back(run_case(pc, candidate, reference, DType::Float64, DType::Float64, "float64 under mixed precision",
                               elementwise(pc.float64_tolerance)));
  }
  return results;
}

}  // namespace nnplug::conformance
