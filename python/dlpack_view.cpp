#include "dlpack_view.hpp"

#include <dlpack/dlpack.h>
#include <pybind11/numpy.h>
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
    check_exportable("DLPack");
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

  // numpy.asarray(view) and every NumPy function: an array over the memory (no copy; writes reach the parameter,
  // as through a PyTorch state_dict's tensors; numpy.from_dlpack's would be read-only), cast when a dtype is asked
  // for. NumPy reads host memory only, so a CUDA tensor says how to get its values instead of failing inside NumPy.
  py::object array(const py::object& self, const py::object& dtype) const {
    if (device()[0].cast<int>() != kDLCPU)
      throw py::type_error(fmt::format("{} lies on {}, which NumPy cannot read: copy it with torch.from_dlpack(view).cpu().numpy()",
                                       tensor_.describe(), tensor_.backend().device()));
    check_exportable("NumPy");
    tensor_.backend().synchronize();
    const std::vector<py::ssize_t> dims(tensor_.shape().begin(), tensor_.shape().end());
    py::array values = tensor_.dtype() == DType::Float32 ? py::array(py::array_t<float>(dims, static_cast<float*>(tensor_.data()), self))
                                                         : py::array(py::array_t<double>(dims, static_cast<double*>(tensor_.data()), self));
    return dtype.is_none() ? values : values.attr("astype")(dtype, py::arg("copy") = false);
  }

  std::string repr() const {
    return fmt::format("TensorView(shape={}, dtype={}, backend={})", tensor_.shape().str(), dtype_name(tensor_.dtype()), tensor_.backend().name());
  }

  std::vector<std::int64_t> shape() const { return {tensor_.shape().begin(), tensor_.shape().end()}; }
  std::string dtype() const { return dtype_name(tensor_.dtype()); }

 private:
  void check_exportable(const char* to) const {
    if (tensor_.dtype() != DType::Float32 && tensor_.dtype() != DType::Float64)
      throw py::type_error(fmt::format("{} export of {} tensors is not supported", to, dtype_name(tensor_.dtype())));
    if (!tensor_.row_major())  // parameters never are; channel blocks have no strides to describe them
      throw py::type_error(fmt::format("{} export of {} is not supported: its elements are not in row-major order", to, tensor_.describe()));
  }

  Tensor tensor_;
};

}  // namespace

void bind_tensor_view(py::module_& m) {
  py::class_<TensorView>(m, "TensorView", "A parameter's memory, for torch.from_dlpack, numpy.from_dlpack or numpy.asarray (no copy)")
      .def("__dlpack__", &TensorView::dlpack, py::arg("stream") = py::none())
      .def("__dlpack_device__", &TensorView::device)
      .def("__array__", [](const py::object& self, const py::object& dtype) { return self.cast<const TensorView&>().array(self, dtype); },
           py::arg("dtype") = py::none())
      .def("__repr__", &TensorView::repr)
      .def_property_readonly("shape", &TensorView::shape)
      .def_property_readonly("dtype", &TensorView::dtype);
}

py::object tensor_view(const Tensor& tensor) { return py::cast(TensorView(tensor)); }

}  // namespace nnplug::python
