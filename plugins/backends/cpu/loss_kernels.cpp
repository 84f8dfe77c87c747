// Losses and the accuracy count. Sums over the batch are taken in double whatever the dtype.
#include <algorithm>
#include <cmath>

#include "kernels.hpp"

namespace nnplug::cpu {

namespace {
void require_labels(const Tensor& scores, const Tensor& labels, const char* op) {
  require(scores.rank() == 2, op, "needs (N, C) scores, got " + scores.shape().str());
  require(labels.dtype() == DType::Int32 && labels.numel() == scores.dim(0), op,
          "labels must be int32 (N) with N = " + std::to_string(scores.dim(0)) + ", got " + labels.describe());
}
}  // namespace

void run_kernel(const op::SoftmaxCrossEntropy& o) {
  require_labels(o.logits, o.labels, "softmax_cross_entropy");
  if (o.dlogits.defined()) require_same_count(o.logits, o.dlogits, "softmax_cross_entropy");
  with_float_type(o.logits, "softmax_cross_entropy", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t rows = o.logits.dim(0), cols = o.logits.dim(1);
    const T* z = o.logits.data<T>();
    const std::int32_t* label = o.labels.data<std::int32_t>();
    T* dz = o.dlogits.defined() ? o.dlogits.data<T>() : nullptr;
    const T inv_n = T(1) / static_cast<T>(rows);
    double total = 0.0;
    bool bad_label = false;
#pragma omp parallel for schedule(static) reduction(+ : total) reduction(|| : bad_label) if (rows * cols > kParallelThreshold)
    for (std::int64_t i = 0; i < rows; ++i) {
      const T* zi = z + i * cols;
      const std::int32_t y = label[i];
      if (y < 0 || y >= cols) {
        bad_label = true;
        continue;
      }
      const T max = *std::max_element(zi, zi + cols);
      T sum = 0;
      for (std::int64_t j = 0; j < cols; ++j) sum += std::exp(zi[j] - max);
      const T log_sum = std::log(sum);
      total += static_cast<double>(log_sum + max - zi[y]);
      if (dz) {
        const T scale = inv_n / sum;
        for (std::int64_t j = 0; j < cols; ++j) dz[i * cols + j] = std::exp(zi[j] - max) * scale;
        dz[i * cols + y] -= inv_n;
      }
    }
    require(!bad_label, "softmax_cross_entropy", "a label is outside [0, " + std::to_string(cols) + ")");
    *o.loss.data<T>() = static_cast<T>(total / static_cast<double>(rows));
  });
}

void run_kernel(const op::MeanSquaredError& o) {
  require_same_count(o.pred, o.target, "mean_squared_error");
  if (o.dpred.defined()) require_same_count(o.pred, o.dpred, "mean_squared_error");
  with_float_type(o.pred, "mean_squared_error", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.pred.numel();
    const T* p = o.pred.data<T>();
    const T* t = o.target.data<T>();
    T* dp = o.dpred.defined() ? o.dpred.data<T>() : nullptr;
    const T scale = T(2) / static_cast<T>(n);
    double total = 0.0;
#pragma omp parallel for simd schedule(static) reduction(+ : total) if (n > kParallelThreshold)
    for (std::int64_t i = 0; i < n; ++i) {
      const T d = p[i] - t[i];
      total += static_cast<double>(d * d);
      if (dp) dp[i] = scale * d;
    }
    *o.loss.data<T>() = static_cast<T>(total / static_cast<double>(n));
  });
}

void run_kernel(const op::CountCorrect& o) {
  require_labels(o.scores, o.labels, "count_correct");
  with_float_type(o.scores, "count_correct", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t rows = o.scores.dim(0), cols = o.scores.dim(1);
    const T* s = o.scores.data<T>();
    const std::int32_t* label = o.labels.data<std::int32_t>();
    std::int64_t correct = 0;
    for (std::int64_t i = 0; i < rows; ++i)
      correct += (std::max_element(s + i * cols, s + (i + 1) * cols) - (s + i * cols)) == label[i];
    with_float_type(o.out, "count_correct", [&](auto out_tag) {
      using U = decltype(out_tag);
      *o.out.data<U>() = static_cast<U>(correct);
    });
  });
}

}  // namespace nnplug::cpu
