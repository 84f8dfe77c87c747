#pragma once
// One element of the activation sparse_plus (sparse_plus.cpp): 0 up to -1, (x + 1)² / 4 between -1 and 1, x from 1;
// slope 0, (x + 1) / 2, 1. Plain arithmetic, without nnplug's headers, so that nvcc compiles it into the CUDA kernels
// (sparse_plus_element.cu) as g++ into the CPU ones.
#include "../../shared/host_device.hpp"

namespace nnplug::activations {

struct SparsePlusElement {
  template <typename Attributes>  // OpAttributes; a template, so that nvcc, which never builds one, needs no SDK header
  explicit SparsePlusElement(const Attributes&) {}
  NNPLUG_HOST_DEVICE double value(double x) const { return x <= -1 ? 0.0 : x >= 1 ? x : (x + 1) * (x + 1) / 4; }
  NNPLUG_HOST_DEVICE double slope(double x) const { return x <= -1 ? 0.0 : x >= 1 ? 1.0 : (x + 1) / 2; }
};

}  // namespace nnplug::activations
