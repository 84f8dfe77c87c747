#pragma once
// The arithmetic of Adafactor's ops (adafactor.cpp), from the ops' attributes. Plain arithmetic, without nnplug's
// headers, so that nvcc compiles it into the CUDA kernels (adafactor_step.cu) as g++ into the CPU kernels.
#include <cmath>
#include <cstdint>

#include "../../shared/host_device.hpp"

namespace nnplug::optimizers {

// A gradient of 2 or more axes as `batches` matrices of rows x cols, its last two axes.
struct Factoring {
  std::int64_t batches, rows, cols;
};

// The second moment's running average and the update it scales, as torch.optim.Adafactor takes them at step t:
// each average moves t^beta2_decay of the way to the new squares (all of it at step 1), and the update is
// grad / max(sqrt(variance), eps1).
struct AdafactorMoment {
  double weight, eps1;
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds a step, needs no SDK header
  explicit AdafactorMoment(const Attributes& a) : weight(std::pow(a.number("step"), a.number("beta2_decay"))), eps1(a.number("eps1")) {}
  NNPLUG_HOST_DEVICE double average(double old, double squares) const { return old + weight * (squares - old); }
  // (A comparison, not fmax, which the loops would call element by element instead of vectorizing.)
  NNPLUG_HOST_DEVICE double scaled(double grad, double variance) const {
    return grad / sqrt(variance > eps1 * eps1 ? variance : eps1 * eps1);
  }
  // A factored estimate is row_var col_var / mean(row_var), the mean over the matrix's rows at least eps1: a row's
  // share row_var / that mean, taken once a row, times each column's col_var.
  NNPLUG_HOST_DEVICE double row_share(double row, double row_mean) const { return row / (row_mean > eps1 ? row_mean : eps1); }
};

// The step along the update U of a parameter of n elements, from the sums of squares of the parameter (before the
// decay) and of U: param = (1 - lr weight_decay) param - alpha / max(1, RMS(U) / d) U, where
// alpha = max(eps2, RMS(param)) min(lr, 1 / sqrt(t)): a step relative to the parameter's own scale.
struct AdafactorStep {
  double rho, eps2, d, keep;
  template <typename Attributes>
  explicit AdafactorStep(const Attributes& a)
      : rho(std::fmin(a.number("lr"), 1 / std::sqrt(a.number("step")))),
        eps2(a.number("eps2")),
        d(a.number("d")),
        keep(1 - a.number("lr") * a.number("weight_decay")) {}
  NNPLUG_HOST_DEVICE double scale(double param_squares, double update_squares, double n) const {
    const double alpha = fmax(eps2, sqrt(param_squares / n)) * rho;
    return alpha / fmax(1.0, sqrt(update_squares / n) / d);
  }
  template <typename T>
  NNPLUG_HOST_DEVICE void apply(double scale, double update, T& param) const {
    param = static_cast<T>(keep * static_cast<double>(param) - scale * update);
  }
};

}  // namespace nnplug::optimizers
