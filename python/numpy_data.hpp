#pragma once
// NumPy arrays as nnplug's data: samples, class labels or value targets, and Keras's loss weights, as the Python
// package's fit, evaluate and predict read them.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "nnplug/framework/dataset.hpp"
#include "nnplug/framework/loss_weighting.hpp"

namespace nnplug::python {

namespace py = pybind11;

// a (an array, or what NumPy reads as one) as a C-ordered array of T, converted by NumPy where it is not one. NumPy's
// own error, as its MemoryError for a broadcast view of 2^40 rows too large to copy, reaches Python with what and the
// argument's name in front (array_t::ensure would return an empty array instead, whose data() is null).
template <typename T>
py::array_t<T, py::array::c_style | py::array::forcecast> c_array(const py::object& a, const char* what, const std::string& name) {
  try {
    return py::array_t<T, py::array::c_style | py::array::forcecast>(a);
  } catch (const py::error_already_set& e) {
    const std::string message = fmt::format("{}: {} cannot be read as a C-ordered array of {}: {}", what, name,
                                            sizeof(T) == 4 ? "float32" : "float64", py::str(e.value()).cast<std::string>());
    // As the standard type it derives from: NumPy's _ArrayMemoryError is not made from a message.
    PyErr_SetString(e.matches(PyExc_MemoryError) ? PyExc_MemoryError : e.matches(PyExc_TypeError) ? PyExc_TypeError : PyExc_ValueError,
                    message.c_str());
    throw py::error_already_set();
  }
}

// A sample's shape from Python, its axes counted before a Shape would refuse them.
Shape sample_shape(const std::vector<std::int64_t>& sizes, const char* what);

// Samples and targets from NumPy, or anything numpy.asarray takes (lists of lists): x is (N, sample...) of float32
// or float64, read where it lies when it is in C order and in this machine's byte order, else converted into rows
// (integers, booleans and float16 into float32 rows);
// y, when given, as class_labels reads it, or as read_value_targets does where `loss` takes them (holds_value_targets)
// or where the caller reads it so (as_values: (N, steps) whole numbers, -100 for padding, a class label per step; a
// regression's whole numbers).
Dataset dataset(const py::object& samples, const py::object& y, const char* what, const Loss* loss = nullptr, bool as_values = false);

// Keras's class_weight (a dict of weights by class index; a list or an array, one per class, as scikit-learn's
// compute_class_weight gives them; or "balanced") and sample_weight (one weight per sample of x), for fit.
LossWeighting loss_weighting(const py::object& class_weight, const py::object& sample_weight, const py::object& x);

}  // namespace nnplug::python
