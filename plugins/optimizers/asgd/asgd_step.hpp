#pragma once
// One element of ASGD's step (asgd.cpp), from the op's attributes, as torch.optim.ASGD takes it. Plain arithmetic,
// without nnplug's headers, so that nvcc compiles it into the CUDA kernel (asgd_step.cu) as g++ into the CPU kernel.
#include <cmath>

#include "../../shared/host_device.hpp"

namespace nnplug::optimizers {

struct AsgdStep {
  double eta, lambd, mu, weight_decay;
  // Step t's rate, lr / (1 + lambd lr (t - 1))^alpha, and averaging weight, 1 / max(1, t - 1 - t0): the values PyTorch
  // computes after step t - 1 and keeps for step t (lr at step 1).
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds a step, needs no SDK header
  explicit AsgdStep(const Attributes& a)
      : eta(a.number("lr") / std::pow(1 + a.number("lambd") * a.number("lr") * (a.number("step") - 1), a.number("alpha"))),
        lambd(a.number("lambd")),
        mu(1 / std::fmax(1.0, a.number("step") - 1 - a.number("t0"))),
        weight_decay(a.number("weight_decay")) {}
  template <typename T>
  NNPLUG_HOST_DEVICE void operator()(double grad, T& param, T& ax) const {
    const double p = static_cast<double>(param), g = grad + weight_decay * p;
    const T moved = static_cast<T>(p * (1 - lambd * eta) - eta * g);
    param = moved;
    // The average of the weights since step t0 + 1; before, the weights themselves.
    ax = mu == 1 ? moved : static_cast<T>(static_cast<double>(ax) + mu * (static_cast<double>(moved) - static_cast<double>(ax)));
  }
};

}  // namespace nnplug::optimizers
