#pragma once
// One element of the activation exponential (exponential.cpp): e^x, its own slope. Plain arithmetic, without nnplug's
// headers, so that nvcc compiles it into the CUDA kernels (exponential_element.cu) as g++ into the CPU ones.
#include <cmath>

#include "../../shared/host_device.hpp"

namespace nnplug::activations {

struct ExponentialElement {
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds one, needs no SDK header
  explicit ExponentialElement(const Attributes&) {}
  NNPLUG_HOST_DEVICE double value(double x) const { return exp(x); }
  NNPLUG_HOST_DEVICE double slope(double x) const { return exp(x); }
};

}  // namespace nnplug::activations
