#pragma once
// One element of the activation threshold (threshold.cpp): x above the threshold, else value; slope 1 above it and 0
// elsewhere. Plain arithmetic, without nnplug's headers, so that nvcc compiles it into the CUDA kernels
// (threshold_element.cu) as g++ into the CPU ones.
#include "../../shared/host_device.hpp"

namespace nnplug::activations {

struct ThresholdElement {
  double threshold, value_below;
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds one, needs no SDK header
  explicit ThresholdElement(const Attributes& a) : threshold(a.number("threshold")), value_below(a.number("value")) {}
  NNPLUG_HOST_DEVICE double value(double x) const { return x > threshold ? x : value_below; }
  NNPLUG_HOST_DEVICE double slope(double x) const { return x > threshold ? 1.0 : 0.0; }
};

}  // namespace nnplug::activations
