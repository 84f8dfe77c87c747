#pragma once
// One element of the activation hard_tanh (hard_tanh.cpp): x clamped to [min_val, max_val], slope 1 strictly
// between them and 0 elsewhere (PyTorch's hardtanh_backward). Plain arithmetic, without nnplug's headers, so that
// nvcc compiles it into the CUDA kernels (hard_tanh_element.cu) as g++ into the CPU ones.
#include "../../shared/host_device.hpp"

namespace nnplug::activations {

struct HardTanhElement {
  double min_val, max_val;
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds one, needs no SDK header
  explicit HardTanhElement(const Attributes& a) : min_val(a.number("min_val")), max_val(a.number("max_val")) {}
  NNPLUG_HOST_DEVICE double value(double x) const { return x < min_val ? min_val : x > max_val ? max_val : x; }
  NNPLUG_HOST_DEVICE double slope(double x) const { return x > min_val && x < max_val ? 1.0 : 0.0; }
};

}  // namespace nnplug::activations
