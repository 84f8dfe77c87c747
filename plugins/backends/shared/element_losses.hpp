#pragma once
// The element-wise losses (see ElementwiseLossFn), one element at a time, for every backend: the loss as a double
// and the gradient d loss / d p, before the mean's 1 / n. pos_weight weighs BceWithLogits' positive term.
#include <cmath>

#include "../../shared/host_device.hpp"
#include "nnplug/ops.hpp"

namespace nnplug::backends {

template <typename T>
NNPLUG_HOST_DEVICE double element_loss(ElementwiseLossFn fn, T p, T t, T param, T* grad, T pos_weight = T(1)) {
  switch (fn) {
    case ElementwiseLossFn::SquaredError: {
      const T d = p - t;
      *grad = T(2) * d;
      return static_cast<double>(d * d);
    }
    case ElementwiseLossFn::AbsoluteError: {
      const T d = p - t;
      *grad = d > T(0) ? T(1) : (d < T(0) ? T(-1) : T(0));
      return std::abs(static_cast<double>(d));
    }
    case ElementwiseLossFn::Huber: {
      const T d = p - t, a = std::abs(d);
      if (a < param) {
        *grad = d;
        return static_cast<double>(T(0.5) * d * d);
      }
      *grad = d > T(0) ? param : -param;
      return static_cast<double>(param * (a - T(0.5) * param));
    }
    case ElementwiseLossFn::BceWithLogits: {
      // max(z, 0) - z t + log(1 + e^-|z|) never overflows; its gradient is sigmoid(z) - t.
      const T s = p >= T(0) ? T(1) / (T(1) + std::exp(-p)) : std::exp(p) / (T(1) + std::exp(p));
      const T log1p_exp = std::log1p(std::exp(-std::abs(p)));
      if (pos_weight != T(1)) {
        // (1 - t) z + (1 + (w - 1) t) log(1 + e^-z), PyTorch's form; its gradient is (1 - t) - (1 + (w - 1) t) sigmoid(-z).
        const T positive = T(1) + (pos_weight - T(1)) * t;
        *grad = (T(1) - t) - positive * (T(1) - s);
        return static_cast<double>((T(1) - t) * p + positive * ((p < T(0) ? -p : T(0)) + log1p_exp));
      }
      *grad = s - t;
      return static_cast<double>((p > T(0) ? p : T(0)) - p * t + log1p_exp);
    }
    case ElementwiseLossFn::Perceptron:
    case ElementwiseLossFn::Hinge: {
      const T y = t > T(0) ? T(1) : T(-1);
      const T m = (fn == ElementwiseLossFn::Hinge ? param : T(0)) - y * p;
      *grad = m > T(0) ? -y : T(0);
      return static_cast<double>(m > T(0) ? m : T(0));
    }
  }
  return 0;
}

}  // namespace nnplug::backends
