#pragma once
// The ops a backend runs. An op is a plain struct of tensors and attributes; `Op` is the variant of all of them.
// Adding an op means adding a struct here, a reference implementation in the CPU backend and conformance cases,
// never a new virtual method on Backend. Every op requires its tensors to live on the backend that runs it, to
// share one floating dtype (labels are int32) and to be contiguous. Shapes are stated per op; N = batch rows.
#include <cstdint>
#include <iterator>
#include <variant>

#include "nnplug/tensor.hpp"

namespace nnplug {

// The element-wise functions a backend knows natively. A custom activation built from other ops works
// everywhere; these exist so that the common ones run as one fused pass.
enum class Pointwise : std::uint8_t { Identity, Relu, Sigmoid, Tanh };

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

// y = alpha * x + beta * y, element-wise (same element count).
struct Axpby {
  Tensor x, y;
  double alpha = 1.0, beta = 0.0;
};

// c = alpha * op(a) @ op(b) + beta * c, where op transposes when asked. a, b, c are 2-D.
// With beta == 0, c's previous contents are ignored (NaN in c does not propagate).
struct Gemm {
  Tensor a, b, c;
  bool trans_a = false, trans_b = false;
  double alpha = 1.0, beta = 0.0;
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
};

// dx = f'(x) * dy, element-wise, using x or y = f(x) whichever is cheaper. relu'(0) = 0.
struct ActivationGrad {
  Tensor x, y, dy, dx;
  Pointwise fn = Pointwise::Identity;
};

// y = softmax(x) over each row, computed as exp(x - max) / sum so that it never overflows. x, y: (N, C).
struct Softmax {
  Tensor x, y;
};

// dx[i, :] = y[i, :] * (dy[i, :] - <dy[i, :], y[i, :]>), the backward pass of a row softmax.
struct SoftmaxGrad {
  Tensor y, dy, dx;
};

// Fused, stable softmax cross-entropy from logits. logits: (N, C); labels: int32 (N) in [0, C).
// loss: (1) = mean_i (logsumexp(logits_i) - logits_i[label_i]).
// dlogits (optional, may be undefined): (N, C) = (softmax(logits) - onehot(labels)) / N.
struct SoftmaxCrossEntropy {
  Tensor logits, labels, loss, dlogits;
};

// Mean squared error with mean reduction over every element, as PyTorch's MSELoss.
// pred, target: same shape; loss: (1) = mean((pred - target)^2); dpred (optional) = 2 (pred - target) / numel.
struct MeanSquaredError {
  Tensor pred, target, loss, dpred;
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

}  // namespace nnplug::op

namespace nnplug {

using Op = std::variant<op::Fill, op::Copy, op::Axpby, op::Gemm, op::AddRowVector, op::SumRows, op::Activation,
                        op::ActivationGrad, op::Softmax, op::SoftmaxGrad, op::SoftmaxCrossEntropy,
                        op::MeanSquaredError, op::CountCorrect, op::SgdStep, op::AdamStep>;

// The op's name, for error messages ("gemm", "adam_step", ...).
inline const char* op_name(const Op& op) {
  static constexpr const char* names[] = {
      "fill",    "copy",         "axpby",                 "gemm",               "add_row_vector",
      "sum_rows", "activation",  "activation_grad",       "softmax",            "softmax_grad",
      "softmax_cross_entropy",   "mean_squared_error",    "count_correct",      "sgd_step", "adam_step"};
  static_assert(std::size(names) == std::variant_size_v<Op>);
  return names[op.index()];
}

}  // namespace nnplug
