#pragma once
// Numbers the backends' kernels share, so that every backend computes an op from the same constants: the
// activations' (PyTorch's definitions), alpha dropout's affine map, and the per-step factors of Adam.
// Header-only, usable in CUDA device code (constexpr scalars and plain structs).
#include <cmath>
#include <cstdint>

#include "nnplug/ops.hpp"

namespace nnplug::backends {

constexpr double kSeluScale = 1.0507009873554804934193349852946;
constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSoftplusThreshold = 20.0;  // softplus is linear above beta x = 20, as in PyTorch
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;

// The dropouts' factors for a rate p (see DropoutKind). Alpha dropout (Klambauer et al. 2017): dropped units take
// alpha' = -scale * alpha of SELU, and y = a (x * kept + alpha' (1 - kept)) + b keeps zero mean and unit variance.
struct DropoutConstants {
  double p, keep, alpha_prime, a, b, gauss_std;
  static DropoutConstants for_rate(double p) {
    DropoutConstants c{};
    c.p = p;
    c.keep = 1.0 - p;
    c.alpha_prime = -kSeluScale * kSeluAlpha;
    c.a = 1.0 / std::sqrt(c.keep * (1.0 + p * c.alpha_prime * c.alpha_prime));
    c.b = -c.a * c.alpha_prime * p;
    c.gauss_std = std::sqrt(p / c.keep);
    return c;
  }
};

// Adam's factors for one step: w = w * decay - step_size * m / (sqrt(v) * inv_sqrt_bias2 + eps), g += l2 * w.
// AdamW decays the weights directly; Adam adds the decay to the gradient (L2), both as in PyTorch.
template <typename T>
struct AdamConstants {
  // 1 - beta is computed in double, as PyTorch computes its `alpha=1 - beta1`: in float32, 1 - 0.999f is
  // 9.99987e-4, not the 1e-3 PyTorch multiplies by.
  T beta1, one_minus_beta1, beta2, one_minus_beta2, step_size, inv_sqrt_bias2, eps, decay, l2;
  static AdamConstants of(const op::AdamStep& o) {
    const double bias1 = 1.0 - std::pow(o.beta1, static_cast<double>(o.step));
    const double bias2 = 1.0 - std::pow(o.beta2, static_cast<double>(o.step));
    return {static_cast<T>(o.beta1),
            static_cast<T>(1.0 - o.beta1),
            static_cast<T>(o.beta2),
            static_cast<T>(1.0 - o.beta2),
            static_cast<T>(o.lr / bias1),
            static_cast<T>(1.0 / std::sqrt(bias2)),
            static_cast<T>(o.eps),
            o.decoupled_weight_decay ? static_cast<T>(1.0 - o.lr * o.weight_decay) : T(1),
            o.decoupled_weight_decay ? T(0) : static_cast<T>(o.weight_decay)};
  }
};

}  // namespace nnplug::backends
