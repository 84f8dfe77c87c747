// The LSTM and GRU cells' steps (ops.hpp), row by row: each row's gates are column blocks of one (N, G units)
// matrix, so a step is one product with h and one pass here. Each unit's gates and states go through the fixed-size
// blocks of vector_activations.hpp, so that a unit's values do not depend on where its row lies. Rows are split
// between threads where a step is large enough.
#include "kernels.hpp"
#include "vector_activations.hpp"

namespace nnplug::cpu {

namespace {

using vector_activations::Block;
using vector_activations::kBlock;
using vector_activations::load;
using vector_activations::sigmoid;
using vector_activations::store;
using vector_activations::tanh;

// f(row, first unit, units in the block) for every row and block of units, on the threads where the step's gates
// are many.
template <typename F>
void each_block(const backends::OpChecks::CellSize& size, std::int64_t gates, F&& f) {
#pragma omp parallel for schedule(static) if (size.rows * size.units * gates > kParallelThreshold)
  for (std::int64_t r = 0; r < size.rows; ++r)
    for (std::int64_t u = 0; u < size.units; u += kBlock) f(r, u, std::min(kBlock, size.units - u));
}

}  // namespace

void run_kernel(const op::LstmCell& o) {
  const auto size = kChecks.lstm_cell(o);
  kChecks.with_float_type(o.gates, "lstm_cell", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t units = size.units;
    T* gates = o.gates.data<T>();
    const T* c_prev = o.c_prev.data<T>();
    T *c = o.c.data<T>(), *tanh_c = o.tanh_c.data<T>(), *h = o.h.data<T>();
    each_block(size, 4, [=](std::int64_t r, std::int64_t u, std::int64_t m) {
      T* a = gates + r * 4 * units + u;  // unit u's i; f, g and o a block of units further each
      const std::int64_t at = r * units + u;
      const Block<T> i = sigmoid(load(a, m)), f = sigmoid(load(a + units, m)), g = tanh(load(a + 2 * units, m)),
                     out = sigmoid(load(a + 3 * units, m));
      const Block<T> cell = f * load(c_prev + at, m) + i * g, cell_tanh = tanh(cell);
      store(i, a, m), store(f, a + units, m), store(g, a + 2 * units, m), store(out, a + 3 * units, m);
      store(cell, c + at, m), store(cell_tanh, tanh_c + at, m), store<T>(out * cell_tanh, h + at, m);
    });
  });
}

void run_kernel(const op::LstmCellGrad& o) {
  const auto size = kChecks.lstm_cell_grad(o);
  kChecks.with_float_type(o.gates, "lstm_cell_grad", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t units = size.units;
    const T *gates = o.gates.data<T>(), *c_prev = o.c_prev.data<T>(), *tanh_c = o.tanh_c.data<T>(), *dh_data = o.dh.data<T>();
    T *dc_data = o.dc.data<T>(), *dgates = o.dgates.data<T>();
    each_block(size, 4, [=](std::int64_t r, std::int64_t u, std::int64_t m) {
      const T* a = gates + r * 4 * units + u;
      T* d = dgates + r * 4 * units + u;
      const std::int64_t at = r * units + u;
      const Block<T> i = load(a, m), f = load(a + units, m), g = load(a + 2 * units, m), out = load(a + 3 * units, m);
      const Block<T> cell_tanh = load(tanh_c + at, m), dh = load(dh_data + at, m);
      const Block<T> dc = load(dc_data + at, m) + dh * out * (T(1) - cell_tanh.square());
      store<T>(dc * g * i * (T(1) - i), d, m);
      store<T>(dc * load(c_prev + at, m) * f * (T(1) - f), d + units, m);
      store<T>(dc * i * (T(1) - g.square()), d + 2 * units, m);
      store<T>(dh * cell_tanh * out * (T(1) - out), d + 3 * units, m);
      store<T>(dc * f, dc_data + at, m);
    });
  });
}

void run_kernel(const op::GruCell& o) {
  const auto size = kChecks.gru_cell(o);
  kChecks.with_float_type(o.gates, "gru_cell", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t units = size.units;
    const T *input = o.input_part.data<T>(), *hidden = o.hidden_part.data<T>(), *h_prev = o.h_prev.data<T>();
    T *gates = o.gates.data<T>(), *h = o.h.data<T>();
    each_block(size, 3, [=](std::int64_t r, std::int64_t u, std::int64_t m) {
      const std::int64_t row = r * 3 * units + u, at = r * units + u;
      const T *x = input + row, *hp = hidden + row;  // x may be the gates' own row: every block is loaded first
      const Block<T> reset = sigmoid(load(x, m) + load(hp, m)), z = sigmoid(load(x + units, m) + load(hp + units, m));
      const Block<T> n = tanh(load(x + 2 * units, m) + reset * load(hp + 2 * units, m));
      T* a = gates + row;
      store(reset, a, m), store(z, a + units, m), store(n, a + 2 * units, m);
      store<T>(n + z * (load(h_prev + at, m) - n), h + at, m);
    });
  });
}

void run_kernel(const op::GruCellGrad& o) {
  const auto size = kChecks.gru_cell_grad(o);
  kChecks.with_float_type(o.gates, "gru_cell_grad", [&](auto tag) {
    using T = decltype(tag);
    const std::int64_t units = size.units;
    const T *gates = o.gates.data<T>(), *hidden = o.hidden_part.data<T>(), *h_prev = o.h_prev.data<T>(), *dh_data = o.dh.data<T>();
    T *d_input = o.d_input.data<T>(), *d_hidden = o.d_hidden.data<T>(), *dh_prev = o.dh_prev.data<T>();
    each_block(size, 3, [=](std::int64_t r, std::int64_t u, std::int64_t m) {
      const std::int64_t row = r * 3 * units + u, at = r * units + u;
      const T* a = gates + row;
      const Block<T> reset = load(a, m), z = load(a + units, m), n = load(a + 2 * units, m), dh = load(dh_data + at, m);
      const Block<T> da_z = dh * (load(h_prev + at, m) - n) * z * (T(1) - z), da_n = dh * (T(1) - z) * (T(1) - n.square());
      const Block<T> da_r = da_n * load(hidden + row + 2 * units, m) * reset * (T(1) - reset);
      for (T* d : {d_input + row, d_hidden + row}) store(da_r, d, m), store(da_z, d + units, m);
      store(da_n, d_input + row + 2 * units, m);
      store<T>(da_n * reset, d_hidden + row + 2 * units, m);
      store<T>(dh * z, dh_prev + at, m);
    });
  });
}

}  // namespace nnplug::cpu
