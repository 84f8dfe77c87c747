#pragma once
// The ops a backend runs. An op is a plain struct of tensors and attributes; `Op` is the variant of all of them.
// Adding an op means adding a struct here, a reference implementation in the CPU backend and conformance cases,
// never a new virtual method on Backend; ops that plugins define travel as op::Custom (custom_op.hpp). Every op
// requires its tensors to live on the backend that runs it, to share one floating dtype (labels are int32) and to
// be contiguous. Shapes are stated per op; N = batch rows.
#include <array>
#include <cstdint>
#include <iterator>
#include <limits>
#include <variant>
#include <vector>

#include "nnplug/tensor.hpp"

namespace nnplug {

struct OpKernel;  // custom_op.hpp
// The value of a plugin op's attribute: a number, an integer or a flag.
using OpAttributeValue = std::variant<double, std::int64_t, bool>;

// The element-wise functions a backend knows natively, with PyTorch's definitions. `alpha` is the one parameter
// those that take one use: leaky_relu's negative slope, elu's and celu's alpha, softplus' beta (threshold fixed at
// 20). Relu6 is min(max(x, 0), 6), HardSigmoid relu6(x + 3) / 6, Softsign x / (1 + |x|), Celu max(0, x) +
// min(0, alpha (e^(x / alpha) - 1)), HardSwish x relu6(x + 3) / 6, LogSigmoid -log(1 + e^-x), TanhShrink
// x - tanh(x), SoftShrink x - alpha sign(x) outside [-alpha, alpha] and 0 inside, HardShrink x outside
// [-alpha, alpha] and 0 inside (alpha: PyTorch's lambd). A custom activation built from other ops works everywhere
// (the SDK's example mish is one); these exist so that the common ones run as one pass.
enum class Pointwise : std::uint8_t {
  Identity, Relu, LeakyRelu, Elu, Selu, Sigmoid, Tanh, Silu, Gelu, Softplus, Relu6, HardSigmoid, Softsign, Celu,
  HardSwish, LogSigmoid, TanhShrink, SoftShrink, HardShrink
};

// An `alpha` left unset: the function's own default, as PyTorch's (leaky_relu 0.01, elu and celu 1, softplus' beta
// 1, the shrinks' lambd 0.5), so that an op written without it computes the function (a beta of 0 would make
// softplus inf).
inline constexpr double kFunctionDefault = std::numeric_limits<double>::quiet_NaN();
// The alpha a backend computes with.
constexpr double pointwise_alpha(Pointwise fn, double alpha) {
  if (alpha == alpha) return alpha;  // set (not NaN)
  if (fn == Pointwise::LeakyRelu) return 0.01;
  if (fn == Pointwise::SoftShrink || fn == Pointwise::HardShrink) return 0.5;
  return fn == Pointwise::Elu || fn == Pointwise::Softplus || fn == Pointwise::Celu ? 1.0 : 0.0;
}

// The three dropouts (rate = the probability of dropping a unit):
//   Inverted   keep with probability 1 - rate, kept values scaled by 1 / (1 - rate)  (nn.Dropout)
//   Gaussian   multiply by N(1, rate / (1 - rate))                                  (Keras GaussianDropout)
//   Alpha      dropped units set to SELU's negative saturation, then an affine map that keeps zero mean and
//              unit variance                                                        (nn.AlphaDropout)
enum class DropoutKind : std::uint8_t { Inverted, Gaussian, Alpha };

// Row losses of scores (N, C) against int32 labels (N), as PyTorch defines them, mean over the batch:
//   SoftmaxCrossEntropy          logsumexp(z) - z_y                      (CrossEntropyLoss on logits)
//   CrossEntropyOfProbabilities  -log(clamp(p_y, eps, 1))                (NLLLoss of log p; eps = margin field)
//   Hinge                        sum_{j != y} max(0, margin - z_y + z_j) / (C or 1)     (MultiMarginLoss p=1)
//   SquaredHinge                 sum_{j != y} max(0, margin - z_y + z_j)^2 / (C or 1)   (MultiMarginLoss p=2)
enum class ClassLossFn : std::uint8_t { SoftmaxCrossEntropy, CrossEntropyOfProbabilities, Hinge, SquaredHinge };

// Element-wise losses of a prediction against a target of the same shape, mean over every element:
//   SquaredError      (p - t)^2                                          (MSELoss)
//   AbsoluteError     |p - t|                                            (L1Loss; gradient sign(p - t), 0 at 0)
//   Huber             0.5 d^2 if |d| < delta else delta (|d| - 0.5 delta) (HuberLoss; delta = param)
//   BceWithLogits     max(z, 0) - z t + log(1 + e^-|z|)                  (BCEWithLogitsLoss, t in [0, 1])
//   Perceptron        max(0, -y z)                                       (the perceptron criterion)
//   Hinge             max(0, margin - y z); margin = param               (Keras's hinge; the chapter's attribute hinge)
// where y = +1 for a target above 0 and -1 otherwise, so that labels may be 0 and 1 or -1 and +1.
enum class ElementwiseLossFn : std::uint8_t { SquaredError, AbsoluteError, Huber, BceWithLogits, Perceptron, Hinge };

// Geometry of a 2-D window over (H, W): stride, zero padding on each side, dilation.
struct Window2d {
  std::int64_t kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dilation_h = 1, dilation_w = 1;
  // Output extent along one axis, as PyTorch computes it.
  static std::int64_t out(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t pad, std::int64_t dilation) {
    return (in + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;
  }
  std::int64_t out_h(std::int64_t h) const { return out(h, kernel_h, stride_h, pad_h, dilation_h); }
  std::int64_t out_w(std::int64_t w) const { return out(w, kernel_w, stride_w, pad_w, dilation_w); }
};

enum class PoolKind : std::uint8_t { Max, Average };

}  // namespace nnplug

namespace nnplug::op {

// out[:] = value.
struct Fill {
  Tensor out;
  double value = 0.0;
};

// out = x (same element count).
struct Copy {
  Tensor x, out;
};

// A block of columns: `whole` seen as (rows, W) and `part` as (rows, w) (w = part's count / rows), columns
// [offset, offset + w) of whole. into_whole copies part there, otherwise those columns into part. Concatenation
// along any axis is this, with rows the product of the batch and the axes before it.
struct CopyColumns {
  Tensor part, whole;
  std::int64_t rows = 1, offset = 0;
  bool into_whole = true;
};

// out = x with its axes reordered, as torch.permute: out's axis i is x's axis perm[i], for each of x's axes (the batch
// is axis 0 of both). The elements move as they are, in any dtype; out's sizes are x's in that order.
struct Permute {
  Tensor x, out;
  std::array<std::int8_t, Shape::kMaxRank> perm{};  // the first x.rank() entries: a permutation of 0 .. rank - 1
};

// y = alpha * x + beta * y, element-wise (same element count).
struct Axpby {
  Tensor x, y;
  double alpha = 1.0, beta = 0.0;
};

// c = f(alpha * op(a) @ op(b) + beta * c + bias), where op transposes when asked and f is `epilogue` (with its
// `epilogue_alpha`, as op::Activation takes them). a, b, c are 2-D; bias is (n) or undefined. With beta == 0,
// c's previous contents are ignored (NaN in c does not propagate). The bias and f are the product's epilogue: a
// backend applies them in its output pass where its library can (a dense layer and the activation after it).
struct Gemm {
  Tensor a, b, c;
  bool trans_a = false, trans_b = false;
  double alpha = 1.0, beta = 0.0;
  Tensor bias{};  // {}: left out, no bias (and no warning for leaving it out)
  Pointwise epilogue = Pointwise::Identity;
  double epilogue_alpha = kFunctionDefault;
};

// out[i, j] = x[i, j] + bias[j]. x, out: (N, F); bias: (F). out may be x.
struct AddRowVector {
  Tensor x, bias, out;
};

// out[j] = beta * out[j] + sum_i x[i, j]. x: (N, F); out: (F).
struct SumRows {
  Tensor x, out;
  double beta = 0.0;
};

// y = f(x), element-wise. y may be x.
struct Activation {
  Tensor x, y;
  Pointwise fn = Pointwise::Identity;
  double alpha = kFunctionDefault;
};

// dx = f'(x) * dy, element-wise, using x or y = f(x) whichever is cheaper. At a kink the derivative is PyTorch's
// (relu'(0) = 0, leaky_relu'(0) = alpha).
struct ActivationGrad {
  Tensor x, y, dy, dx;
  Pointwise fn = Pointwise::Identity;
  double alpha = kFunctionDefault;
};

// y = softmax(x) over each row, computed as exp(x - max) / sum so that it never overflows. x, y: (N, C).
struct Softmax {
  Tensor x, y;
};

// dx[i, :] = y[i, :] * (dy[i, :] - <dy[i, :], y[i, :]>), the backward pass of a row softmax.
struct SoftmaxGrad {
  Tensor y, dy, dx;
};

// One time step of an LSTM cell (PyTorch's LSTM, gates in its order i, f, g, o), as one pass over the N rows.
// gates (N, 4 units) holds each gate's pre-activation a on entry (x W_ih^T + b_ih + h W_hh^T + b_hh) and its value
// on return: i, f, o = sigmoid(a), g = tanh(a). Then c = f c_prev + i g, tanh_c = tanh(c) and h = o tanh_c, each
// (N, units). One pass for what PyTorch's fused cells do, where element-wise ops took a dozen a step.
struct LstmCell {
  Tensor gates, c_prev, c, tanh_c, h;
};

// Its backward pass at one step, from LstmCell's gates, c_prev and tanh_c: dh = dL/dh_t and dc = dL/dc_t from the
// steps after (0 at the last), (N, units). Writes dgates (N, 4 units), the gradient of the gates'
// pre-activations, and updates dc in place to dL/dc_{t-1}: dc_t = dc + dh o (1 - tanh_c^2); dc_prev = dc_t f.
struct LstmCellGrad {
  Tensor gates, c_prev, tanh_c, dh, dc, dgates;
};

// One time step of a GRU cell (PyTorch's GRU, Keras's with reset_after, gates in the order r, z, n), over N rows.
// input_part = x W_ih^T + b_ih and hidden_part = h_prev W_hh^T + b_hh, (N, 3 units) each; gates (N, 3 units) gets
// r = sigmoid(x_r + h_r), z = sigmoid(x_z + h_z), n = tanh(x_n + r h_n), and h = (1 - z) n + z h_prev (N, units).
// gates may be input_part itself.
struct GruCell {
  Tensor input_part, hidden_part, h_prev, gates, h;
};

// Its backward pass at one step, from GruCell's gates, hidden_part and h_prev and dh = dL/dh_t: d_input (N,
// 3 units) the gradient of input_part, d_hidden that of hidden_part (the same but for n's block, scaled by r), and
// dh_prev (N, units) the part of dL/dh_{t-1} that does not pass through hidden_part, dh z.
struct GruCellGrad {
  Tensor gates, hidden_part, h_prev, dh, d_input, d_hidden, dh_prev;
};

// y = max(0, x) + alpha * min(0, x). x, y: (N, C, ...); alpha: (1) or (C), one slope per channel (dim 1).
struct Prelu {
  Tensor x, alpha, y;
};

// dx = dy * (x > 0 ? 1 : alpha); dalpha = sum of dy * min(0, x) over everything but the channel.
struct PreluGrad {
  Tensor x, alpha, dy, dx, dalpha;
};

// Maxout: y[i, u] = max_k x[i, u * pieces + k]; argmax (int32, like y) records the winning piece.
// x: (N, U * pieces); y, argmax: (N, U).
struct MaxGroups {
  Tensor x, y, argmax;
  std::int64_t pieces = 2;
};

// dx[i, u * pieces + k] = dy[i, u] if k is the recorded winner, else 0.
struct MaxGroupsGrad {
  Tensor dy, argmax, dx;
  std::int64_t pieces = 2;
};

// Rows of a table picked by index, as torch.nn.functional.embedding: out[i, :] = table[index[i], :]. table: (R, D);
// index: M whole numbers in [0, R), in table's dtype (a model's inputs are floating point); out: M * D elements.
// An index that is not such a number is an error naming the op.
struct GatherRows {
  Tensor table, index, out;
};

// The gradient of GatherRows: table_grad = 0, then table_grad[index[i], :] += grad[i, :] for every i whose index is
// not `skip` (an embedding's padding_idx, whose row gets no gradient; -1: none). Shapes as GatherRows'.
struct ScatterAddRows {
  Tensor grad, index, table_grad;
  std::int64_t skip = -1;
};

// out = a * b, element-wise (same element count).
struct Multiply {
  Tensor a, b, out;
};

// y = dropout(x). mask receives the multiplicative factor per element (the backward pass is dy * mask). The
// random numbers are a pure function of (seed, element index), so every backend draws the same mask.
struct Dropout {
  Tensor x, y, mask;
  DropoutKind kind = DropoutKind::Inverted;
  double rate = 0.5;
  std::uint64_t seed = 0;
  std::uint64_t first = 0;  // element i draws with counter first + i (x is a slice of a larger batch)
};

// Batch normalisation in training mode over every axis but the channel (dim 1): x is (N, C) or (N, C, H, W).
// Uses the batch mean and biased variance; y = gamma (x - mean) * invstd + beta with invstd = 1 / sqrt(var + eps).
// Saves mean and invstd (C) for the backward pass, and updates running_mean and running_var (C) as PyTorch:
// running = (1 - momentum) running + momentum batch, with the unbiased variance. With training false it
// normalises with the running statistics (and saves those as mean and invstd). y = f(that) where an epilogue
// function is given (as op::Gemm's: a batch norm and the ReLU after it, in one pass).
struct BatchNorm {
  Tensor x, gamma, beta, y, mean, invstd, running_mean, running_var;
  double momentum = 0.1, eps = 1e-5;
  bool training = true;
  Pointwise epilogue = Pointwise::Identity;
  double epilogue_alpha = kFunctionDefault;
};

// The backward pass of BatchNorm: dgamma = sum dy * xhat, dbeta = sum dy (per channel), and dx, through the
// batch statistics in training mode or through the fixed affine map of the running statistics otherwise. Where
// x = f(z) is the output of an activation the layer before applied, input_activation = f takes dx on through f'
// to dL/dz, as op::ActivationGrad with both its x and y given as this op's x (ReLU: dx where x > 0, else 0).
struct BatchNormGrad {
  Tensor x, gamma, dy, mean, invstd, dx, dgamma, dbeta;
  bool training = true;
  Pointwise input_activation = Pointwise::Identity;
};

// A weight penalty: out (1) = scale * (l1 sum|w| + l2 / 2 sum w^2), and grad += scale * (l1 sign(w) + l2 w).
// L2 with l2 = lambda is PyTorch's weight_decay lambda (and Keras' l2(k) with lambda = 2k).
struct Penalty {
  Tensor w, grad, out;
  double l1 = 0.0, l2 = 0.0, scale = 1.0;
};

// Rescales each row of w (a unit's incoming weights, for a [out, in] weight) to norm min(norm, max_norm), or
// to exactly 1 when unit_norm. Rows of zeros stay zeros.
struct RowNormConstraint {
  Tensor w;
  double max_norm = 1.0;
  bool unit_norm = false;
};

// x = clamp(x, min, max), element-wise, in place.
struct Clamp {
  Tensor x;
  double min = 0.0, max = 0.0;
};

// out (1) = sum of x^2 (accumulated in double).
struct SumSquares {
  Tensor x, out;
};

// Clipping by a global norm, as torch.nn.utils.clip_grad_norm_: norm = sqrt(sum of squares), squares holding
// partial sums of squares (one per tensor, as SumSquares writes them); when norm > max_norm, x is scaled by
// max_norm / (norm + 1e-6), in place. The norm stays on the backend: a step that clips reads nothing back.
struct ClipToNorm {
  Tensor x, squares;
  double max_norm = 1.0;
};

// x += std * N(0, 1), the normals drawn from (seed, element index) as for Dropout.
struct AddNoise {
  Tensor x;
  double std = 0.0;
  std::uint64_t seed = 0;
};

// 2-D convolution (cross-correlation, as torch.nn.Conv2d). x: (N, C, H, W); w: (F, C / groups, KH, KW); bias: (F)
// or undefined; y: (N, F, OH, OW) with OH, OW from the window. y = f(conv + bias) where an epilogue function is given
// (as op::Gemm's: a convolution and the ReLU after it, in one output pass). With groups G (dividing C and F), the
// channels split into G groups and filters [g F/G, (g+1) F/G) read only input channels [g C/G, (g+1) C/G), as
// PyTorch's groups=; G = C is a depthwise convolution.
struct Conv2d {
  Tensor x, w, bias, y;
  Window2d window;
  Pointwise epilogue = Pointwise::Identity;
  double epilogue_alpha = kFunctionDefault;
  std::int64_t groups = 1;
};

// Its backward pass: dw, dbias and dx, each where defined (dbias only beside dw). dx alone is the transposed
// convolution of dy, which reads x for its shape only (x may be dx itself).
struct Conv2dGrad {
  Tensor x, w, dy, dx, dw, dbias;
  Window2d window;
  std::int64_t groups = 1;
};

// 2-D pooling per channel. x: (N, C, H, W); y: (N, C, OH, OW). Max records the flat index (within its (H, W)
// plane) of each window's maximum in argmax (int32, like y; undefined for Average). Average divides by the whole
// window, padding included (PyTorch's count_include_pad).
struct Pool2d {
  Tensor x, y, argmax;
  PoolKind kind = PoolKind::Max;
  Window2d window;
};

// Its backward pass: dx = zeros, then each dy routed to the recorded maximum, or spread over its window. Where x
// = relu(z) is the output of a ReLU the layer before applied, input_activation = Pointwise::Relu (max pooling
// only) takes dx on to dL/dz: relu'(z) at a window's maximum is read from y, the pooling's output (1 where y > 0,
// else 0), so a maximum of 0 routes nothing. y is read only then.
struct Pool2dGrad {
  Tensor dy, argmax, dx;
  PoolKind kind = PoolKind::Max;
  Window2d window;
  Pointwise input_activation = Pointwise::Identity;
  Tensor y;
};

// A row loss (see ClassLossFn). loss: (1) = the mean over the batch; dscores (optional) = its gradient.
// margin is the hinge margin, or the clamp eps of CrossEntropyOfProbabilities; mean_over_classes divides a
// hinge by C as PyTorch does (false: the Weston-Watkins sum). label_smoothing ε (SoftmaxCrossEntropy, as PyTorch's):
// the target puts 1 - ε on the label and ε / C on every class, so the loss is logsumexp(z) - (1 - ε) z_y - ε mean_j z_j.
// class_weights (optional, (C), the scores' dtype) weigh each row as PyTorch's weight= does per sample: the row's
// loss times w_y, and under label smoothing each class's share of the target times its own w_j, so the row's loss is
// (1 - ε) w_y (lse - z_y) + (ε / C) sum_j w_j (lse - z_j). The batch's loss stays the mean over its N rows (Keras's
// class_weight; PyTorch's "mean" divides by sum_i w_y_i instead), so that it stays a sum over samples.
struct ClassLoss {
  Tensor scores, labels, loss, dscores;
  ClassLossFn fn = ClassLossFn::SoftmaxCrossEntropy;
  double margin = 1.0;
  bool mean_over_classes = true;
  double label_smoothing = 0.0;
  Tensor class_weights;
};

// An element-wise loss (see ElementwiseLossFn). loss: (1) = the mean over every element; dpred (optional).
// pos_weight (optional, BceWithLogits only, K values in the pred's dtype, K dividing its size: one per output of a
// sample) weighs the positive term as PyTorch's pos_weight: element i's loss is -[w t log sigmoid(z) + (1 - t)
// log(1 - sigmoid(z))] with w = pos_weight[i mod K].
struct ElementwiseLoss {
  Tensor pred, target, loss, dpred;
  ElementwiseLossFn fn = ElementwiseLossFn::SquaredError;
  double param = 1.0;
  Tensor pos_weight;
};

// out: (1) = number of rows i whose arg-max of scores[i, :] equals labels[i]. scores: (N, C); labels: int32 (N).
struct CountCorrect {
  Tensor scores, labels, out;
};

// One fused SGD step over a parameter tensor, exactly as torch.optim.SGD:
//   g = grad + weight_decay * param
//   if momentum != 0: velocity = first_step ? g : momentum * velocity + (1 - dampening) * g
//                     g = nesterov ? g + momentum * velocity : velocity
//   param -= lr * g
// velocity may be undefined when momentum == 0.
struct SgdStep {
  Tensor param, grad, velocity;
  double lr = 0.0, momentum = 0.0, dampening = 0.0, weight_decay = 0.0;
  bool nesterov = false, first_step = true;
};

// One fused Adam / AdamW step over a parameter tensor, exactly as torch.optim.Adam and AdamW (step >= 1):
//   Adam:  g = grad + weight_decay * param;   AdamW: param *= 1 - lr * weight_decay; g = grad
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;  (amsgrad: v_max = max(v_max, v), used for v)
//   param -= lr / (1 - beta1^step) * m / (sqrt(v / (1 - beta2^step)) + eps)
// v_max may be undefined unless amsgrad.
struct AdamStep {
  Tensor param, grad, m, v, v_max;
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
  std::int64_t step = 1;
  bool amsgrad = false, decoupled_weight_decay = false;
};

// One fused AdaGrad step, exactly as torch.optim.Adagrad (step >= 1):
//   g = grad + weight_decay * param;  sum += g^2;  param -= lr / (1 + (step - 1) lr_decay) * g / (sqrt(sum) + eps)
struct AdagradStep {
  Tensor param, grad, sum;
  double lr = 1e-2, lr_decay = 0.0, eps = 1e-10, weight_decay = 0.0;
  std::int64_t step = 1;
};

// One fused RMSProp step, exactly as torch.optim.RMSprop:
//   g = grad + weight_decay * param;  square_avg = alpha square_avg + (1 - alpha) g^2
//   centered: grad_avg = alpha grad_avg + (1 - alpha) g;  denom = sqrt(square_avg - grad_avg^2) + eps
//   else denom = sqrt(square_avg) + eps
//   momentum > 0: buf = momentum buf + g / denom; param -= lr buf.   Otherwise param -= lr g / denom.
// grad_avg is undefined unless centered, buf unless momentum > 0.
struct RmspropStep {
  Tensor param, grad, square_avg, grad_avg, buf;
  double lr = 1e-2, alpha = 0.99, eps = 1e-8, weight_decay = 0.0, momentum = 0.0;
  bool centered = false;
};

// One fused AdaDelta step, exactly as torch.optim.Adadelta:
//   g = grad + weight_decay * param;  square_avg = rho square_avg + (1 - rho) g^2
//   delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g;  acc_delta = rho acc_delta + (1 - rho) delta^2
//   param -= lr delta
struct AdadeltaStep {
  Tensor param, grad, square_avg, acc_delta;
  double lr = 1.0, rho = 0.9, eps = 1e-6, weight_decay = 0.0;
};

// An op a plugin defines (custom_op.hpp), as BoundOp issues it: the native kernel chosen for this backend's type and
// dtype when the op was bound, its tensors in the order of its definition, and its attributes (every one, in the
// definition's order). A backend runs it by calling kernel->run with its own native stream.
struct Custom {
  const OpKernel* kernel = nullptr;
  std::vector<Tensor> inputs, outputs;
  std::vector<OpAttributeValue> attributes;
};

}  // namespace nnplug::op

namespace nnplug {

using Op = std::variant<op::Fill, op::Copy, op::CopyColumns, op::Permute, op::Axpby, op::Gemm, op::AddRowVector, op::SumRows, op::Activation,
                        op::ActivationGrad, op::Softmax, op::SoftmaxGrad, op::LstmCell, op::LstmCellGrad, op::GruCell, op::GruCellGrad, op::Prelu, op::PreluGrad, op::MaxGroups,
                        op::MaxGroupsGrad, op::GatherRows, op::ScatterAddRows, op::Multiply, op::Dropout, op::BatchNorm,
                        op::BatchNormGrad, op::Penalty, op::RowNormConstraint, op::Clamp, op::SumSquares, op::ClipToNorm,
                        op::AddNoise, op::Conv2d, op::Conv2dGrad, op::Pool2d, op::Pool2dGrad, op::ClassLoss, op::ElementwiseLoss,
                        op::CountCorrect, op::SgdStep, op::AdamStep, op::AdagradStep, op::RmspropStep, op::AdadeltaStep,
                        op::Custom>;

// The op's name, for error messages ("gemm", "adam_step", ...).
inline const char* op_name(const Op& op) {
  static constexpr const char* names[] = {
      "fill", "copy", "copy_columns", "permute", "axpby", "gemm", "add_row_vector", "sum_rows", "activation", "activation_grad", "softmax",
      "softmax_grad", "lstm_cell", "lstm_cell_grad", "gru_cell", "gru_cell_grad", "prelu", "prelu_grad", "max_groups", "max_groups_grad", "gather_rows", "scatter_add_rows", "multiply",
      "dropout", "batch_norm", "batch_norm_grad", "penalty", "row_norm_constraint", "clamp", "sum_squares", "clip_to_norm",
      "add_noise", "conv2d", "conv2d_grad", "pool2d", "pool2d_grad", "class_loss", "elementwise_loss", "count_correct",
      "sgd_step", "adam_step", "adagrad_step", "rmsprop_step", "adadelta_step", "custom"};
  static_assert(std::size(names) == std::variant_size_v<Op>);
  return names[op.index()];
}

}  // namespace nnplug
