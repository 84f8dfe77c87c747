#include "dlpack_view.hpp"

#include <dlpack/dlpack.h>
#include <pybind11/stl.h>

#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace py = pybind11;

namespace nnplug::python {

namespace {

// What a DLPack consumer owns until it calls the deleter: the tensor (its buffer kept alive) and the shape.
struct Export {
  Tensor tensor;
  std::vector<std::int64_t> shape;
  DLManagedTensor managed{};
};

class TensorView {
 public:
  explicit TensorView(Tensor tensor) : tensor_(std::move(tensor)) {}

  py::tuple device() const {
    if (tensor_.backend().name() == "cpu") return py::make_tuple(static_cast<int>(kDLCPU), 0);
    if (tensor_.backend().name() == "cuda") {
      // The GPU whose memory it is: the CUDA backend's device() starts "cuda:N" (a rank takes its local rank's GPU).
      const std::string device = tensor_.backend().device();
      return py::make_tuple(static_cast<int>(kDLCUDA), device.starts_with("cuda:") ? std::atoi(device.c_str() + 5) : 0);
    }
    throw py::type_error(fmt::format("a tensor of backend '{}' has no DLPack device", tensor_.backend().name()));
  }

  // The consumer's stream is not waited on: the backend finishes its work first, so the memory is ready on any.
  py::capsule dlpack(const py::object& /*stream*/) const {
    const py::tuple where = device();
    if (tensor_.dtype() != DType::Float32 && tensor_.dtype() != DType::Float64)
      throw py::type_error(fmt::format("DLPack export of {} tensors is not supported", dtype_name(tensor_.dtype())));
    if (!tensor_.row_major())  // parameters never are; channel blocks have no strides to describe them
      throw py::type_error(fmt::format("DLPack export of {} is not supported: its elements are not in row-major order", tensor_.describe()));
    tensor_.backend().synchronize();
    auto* out = new Export{tensor_, std::vector<std::int64_t>(tensor_.shape().begin(), tensor_.shape().end())};
    DLTensor& t = out->managed.dl_tensor;
    t.data = tensor_.data();
    t.device = {static_cast<DLDeviceType>(where[0].cast<int>()), where[1].cast<int>()};
    t.ndim = tensor_.rank();
    t.dtype = {kDLFloat, static_cast<std::uint8_t>(dtype_size(tensor_.dtype()) * 8), 1};
    t.shape = out->shape.data();
    t.strides = nullptr;  // row-major
    t.byte_offset = 0;
    out->managed.manager_ctx = out;
    out->managed.deleter = [](DLManagedTensor* m) { delete static_cast<Export*>(m->manager_ctx); };
    // A capsule no consumer took (still named "dltensor") frees the export itself.
    return py::capsule(&out->managed, "dltensor", [](PyObject* capsule) {
      if (!PyCapsule_IsValid(capsule, "dltensor")) return;
      auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(capsule, "dltensor"));
      m->deleter(m);
    });
  }

  std::vector<std::int64_t> shape() const { return {tensor_.shape().begin(), tensor_.shape().end()}; }
  std::string dtype() const { return dtype_name(tensor_.dtype()); }

 private:
  Tensor tensor_;
};

}  // namespace

void bind_tensor_view(py::module_& m) {
  py::class_<TensorView>(m, "TensorView", "A parameter's memory, for torch.from_dlpack or numpy.from_dlpack (no copy)")
      .def("__dlpack__", &TensorView::dlpack, py::arg("stream") = py::none())
      .def("__dlpack_device__", &TensorView::device)
      .def_property_readonly("shape", &TensorView::shape)
      .def_property_readonly("dtype", &TensorView::dtype);
}

py::object tensor_view(const Tensor& tensor) { return py::cast(TensorView(tensor)); }

}  // namespace nnplug::python
