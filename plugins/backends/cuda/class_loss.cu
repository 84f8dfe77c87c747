// Row losses of class scores against int32 labels, and the count of correct arg-maxes. One thread per row; the
// batch total is accumulated in double. A label out of range sets a bit in the device's error word, which the
// backend turns into an error naming this op at its next synchronisation (the host never sees labels here).
#include "grid_loop.cuh"
#include "reduce.cuh"

namespace nnplug::cuda {

namespace {

struct ClassLossSettings {
  ClassLossFn fn;
  double margin;
  bool mean_over_classes;
  double label_smoothing;
};

// One row's loss, unweighted but for softmax cross-entropy (w: the class weights, null for all 1); writes the row's
// gradient scaled by inv_n when g is not null.
template <typename T>
__device__ double row_loss(const ClassLossSettings& o, const T* z, std::int64_t cols, std::int32_t y, const T* w, T* g, T inv_n) {
  switch (o.fn) {
    case ClassLossFn::SoftmaxCrossEntropy: {
      T max = z[0];
      for (std::int64_t j = 1; j < cols; ++j) max = z[j] > max ? z[j] : max;
      // The target: 1 - smoothing on the label, smoothing / C on every class, each class's part weighed by its w_j.
      const T spread = static_cast<T>(o.label_smoothing) / static_cast<T>(cols), on_label = T(1) - static_cast<T>(o.label_smoothing);
      T sum = 0, scores = 0, weight_sum = 0;
      for (std::int64_t j = 0; j < cols; ++j) {
        const T wj = w ? w[j] : T(1);
        sum += exp(z[j] - max), scores += wj * z[j], weight_sum += wj;
      }
      const T on_label_weight = on_label * (w ? w[y] : T(1)), lse_weight = on_label_weight + spread * weight_sum;
      if (g)
        for (std::int64_t j = 0; j < cols; ++j)
          g[j] = (lse_weight * exp(z[j] - max) / sum - spread * (w ? w[j] : T(1)) - (j == y ? on_label_weight : T(0))) * inv_n;
      return static_cast<double>(lse_weight * (log(sum) + max) - on_label_weight * z[y] - spread * scores);
    }
    case ClassLossFn::CrossEntropyOfProbabilities: {
      // Probabilities below eps are clamped (and get no gradient) so that log(0) never appears.
      const T eps = static_cast<T>(o.margin);
      const T p = z[y] > eps ? z[y] : eps;
      if (g)
        for (std::int64_t j = 0; j < cols; ++j) g[j] = j == y && z[y] > eps ? T(-1) / p * inv_n : T(0);
      return -log(static_cast<double>(p));
    }
    case ClassLossFn::Hinge:
    case ClassLossFn::SquaredHinge: {
      const bool squared = o.fn == ClassLossFn::SquaredHinge;
      const T scale = o.mean_over_classes ? T(1) / static_cast<T>(cols) : T(1);
      const T margin = static_cast<T>(o.margin);
      double loss = 0;
      T gy = 0;
      for (std::int64_t j = 0; j < cols; ++j) {
        if (g && j != y) g[j] = 0;
        if (j == y) continue;
        const T m = margin - z[y] + z[j];
        if (m <= T(0)) continue;
        loss += static_cast<double>(scale * (squared ? m * m : m));
        const T d = scale * (squared ? T(2) * m : T(1));
        if (g) g[j] = d * inv_n;
        gy -= d;
      }
      if (g) g[y] = gy * inv_n;
      return loss;
    }
  }
  return 0;
}

template <typename T>
__global__ void class_loss_kernel(const T* z, const std::int32_t* labels, const T* w, T* g, std::int64_t rows, std::int64_t cols,
                                  ClassLossSettings settings, double* acc, unsigned* error_word) {
  const T inv_n = T(1) / static_cast<T>(rows);
  double total = 0;
  NNPLUG_GRID_LOOP(i, rows) {
    if (labels[i] < 0 || labels[i] >= cols) {
      atomicOr(error_word, kLabelOutOfRange);
      continue;
    }
    // Softmax cross-entropy weighs its own terms; the other losses are the row's loss times its label's weight.
    const bool own_weights = settings.fn == ClassLossFn::SoftmaxCrossEntropy;
    const T weight = w && !own_weights ? w[labels[i]] : T(1);
    total += static_cast<double>(weight) * row_loss<T>(settings, z + i * cols, cols, labels[i], w, g ? g + i * cols : nullptr, weight * inv_n);
  }
  total = block_sum(total);
  if (threadIdx.x == 0) atomicAdd(acc, total);
}

template <typename T>
__global__ void count_correct_kernel(const T* s, const std::int32_t* labels, std::int64_t rows, std::int64_t cols, double* acc) {
  double correct = 0;
  NNPLUG_GRID_LOOP(i, rows) {
    std::int64_t best = 0;
    if (cols == 1) {
      best = s[i] > T(0) ? 1 : 0;  // one output column scores a binary decision: positive means class 1
    } else {
      for (std::int64_t j = 1; j < cols; ++j)
        if (s[i * cols + j] > s[i * cols + best]) best = j;
    }
    correct += best == labels[i] ? 1.0 : 0.0;
  }
  correct = block_sum(correct);
  if (threadIdx.x == 0) atomicAdd(acc, correct);
}


}  // namespace

void run_kernel(const op::ClassLoss& o, DeviceContext& ctx) {
  kChecks.class_loss(o);
  with_float_type(o.scores, "class_loss", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t rows = o.scores.dim(0), cols = o.scores.dim(1);
    double* acc = zeroed_accumulators(ctx, 1, "class_loss");
    T* g = o.dscores.defined() ? o.dscores.data<T>() : nullptr;
    const T* w = o.class_weights.defined() ? o.class_weights.data<T>() : nullptr;
    class_loss_kernel<T><<<blocks_for(rows), kThreads, 0, ctx.stream()>>>(o.scores.data<T>(), o.labels.data<std::int32_t>(), w, g, rows,
                                                                          cols, ClassLossSettings{o.fn, o.margin, o.mean_over_classes, o.label_smoothing},
                                                                          acc, ctx.error_word());
    check_launch("class_loss");
    store_scalar(acc, o.loss, 1.0 / static_cast<double>(rows), ctx, "class_loss");
  });
}

void run_kernel(const op::CountCorrect& o, DeviceContext& ctx) {
  kChecks.labels(o.scores, o.labels, "count_correct");
  with_float_type(o.scores, "count_correct", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t rows = o.scores.dim(0);
    double* acc = zeroed_accumulators(ctx, 1, "count_correct");
    count_correct_kernel<T><<<blocks_for(rows), kThreads, 0, ctx.stream()>>>(o.scores.data<T>(), o.labels.data<std::int32_t>(), rows,
                                                                              o.scores.dim(1), acc);
    check_launch("count_correct");
    store_scalar(acc, o.out, 1.0, ctx, "count_correct");
  });
}

}  // namespace nnplug::cuda
