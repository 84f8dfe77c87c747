#pragma once
// One element of the activation squareplus (squareplus.cpp): (x + sqrt(x² + b)) / 2, slope (1 + x / sqrt(x² + b)) / 2
// (1/2 at x = 0 when b = 0, where the root is 0). Plain arithmetic, without nnplug's headers, so that nvcc compiles it
// into the CUDA kernels (squareplus_element.cu) as g++ into the CPU ones.
#include <cmath>

#include "../../shared/host_device.hpp"

namespace nnplug::activations {

struct SquareplusElement {
  double b;
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds one, needs no SDK header
  explicit SquareplusElement(const Attributes& a) : b(a.number("b")) {}
  NNPLUG_HOST_DEVICE double value(double x) const { return (x + sqrt(x * x + b)) / 2; }
  NNPLUG_HOST_DEVICE double slope(double x) const {
    const double root = sqrt(x * x + b);
    return root > 0 ? (1 + x / root) / 2 : 0.5;
  }
};

}  // namespace nnplug::activations
