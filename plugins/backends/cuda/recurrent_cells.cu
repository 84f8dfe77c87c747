// The LSTM and GRU cells' steps and their backward passes (ops.hpp): one thread a (row, unit), which reads that
// unit's column in each gate's block of the row and writes its states, so that a step is one launch.
#include "grid_loop.cuh"
#include "kernels.hpp"
#include "sigmoid.cuh"

namespace nnplug::cuda {

namespace {

template <typename T>
__global__ void lstm_cell_kernel(T* gates, const T* c_prev, T* c, T* tanh_c, T* h, std::int64_t rows, std::int64_t units) {
  NNPLUG_GRID_LOOP(k, rows * units) {
    T* a = gates + k / units * 4 * units + k % units;
    const T i = sigmoid(a[0]), f = sigmoid(a[units]), g = tanh(a[2 * units]), o = sigmoid(a[3 * units]);
    a[0] = i, a[units] = f, a[2 * units] = g, a[3 * units] = o;
    const T cell = f * c_prev[k] + i * g, cell_tanh = tanh(cell);
    c[k] = cell, tanh_c[k] = cell_tanh, h[k] = o * cell_tanh;
  }
}

template <typename T>
__global__ void lstm_cell_grad_kernel(const T* gates, const T* c_prev, const T* tanh_c, const T* dh, T* dc, T* dgates,
                                      std::int64_t rows, std::int64_t units) {
  NNPLUG_GRID_LOOP(k, rows * units) {
    const std::int64_t at = k / units * 4 * units + k % units;
    const T i = gates[at], f = gates[at + units], g = gates[at + 2 * units], o = gates[at + 3 * units], t = tanh_c[k];
    const T dc_t = dc[k] + dh[k] * o * (T(1) - t * t);
    dgates[at] = dc_t * g * i * (T(1) - i);
    dgates[at + units] = dc_t * c_prev[k] * f * (T(1) - f);
    dgates[at + 2 * units] = dc_t * i * (T(1) - g * g);
    dgates[at + 3 * units] = dh[k] * t * o * (T(1) - o);
    dc[k] = dc_t * f;
  }
}

template <typename T>
__global__ void gru_cell_kernel(const T* input, const T* hidden, const T* h_prev, T* gates, T* h, std::int64_t rows, std::int64_t units) {
  NNPLUG_GRID_LOOP(k, rows * units) {
    const std::int64_t at = k / units * 3 * units + k % units;
    const T r = sigmoid(input[at] + hidden[at]), z = sigmoid(input[at + units] + hidden[at + units]);
    const T n = tanh(input[at + 2 * units] + r * hidden[at + 2 * units]);
    gates[at] = r, gates[at + units] = z, gates[at + 2 * units] = n;  // gates may be input: each thread reads first
    h[k] = n + z * (h_prev[k] - n);
  }
}

template <typename T>
__global__ void gru_cell_grad_kernel(const T* gates, const T* hidden, const T* h_prev, const T* dh, T* d_input, T* d_hidden, T* dh_prev,
                                     std::int64_t rows, std::int64_t units) {
  NNPLUG_GRID_LOOP(k, rows * units) {
    const std::int64_t at = k / units * 3 * units + k % units;
    const T r = gates[at], z = gates[at + units], n = gates[at + 2 * units];
    const T da_z = dh[k] * (h_prev[k] - n) * z * (T(1) - z), da_n = dh[k] * (T(1) - z) * (T(1) - n * n);
    const T da_r = da_n * hidden[at + 2 * units] * r * (T(1) - r);
    d_input[at] = d_hidden[at] = da_r;
    d_input[at + units] = d_hidden[at + units] = da_z;
    d_input[at + 2 * units] = da_n;
    d_hidden[at + 2 * units] = da_n * r;
    dh_prev[k] = dh[k] * z;
  }
}

}  // namespace

void run_kernel(const op::LstmCell& o, DeviceContext& ctx) {
  const auto size = kChecks.lstm_cell(o);
  with_float_type(o.gates, "lstm_cell", [&](auto tag) {
    using T = decltype(tag);
    lstm_cell_kernel<T><<<blocks_for(size.rows * size.units), kThreads, 0, ctx.stream()>>>(
        o.gates.data<T>(), o.c_prev.data<T>(), o.c.data<T>(), o.tanh_c.data<T>(), o.h.data<T>(), size.rows, size.units);
  });
  check_launch("lstm_cell");
}

void run_kernel(const op::LstmCellGrad& o, DeviceContext& ctx) {
  const auto size = kChecks.lstm_cell_grad(o);
  with_float_type(o.gates, "lstm_cell_grad", [&](auto tag) {
    using T = decltype(tag);
    lstm_cell_grad_kernel<T><<<blocks_for(size.rows * size.units), kThreads, 0, ctx.stream()>>>(
        o.gates.data<T>(), o.c_prev.data<T>(), o.tanh_c.data<T>(), o.dh.data<T>(), o.dc.data<T>(), o.dgates.data<T>(), size.rows, size.units);
  });
  check_launch("lstm_cell_grad");
}

void run_kernel(const op::GruCell& o, DeviceContext& ctx) {
  const auto size = kChecks.gru_cell(o);
  with_float_type(o.gates, "gru_cell", [&](auto tag) {
    using T = decltype(tag);
    gru_cell_kernel<T><<<blocks_for(size.rows * size.units), kThreads, 0, ctx.stream()>>>(
        o.input_part.data<T>(), o.hidden_part.data<T>(), o.h_prev.data<T>(), o.gates.data<T>(), o.h.data<T>(), size.rows, size.units);
  });
  check_launch("gru_cell");
}

void run_kernel(const op::GruCellGrad& o, DeviceContext& ctx) {
  const auto size = kChecks.gru_cell_grad(o);
  with_float_type(o.gates, "gru_cell_grad", [&](auto tag) {
    using T = decltype(tag);
    gru_cell_grad_kernel<T><<<blocks_for(size.rows * size.units), kThreads, 0, ctx.stream()>>>(
        o.gates.data<T>(), o.hidden_part.data<T>(), o.h_prev.data<T>(), o.dh.data<T>(), o.d_input.data<T>(), o.d_hidden.data<T>(),
        o.dh_prev.data<T>(), size.rows, size.units);
  });
  check_launch("gru_cell_grad");
}

}  // namespace nnplug::cuda
