#pragma once
// nnplug tensors as DLPack (dlpack/dlpack.h, the protocol torch.from_dlpack and numpy.from_dlpack take): a view of
// a parameter's memory with no copy, which keeps that memory alive for as long as the consumer holds it.
#include <pybind11/pybind11.h>

#include "nnplug/backend.hpp"

namespace nnplug::python {

// Adds the class TensorView (with __dlpack__, __dlpack_device__ and __array__) to the module.
void bind_tensor_view(pybind11::module_& m);
// A TensorView of the tensor (float32 or float64, contiguous, on the CPU or CUDA backend).
pybind11::object tensor_view(const Tensor& tensor);

}  // namespace nnplug::python
