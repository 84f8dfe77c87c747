// Losses and the accuracy count. Sums over the batch are taken in double whatever the dtype.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include <Eigen/Core>

#include <fmt/format.h>

#include "element_losses.hpp"
#include "kernels.hpp"

namespace nnplug::cpu {

namespace {

// One row's loss (not softmax cross-entropy); writes the row's gradient (not yet divided by N) when g is not null.
template <typename T>
double row_loss(const op::ClassLoss& o, const T* z, std::int64_t cols, std::int32_t y, T* g) {
  switch (o.fn) {
    case ClassLossFn::SoftmaxCrossEntropy:
      break;  // softmax_cross_entropy(), a block of rows at a time
    case ClassLossFn::CrossEntropyOfProbabilities: {
      // Probabilities below eps are clamped (and get no gradient) so that log(0) never appears.
      const T eps = static_cast<T>(o.margin);
      const T p = std::max(z[y], eps);
      if (g) {
        std::fill_n(g, cols, T(0));
        g[y] = z[y] > eps ? T(-1) / p : T(0);
      }
      return -std::log(static_cast<double>(p));
    }
    case ClassLossFn::Hinge:
    case ClassLossFn::SquaredHinge: {
      const bool squared = o.fn == ClassLossFn::SquaredHinge;
      const T scale = o.mean_over_classes ? T(1) / static_cast<T>(cols) : T(1);
      const T margin = static_cast<T>(o.margin);
      double loss = 0;
      if (g) std::fill_n(g, cols, T(0));
      for (std::int64_t j = 0; j < cols; ++j) {
        if (j == y) continue;
        const T m = margin - z[y] + z[j];
        if (m <= T(0)) continue;
        loss += static_cast<double>(scale * (squared ? m * m : m));
        if (g) {
          const T d = scale * (squared ? T(2) * m : T(1));
          g[j] += d;
          g[y] -= d;
        }
      }
      return loss;
    }
  }
  return 0;
}

// Softmax cross-entropy of rows [b, e) with label smoothing `smoothing` and class weights w (null: all 1): their loss
// summed, and their gradient divided by N (inv_n) in g when g is not null. A row's few classes leave std::exp one
// value at a time, which was most of the op's time; a block of rows at once runs in Eigen's vectorised exp (NaN
// stays NaN).
template <typename T>
double softmax_cross_entropy(const T* z, const std::int32_t* label, std::int64_t b, std::int64_t e, std::int64_t cols, T smoothing,
                             const T* w, T* g, T inv_n) {
  // The target: 1 - smoothing on the label, smoothing / C on every class, each class's part weighed by its w_j.
  // The row's loss is lse_weight * logsumexp(z) - (1 - smoothing) w_y z_y - (smoothing / C) sum_j w_j z_j.
  const T spread = smoothing / static_cast<T>(cols), on_label = T(1) - smoothing;
  const T weight_sum = w ? std::accumulate(w, w + cols, T(0)) : static_cast<T>(cols);
  const bool weighed_spread = w && smoothing != T(0);
  constexpr std::int64_t kBlock = 64;
  T max[kBlock];
  std::vector<T> scratch(g ? 0 : static_cast<std::size_t>(std::min(kBlock, e - b) * cols));
  double total = 0.0;
  for (std::int64_t i0 = b; i0 < e; i0 += kBlock) {
    const std::int64_t i1 = std::min(e, i0 + kBlock);
    T* exps = g ? g + i0 * cols : scratch.data();
    for (std::int64_t i = i0; i < i1; ++i) {
      const T* zi = z + i * cols;
      T* out = exps + (i - i0) * cols;
      max[i - i0] = *std::max_element(zi, zi + cols);
      for (std::int64_t j = 0; j < cols; ++j) out[j] = zi[j] - max[i - i0];
    }
    Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>> block(exps, (i1 - i0) * cols);
    block = block.exp();
    for (std::int64_t i = i0; i < i1; ++i) {
      T* out = exps + (i - i0) * cols;
      const T sum = std::accumulate(out, out + cols, T(0));
      const T* zi = z + i * cols;
      const T on_label_weight = on_label * (w ? w[label[i]] : T(1));
      const T lse_weight = w ? on_label_weight + spread * weight_sum : T(1);
      const T spread_scores = smoothing == T(0) ? T(0)
                              : spread * (w ? std::inner_product(zi, zi + cols, w, T(0)) : std::accumulate(zi, zi + cols, T(0)));
      total += static_cast<double>(lse_weight * (std::log(sum) + max[i - i0]) - on_label_weight * zi[label[i]] - spread_scores);
      if (!g) continue;
      const T scale = lse_weight * inv_n / sum;
      if (weighed_spread)
        for (std::int64_t j = 0; j < cols; ++j) out[j] = out[j] * scale - spread * w[j] * inv_n;
      else
        for (std::int64_t j = 0; j < cols; ++j) out[j] = out[j] * scale - spread * inv_n;
      out[label[i]] -= on_label_weight * inv_n;
    }
  }
  return total;
}

}  // namespace

using backends::element_loss;

void run_kernel(const op::ClassLoss& o) {
  kChecks.class_loss(o);
  with_float_type(o.scores, "class_loss", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t rows = o.scores.dim(0), cols = o.scores.dim(1);
    const T* z = o.scores.data<T>();
    const std::int32_t* label = o.labels.data<std::int32_t>();
    const T* w = o.class_weights.defined() ? o.class_weights.data<T>() : nullptr;
    T* g = o.dscores.defined() ? o.dscores.data<T>() : nullptr;
    const T inv_n = T(1) / static_cast<T>(rows);
    bool bad_label = false;
    for (std::int64_t i = 0; i < rows; ++i) bad_label = bad_label || label[i] < 0 || label[i] >= cols;
    require(!bad_label, "class_loss", [&] { return fmt::format("a label is outside [0, {})", cols); });
    double total = 0.0;
    if (o.fn == ClassLossFn::SoftmaxCrossEntropy) {
      // Each thread's rows summed apart, then added; a small batch runs on this thread, in no parallel region.
      std::vector<double> totals(static_cast<std::size_t>(omp_get_max_threads()), 0.0);
      parallel_chunks(rows, [&](std::int64_t b, std::int64_t e) {
        totals[static_cast<std::size_t>(omp_get_thread_num())] =
            softmax_cross_entropy<T>(z, label, b, e, cols, static_cast<T>(o.label_smoothing), w, g, inv_n);
      }, kParallelThreshold / std::max<std::int64_t>(cols, 1));
      total = std::accumulate(totals.begin(), totals.end(), 0.0);
    } else {
#pragma omp parallel for schedule(static) reduction(+ : total) if (rows * cols > kParallelThreshold)
      for (std::int64_t i = 0; i < rows; ++i) {
        T* gi = g ? g + i * cols : nullptr;
        const T weight = w ? w[label[i]] : T(1);
        total += static_cast<double>(weight) * row_loss<T>(o, z + i * cols, cols, label[i], gi);
        if (gi)
          for (std::int64_t j = 0; j < cols; ++j) gi[j] *= weight * inv_n;
      }
    }
    *o.loss.data<T>() = static_cast<T>(total / static_cast<double>(rows));
  });
}

void run_kernel(const op::ElementwiseLoss& o) {
  kChecks.elementwise_loss(o);
  with_float_type(o.pred, "elementwise_loss", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t n = o.pred.numel();
    const T* p = o.pred.data<T>();
    const T* t = o.target.data<T>();
    const T* pos_weight = o.pos_weight.defined() ? o.pos_weight.data<T>() : nullptr;
    const std::int64_t outputs = o.pos_weight.defined() ? o.pos_weight.numel() : 1;
    T* dp = o.dpred.defined() ? o.dpred.data<T>() : nullptr;
    const T inv_n = T(1) / static_cast<T>(n), param = static_cast<T>(o.param);
    double total = 0.0;
#pragma omp parallel for schedule(static) reduction(+ : total) if (n > kParallelThreshold)
    for (std::int64_t i = 0; i < n; ++i) {
      T grad = 0;
      total += element_loss<T>(o.fn, p[i], t[i], param, &grad, pos_weight ? pos_weight[i % outputs] : T(1));
      if (dp) dp[i] = grad * inv_n;
    }
    *o.loss.data<T>() = static_cast<T>(total / static_cast<double>(n));
  });
}

void run_kernel(const op::CountCorrect& o) {
  kChecks.labels(o.scores, o.labels, "count_correct");
  with_float_type(o.scores, "count_correct", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t rows = o.scores.dim(0), cols = o.scores.dim(1);
    const T* s = o.scores.data<T>();
    const std::int32_t* label = o.labels.data<std::int32_t>();
    std::int64_t correct = 0;
    if (cols == 1) {
      // One output column scores a binary decision: positive means class 1.
      for (std::int64_t i = 0; i < rows; ++i) correct += (s[i] > T(0) ? 1 : 0) == label[i];
    } else {
      for (std::int64_t i = 0; i < rows; ++i)
        correct += (std::max_element(s + i * cols, s + (i + 1) * cols) - (s + i * cols)) == label[i];
    }
    with_float_type(o.out, "count_correct", [&](auto out_tag) {
      using U = decltype(out_tag);
      *o.out.data<U>() = static_cast<U>(correct);
    });
  });
}

}  // namespace nnplug::cpu
