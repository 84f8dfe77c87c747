#include "numpy_data.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <span>

#include <fmt/ranges.h>

#include "nnplug/framework/model.hpp"

namespace nnplug::python {

namespace {

// y as class indices, as Keras' fit takes it: N whole numbers >= 0 (of any integer or float type; a column of them,
// shape (N, 1), too), or N one-hot rows (to_categorical's output), each read as the index of its 1. Soft rows (label
// smoothing, mixup) are refused: they are the targets of a loss of probabilities, which reads them as values.
std::vector<std::int32_t> class_labels(const py::object& y, std::size_t count, const char* what) {
  const py::array labels = py::array::ensure(y);
  const char kind = labels ? labels.dtype().kind() : '?';
  if (kind != 'i' && kind != 'u' && kind != 'f' && kind != 'b')
    throw py::type_error(fmt::format("{}: y must hold class labels (whole numbers), got {}{}", what,
                                     labels ? py::str(labels.dtype()).cast<std::string>() : py::str(py::type::of(y).attr("__name__")).cast<std::string>(),
                                     kind == 'U' || kind == 'S' || kind == 'O'
                                         ? "; number the class names first, as Keras and PyTorch need them numbered too: names, y = "
                                           "numpy.unique(y, return_inverse=True), or scikit-learn's LabelEncoder"
                                         : ""));
  const bool one_hot = labels.ndim() == 2 && labels.shape(1) > 1, column = labels.ndim() == 2 && labels.shape(1) == 1;
  if ((labels.ndim() != 1 && !one_hot && !column) || static_cast<std::size_t>(labels.shape(0)) != count)
    throw py::value_error(fmt::format("{}: y must hold one class label per sample of x ({}), or one one-hot row per sample, got shape {}", what,
                                      count, py::str(py::object(labels.attr("shape"))).cast<std::string>()));
  const auto values = c_array<double>(labels, what, "y");
  const double* v = values.data();
  std::vector<std::int32_t> out(count);
  if (one_hot) {
    const auto width = static_cast<std::size_t>(labels.shape(1));
    for (std::size_t i = 0; i < count; ++i) {
      const double* row = v + i * width;
      const auto ones = std::count(row, row + width, 1.0), zeros = std::count(row, row + width, 0.0);
      if (ones != 1 || zeros != static_cast<std::ptrdiff_t>(width) - 1)
        throw py::value_error(fmt::format("{}: row {} of y is not one-hot (one 1, the rest 0): [{}]; soft targets need a loss of "
                                          "probabilities ({{\"type\": \"softmax_cross_entropy\", \"targets\": \"probabilities\"}}), else pass "
                                          "the class labels", what, i, fmt::join(row, row + std::min<std::size_t>(width, 10), ", ")));
      out[i] = static_cast<std::int32_t>(std::find(row, row + width, 1.0) - row);
    }
    return out;
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (!(v[i] >= 0 && v[i] <= std::numeric_limits<std::int32_t>::max() && v[i] == std::floor(v[i])))
      throw py::value_error(fmt::format("{}: label {} of sample {} is not a class index (0, 1, ...)", what, v[i], i));
    out[i] = static_cast<std::int32_t>(v[i]);
  }
  return out;
}

// Whether y holds value targets for `loss` rather than class labels: a loss of values (regression, multi-label)
// takes a float y, or rows of several values of any type (multi-hot labels), as its targets. One whole number per
// sample stays a class label, which the trainer one-hot encodes for such a loss (but see regressed_whole_numbers).
bool holds_value_targets(const py::object& y, const Loss* loss) {
  if (!loss || loss->target_kind() != TargetKind::Values) return false;
  const py::array values = py::array::ensure(y);
  return values && (values.dtype().kind() == 'f' || (values.ndim() == 2 && values.shape(1) > 1));
}

// y as value targets: N values (one output) or N rows of them, each finite in float32; a row may have several axes,
// read in C order: (N, steps, classes) distributions per step, as the model's [steps, classes] output lies.
void read_value_targets(const py::object& y, std::size_t count, const char* what, Dataset& data) {
  const auto values = c_array<double>(y, what, "y");
  const auto shape = [&] { return py::str(py::object(values.attr("shape"))).cast<std::string>(); };
  if (values.ndim() < 1 || static_cast<std::size_t>(values.shape(0)) != count)
    throw py::value_error(fmt::format("{}: y must hold the targets of each sample of x ({}): shape ({},) or ({}, outputs...), got shape {}", what,
                                      count, count, count, shape()));
  data.target_width = 1;
  for (py::ssize_t axis = 1; axis < values.ndim(); ++axis) data.target_width *= values.shape(axis);
  if (data.target_width == 0) throw py::value_error(fmt::format("{}: y holds no target per sample: shape {}", what, shape()));
  data.keep_target_shape(std::vector<std::int64_t>(values.shape(), values.shape() + values.ndim()), fmt::format("{}: y", what));
  data.targets.resize(static_cast<std::size_t>(values.size()));
  for (std::size_t i = 0; i < data.targets.size(); ++i) {
    data.targets[i] = static_cast<float>(values.data()[i]);
    if (!std::isfinite(data.targets[i]))
      throw py::value_error(fmt::format("{}: target {} of sample {} is {}, not a finite float32 value", what,
                                        i % static_cast<std::size_t>(data.target_width), i / static_cast<std::size_t>(data.target_width), values.data()[i]));
  }
  data.labels.assign(count, -1);
}

}  // namespace

Shape sample_shape(const std::vector<std::int64_t>& sizes, const char* what) {
  if (sizes.size() > Model::kMaxSampleSizes)
    throw py::value_error(fmt::format("{}: a sample has at most {} axes (a batch of them {}), got {}", what, Model::kMaxSampleSizes,
                                      Shape::kMaxRank, sizes.size()));
  return Shape(sizes);
}

Dataset dataset(const py::object& samples, const py::object& y, const char* what, const Loss* loss, bool as_values) {
  const py::array x = py::array::ensure(samples);
  if (!x)
    throw py::type_error(fmt::format("{}: x must be an array of numbers (a NumPy array, or lists of them), got {}", what,
                                     py::str(py::type::of(samples).attr("__name__")).cast<std::string>()));
  const auto kind = x.dtype().kind();
  const bool float64 = kind == 'f' && x.itemsize() == 8;
  // As Keras takes them: integers and booleans (uint8 images, unscaled) and float16 are read as float32, once.
  const bool to_float32 = kind == 'f' ? x.itemsize() == 2 || x.itemsize() == 4 : kind == 'u' || kind == 'i' || kind == 'b';
  if (!float64 && !to_float32)
    throw py::type_error(fmt::format("{}: x must hold numbers (float, integer or bool), got {}; convert it with x.astype(numpy.float32)", what,
                                     py::str(x.dtype()).cast<std::string>()));
  if (x.ndim() < 1) throw py::value_error(fmt::format("{}: x must have a batch axis, shape (N, features...), got a single value", what));
  Dataset data;
  // x of one axis is N samples of one value, as Keras reads it (model.fit(xs, ys) on a line's points).
  data.sample_shape = x.ndim() == 1 ? Shape{1} : sample_shape({x.shape() + 1, x.shape() + x.ndim()}, what);
  const auto n = static_cast<std::size_t>(x.size());
  // array_t's check_ is NumPy's equivalence of types, which tells '>f4' from '<f4'.
  const bool as_it_lies = py::array_t<float, py::array::c_style>::check_(x) || py::array_t<double, py::array::c_style>::check_(x);
  if (as_it_lies) {  // read in place, the array kept alive (released under the GIL)
    std::shared_ptr<const void> owner(new py::object(x), [](py::object* held) {
      py::gil_scoped_acquire gil;
      delete held;
    });
    data.x = SampleValues::borrow(x.data(), n, x.itemsize() == 4 ? DType::Float32 : DType::Float64, std::move(owner));
  } else if (float64) {
    const auto rows = c_array<double>(x, what, "x");
    data.x = SampleValues(std::vector<double>(rows.data(), rows.data() + n));
  } else {
    const auto rows = c_array<float>(x, what, "x");
    data.x = SampleValues(std::vector<float>(rows.data(), rows.data() + n));
  }
  const auto count = static_cast<std::size_t>(x.shape(0));
  if (y.is_none()) {
    data.labels.assign(count, -1);
    return data;
  }
  if (as_values || holds_value_targets(y, loss)) {
    read_value_targets(y, count, what, data);
    return data;
  }
  data.labels = class_labels(y, count, what);
  for (const auto label : data.labels) data.num_classes = std::max<std::int64_t>(data.num_classes, label + 1);
  return data;
}

LossWeighting loss_weighting(const py::object& class_weight, const py::object& sample_weight, const py::object& x) {
  LossWeighting weighting;
  if (!class_weight.is_none() && !py::isinstance<py::str>(class_weight) && !py::isinstance<py::dict>(class_weight)) {
    // A list or an array, one weight per class (compute_class_weight's); refused later where a weight is not finite.
    const auto weights = c_array<double>(class_weight, "fit", "class_weight");
    weighting.class_weights.assign(weights.data(), weights.data() + weights.size());
    if (weighting.class_weights.empty() || weights.ndim() != 1) throw py::value_error("fit: class_weight must hold one weight per class");
  } else if (!class_weight.is_none()) {  // "balanced", or Keras's dict
    Params::Json given = py::isinstance<py::str>(class_weight) ? Params::Json(class_weight.cast<std::string>()) : Params::Json::object();
    for (const auto& [key, weight] : py::isinstance<py::dict>(class_weight) ? class_weight.cast<py::dict>() : py::dict()) {
      // Class indices: Python's or NumPy's integers (numpy.unique's), not floats or names.
      if (!PyIndex_Check(key.ptr()) || py::isinstance<py::bool_>(key))
        throw py::value_error(fmt::format("fit: class_weight's keys are class indices, as Keras's are, got {}", py::repr(key).cast<std::string>()));
      const std::string index = py::str(py::int_(py::reinterpret_borrow<py::object>(key)));
      given[index] = py::float_(py::reinterpret_borrow<py::object>(weight)).cast<double>();
    }
    weighting = class_weighting(Params("fit", Params::Json{{"class_weight", given}}), "class_weight");
  }
  if (!sample_weight.is_none()) {
    const auto weights = c_array<double>(sample_weight, "fit", "sample_weight");
    const py::array xs = py::array::ensure(x);
    const py::ssize_t samples = xs && xs.ndim() > 0 ? xs.shape(0) : 0;
    if (weights.size() != samples || (weights.ndim() > 1 && weights.size() != weights.shape(0)))
      throw py::value_error(fmt::format("fit: sample_weight must hold one weight per sample of x, shape ({},), got shape ({})", samples,
                                        fmt::join(std::span(weights.shape(), static_cast<std::size_t>(weights.ndim())), ", ")));
    weighting.sample_weights.assign(weights.data(), weights.data() + weights.size());
  }
  return weighting;
}

}  // namespace nnplug::python
