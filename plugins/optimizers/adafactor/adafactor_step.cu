// Adafactor's ops on the GPU. The factored update takes three kernels in turn: a block a row sums its squares, a
// thread a column sums its squares (neighbouring threads reading neighbouring elements), and a block a row takes the
// mean of its matrix's row means, then writes the row's updates. The rest is one thread an element.
#include "../../shared/cuda_launch.cuh"
#include "adafactor_step_cuda.hpp"

namespace nnplug::optimizers {

namespace {

using cuda_kernels::kThreads;

// The sum over the block of each thread's `value`, in every thread (kThreads threads, a power of 2).
__device__ double block_sum(double value) {
  __shared__ double partial[kThreads];
  partial[threadIdx.x] = value;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (static_cast<int>(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    __syncthreads();
  }
  const double sum = partial[0];
  __syncthreads();  // before a later call overwrites partial
  return sum;
}

// Block (b, r): row r of matrix b.
template <typename T>
__global__ void row_means(AdafactorMoment moment, const T* grad, T* row_var, std::int64_t cols) {
  const std::int64_t row = blockIdx.x;
  const T* g = grad + row * cols;
  double squares = 0;
  for (std::int64_t c = threadIdx.x; c < cols; c += kThreads) squares += static_cast<double>(g[c]) * static_cast<double>(g[c]);
  squares = block_sum(squares);
  if (threadIdx.x == 0) row_var[row] = static_cast<T>(moment.average(static_cast<double>(row_var[row]), squares / static_cast<double>(cols)));
}

// Thread (b, c): column c of matrix b.
template <typename T>
__global__ void col_means(AdafactorMoment moment, const T* grad, T* col_var, Factoring f) {
  NNPLUG_GRID_STRIDE(i, f.batches * f.cols) {
    const std::int64_t b = i / f.cols, c = i % f.cols;
    const T* g = grad + b * f.rows * f.cols + c;
    double squares = 0;
    for (std::int64_t r = 0; r < f.rows; ++r) squares += static_cast<double>(g[r * f.cols]) * static_cast<double>(g[r * f.cols]);
    col_var[i] = static_cast<T>(moment.average(static_cast<double>(col_var[i]), squares / static_cast<double>(f.rows)));
  }
}

// Block (b, r): the mean of matrix b's row means, then row r's updates.
template <typename T>
__global__ void factored_updates(AdafactorMoment moment, const T* grad, const T* row_var, const T* col_var, T* update, Factoring f) {
  const std::int64_t row = blockIdx.x, b = row / f.rows;
  double rows = 0;
  for (std::int64_t r = threadIdx.x; r < f.rows; r += kThreads) rows += static_cast<double>(row_var[b * f.rows + r]);
  const double share = moment.row_share(static_cast<double>(row_var[row]), block_sum(rows) / static_cast<double>(f.rows));
  for (std::int64_t c = threadIdx.x; c < f.cols; c += kThreads)
    update[row * f.cols + c] =
        static_cast<T>(moment.scaled(static_cast<double>(grad[row * f.cols + c]), share * static_cast<double>(col_var[b * f.cols + c])));
}

template <typename T>
__global__ void variance_updates(AdafactorMoment moment, const T* grad, T* variance, T* update, std::int64_t n) {
  NNPLUG_GRID_STRIDE(i, n) {
    const double g = static_cast<double>(grad[i]);
    variance[i] = static_cast<T>(moment.average(static_cast<double>(variance[i]), g * g));
    update[i] = static_cast<T>(moment.scaled(g, static_cast<double>(variance[i])));
  }
}

// Every thread reads the two sums: the scale never leaves the device, so a recorded step replays it.
template <typename T>
__global__ void step_elements(AdafactorStep step, const T* update, const T* squares, T* param, std::int64_t n) {
  const double scale = step.scale(static_cast<double>(squares[0]), static_cast<double>(squares[1]), static_cast<double>(n));
  NNPLUG_GRID_STRIDE(i, n) step.apply(scale, static_cast<double>(update[i]), param[i]);
}

}  // namespace

template <typename T>
void adafactor_factored_update_cuda(const AdafactorMoment& moment, const T* grad, T* row_var, T* col_var, T* update, const Factoring& f,
                                    void* stream) {
  using namespace cuda_kernels;
  const std::int64_t rows = f.batches * f.rows;
  if (rows == 0 || f.cols == 0) return;
  if (rows > 2147483647) throw std::runtime_error("adafactor_factored_update: more than 2^31 - 1 rows for one grid");
  const auto s = static_cast<cudaStream_t>(stream);
  row_means<T><<<static_cast<unsigned>(rows), kThreads, 0, s>>>(moment, grad, row_var, f.cols);
  check(cudaGetLastError(), "adafactor_factored_update: row launch failed");
  col_means<T><<<blocks_for(f.batches * f.cols), kThreads, 0, s>>>(moment, grad, col_var, f);
  check(cudaGetLastError(), "adafactor_factored_update: column launch failed");
  factored_updates<T><<<static_cast<unsigned>(rows), kThreads, 0, s>>>(moment, grad, row_var, col_var, update, f);
  check(cudaGetLastError(), "adafactor_factored_update: update launch failed");
}

template <typename T>
void adafactor_variance_update_cuda(const AdafactorMoment& moment, const T* grad, T* variance, T* update, std::int64_t n, void* stream) {
  using namespace cuda_kernels;
  if (n == 0) return;
  variance_updates<T><<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(moment, grad, variance, update, n);
  check(cudaGetLastError(), "adafactor_variance_update: launch failed");
}

template <typename T>
void adafactor_step_cuda(const AdafactorStep& step, const T* update, const T* squares, T* param, std::int64_t n, void* stream) {
  using namespace cuda_kernels;
  if (n == 0) return;
  step_elements<T><<<blocks_for(n), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(step, update, squares, param, n);
  check(cudaGetLastError(), "adafactor_step: launch failed");
}

template void adafactor_factored_update_cuda<float>(const AdafactorMoment&, const float*, float*, float*, float*, const Factoring&, void*);
template void adafactor_factored_update_cuda<double>(const AdafactorMoment&, const double*, double*, double*, double*, const Factoring&, void*);
template void adafactor_variance_update_cuda<float>(const AdafactorMoment&, const float*, float*, float*, std::int64_t, void*);
template void adafactor_variance_update_cuda<double>(const AdafactorMoment&, const double*, double*, double*, std::int64_t, void*);
template void adafactor_step_cuda<float>(const AdafactorStep&, const float*, const float*, float*, std::int64_t, void*);
template void adafactor_step_cuda<double>(const AdafactorStep&, const double*, const double*, double*, std::int64_t, void*);

}  // namespace nnplug::optimizers
