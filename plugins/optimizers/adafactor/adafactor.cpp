// Optimizer 'adafactor' (Shazeer and Stern, "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost", ICML
// 2018; torch.optim.Adafactor, whose rule, defaults and state names these are; Keras's Adafactor): lr 1e-2,
// beta2_decay -0.8, eps [eps1, eps2] = [null, 1e-3] (null: the parameter dtype's machine epsilon), d 1, weight_decay 0.
// For a weight of rows x cols it keeps one running mean of the squared gradient per row and one per column, not one
// per element as Adam does, and estimates each element's second moment from them: rows + cols numbers, not rows x
// cols, and no first moment, so that the optimizer's state of a model nearly vanishes (T5 was trained with it).
// A tensor of more axes is factored over its last two, as PyTorch does (a convolution's kernel height and width);
// a vector keeps a full second moment. Step t:
//   row_var, col_var (or variance) move t^beta2_decay of the way to the means of g² over each row and column;
//   U = g / max(sqrt(row_var col_var / mean(row_var)), eps1);
//   param = (1 - lr weight_decay) param - max(eps2, RMS(param)) min(lr, 1 / sqrt(t)) / max(1, RMS(U) / d) U.
// The step is relative to each tensor's own scale (alpha, before the decay) and clipped when U's RMS exceeds d.
// Two ops of this plugin per parameter (adafactor_factored_update or adafactor_variance_update, then adafactor_step),
// between them the backend's sum_squares takes both RMS; the sums never leave the backend.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "../../shared/parallel_chunks.hpp"
#include "../../shared/vector_clones.hpp"
#include "../shared/sums_of_squares.hpp"
#include "adafactor_step.hpp"
#include "nnplug/custom_op.hpp"
#include "nnplug/plugin.hpp"
#include "nnplug/stateful_optimizer.hpp"
#ifdef NNPLUG_PLUGIN_HAS_CUDA
#include "adafactor_step_cuda.hpp"
#endif

namespace {

using namespace nnplug;
using optimizers::AdafactorMoment;
using optimizers::AdafactorStep;
using optimizers::Factoring;

Factoring factoring_of(const Shape& shape) {
  const std::int64_t rows = shape[shape.rank() - 2], cols = shape[shape.rank() - 1];
  return {rows * cols == 0 ? 0 : shape.numel() / (rows * cols), rows, cols};
}

// The running means' shapes for a gradient of 2 or more axes, PyTorch's: [..., rows, 1] and [..., 1, cols].
std::vector<Shape> factored_shapes(const Shape& grad) {
  Shape row = grad, col = grad;
  row[grad.rank() - 1] = 1;
  col[grad.rank() - 2] = 1;
  return {row, col};
}

// A row's update: its gradient scaled by its share and each column's running mean.
template <typename T>
NNPLUG_VECTOR_CLONES void scaled_row(const AdafactorMoment m, const T* g, const T* cols, double share, T* u, std::int64_t n) {
  for (std::int64_t c = 0; c < n; ++c) u[c] = static_cast<T>(m.scaled(static_cast<double>(g[c]), share * static_cast<double>(cols[c])));
}

// The running means are written, then read back as stored: as the CUDA kernels, which take them in later passes.
// The sums of squares run on the calling thread (a column's sum over the rows in order), the update's rows on the
// backend's threads.
template <typename T>
NNPLUG_VECTOR_CLONES void factored_update(const AdafactorMoment& m, const T* grad, T* row_var, T* col_var, T* update, const Factoring& f) {
  thread_local std::vector<double> col_squares;  // kept from step to step: no allocation once the widest is seen
  col_squares.resize(static_cast<std::size_t>(f.cols));
  for (std::int64_t b = 0; b < f.batches; ++b) {
    const T* g = grad + b * f.rows * f.cols;
    T *rows = row_var + b * f.rows, *cols = col_var + b * f.cols, *u = update + b * f.rows * f.cols;
    std::fill(col_squares.begin(), col_squares.end(), 0.0);
    for (std::int64_t r = 0; r < f.rows; ++r) {
      double squares = 0;
#pragma omp simd reduction(+ : squares)
      for (std::int64_t c = 0; c < f.cols; ++c) {
        const double x = static_cast<double>(g[r * f.cols + c]);
        squares += x * x;
        col_squares[c] += x * x;
      }
      rows[r] = static_cast<T>(m.average(static_cast<double>(rows[r]), squares / static_cast<double>(f.cols)));
    }
    for (std::int64_t c = 0; c < f.cols; ++c)
      cols[c] = static_cast<T>(m.average(static_cast<double>(cols[c]), col_squares[c] / static_cast<double>(f.rows)));
    double row_mean = 0;
    for (std::int64_t r = 0; r < f.rows; ++r) row_mean += static_cast<double>(rows[r]);
    row_mean /= static_cast<double>(f.rows);
#pragma omp parallel for schedule(static) if (f.rows * f.cols > kParallelElements)
    for (std::int64_t r = 0; r < f.rows; ++r)
      scaled_row(m, g + r * f.cols, cols, m.row_share(static_cast<double>(rows[r]), row_mean), u + r * f.cols, f.cols);
  }
}

// The element-wise passes on the backend's threads (parallel_chunks.hpp).
template <typename T>
NNPLUG_VECTOR_CLONES void variance_range(const AdafactorMoment m, const T* grad, T* variance, T* update, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    const double g = static_cast<double>(grad[i]);
    variance[i] = static_cast<T>(m.average(static_cast<double>(variance[i]), g * g));
    update[i] = static_cast<T>(m.scaled(g, static_cast<double>(variance[i])));
  }
}
template <typename T>
void variance_update(const AdafactorMoment& m, const T* grad, T* variance, T* update, std::int64_t n) {
  parallel_chunks(n, [&](std::int64_t b, std::int64_t count) { variance_range(m, grad + b, variance + b, update + b, count); });
}

template <typename T>
NNPLUG_VECTOR_CLONES void step_range(const AdafactorStep step, double scale, const T* update, T* param, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) step.apply(scale, static_cast<double>(update[i]), param[i]);
}
template <typename T>
void step_elements(const AdafactorStep& step, const T* update, const T* squares, T* param, std::int64_t n) {
  const double scale = step.scale(static_cast<double>(squares[0]), static_cast<double>(squares[1]), static_cast<double>(n));
  parallel_chunks(n, [&](std::int64_t b, std::int64_t count) { step_range(step, scale, update + b, param + b, count); });
}

// The second moment's attributes; eps1's default is float32's machine epsilon, PyTorch's for a float32 parameter.
std::vector<OpAttribute> moment_attributes() {
  return {{"beta2_decay", -0.8}, {"eps1", static_cast<double>(std::numeric_limits<float>::epsilon())}, {"step", 1.0}};
}

void make_second_moments_non_negative(std::vector<HostTensor>&, std::vector<HostTensor>& outputs) {
  for (std::size_t k = 0; k + 1 < outputs.size(); ++k)  // the last output, the update, is written, never read
    for (double& v : outputs[k].values) v = std::abs(v);
}

// grad -> row_var [..., rows, 1], col_var [..., 1, cols] (updated), update (written, grad's shape).
OpSchema factored_update_schema() {
  OpSchema s;
  s.name = "adafactor_factored_update";
  s.inputs = {"grad"};
  s.outputs = {"row_var", "col_var", "update"};
  s.attributes = moment_attributes();
  s.updates_outputs = true;
  s.shape_rule = [](const std::vector<Shape>& in, const OpAttributes&) {
    if (in[0].rank() < 2)
      throw ShapeError(fmt::format("adafactor_factored_update factors a gradient over its last two axes, got {} (a vector takes "
                                   "adafactor_variance_update)", in[0].str()));
    std::vector<Shape> out = factored_shapes(in[0]);
    out.push_back(in[0]);
    return out;
  };
  s.check_shapes = {Shape{3, 4, 5}};
  s.check_values = make_second_moments_non_negative;
  s.host_reference = [](HostOpCall& call) {
    auto& out = call.outputs;
    factored_update(AdafactorMoment(call), call.inputs[0].values.data(), out[0].values.data(), out[1].values.data(), out[2].values.data(),
                    factoring_of(call.inputs[0].shape));
  };
  return s;
}

// grad -> variance (updated), update (written), all of one shape.
OpSchema variance_update_schema() {
  OpSchema s;
  s.name = "adafactor_variance_update";
  s.inputs = {"grad"};
  s.outputs = {"variance", "update"};
  s.attributes = moment_attributes();
  s.updates_outputs = true;
  s.check_values = make_second_moments_non_negative;
  s.host_reference = [](HostOpCall& call) {
    auto& out = call.outputs;
    variance_update(AdafactorMoment(call), call.inputs[0].values.data(), out[0].values.data(), out[1].values.data(),
                    static_cast<std::int64_t>(call.inputs[0].values.size()));
  };
  return s;
}

// update, squares (the parameter's and the update's sums of squares) -> param (updated).
OpSchema step_schema() {
  OpSchema s = optimizers::squares_step_schema("adafactor_step", "update", {"param"}, "an update", "the parameter's, the update's");
  s.attributes = {{"lr", 1e-2}, {"eps2", 1e-3}, {"d", 1.0}, {"weight_decay", 0.0}, {"step", 1.0}};
  s.host_reference = [](HostOpCall& call) {
    step_elements(AdafactorStep(call), call.inputs[0].values.data(), call.inputs[1].values.data(), call.outputs[0].values.data(),
                  static_cast<std::int64_t>(call.inputs[0].values.size()));
  };
  return s;
}

// torch's eps = (eps1, eps2), where a null eps1 (the default) is the parameter dtype's machine epsilon.
std::pair<std::optional<double>, double> read_eps(const Params& p) {
  p.accept({"eps"});
  if (!p.has("eps")) return {std::nullopt, 1e-3};
  const Params::Json& eps = p.json()["eps"];
  const auto valid = [](const Params::Json& x) { return x.is_number() && std::isfinite(x.get<double>()) && x.get<double>() >= 0; };
  if (!eps.is_array() || eps.size() != 2 || !(eps[0].is_null() || valid(eps[0])) || !valid(eps[1]))
    p.fail("eps", fmt::format("must be [eps1, eps2], numbers >= 0 (a null eps1: the dtype's machine epsilon), got {}", Params::shown(eps)));
  return {eps[0].is_null() ? std::nullopt : std::optional<double>(eps[0].get<double>()), eps[1].get<double>()};
}

class Adafactor final : public StatefulOptimizer {
 public:
  Adafactor(OpHandle factored, OpHandle variance, OpHandle step, const Params& p)
      : StatefulOptimizer("adafactor", p.number("lr", 1e-2, 0.0), {}),
        factored_(std::move(factored)),
        variance_(std::move(variance)),
        step_op_(std::move(step)),
        beta2_decay_(p.number("beta2_decay", -0.8, -std::numeric_limits<double>::infinity(), 0.0)),
        d_(p.number("d", 1.0, 1.0)),
        weight_decay_(p.number("weight_decay", 0.0, 0.0)) {
    std::tie(eps1_, eps2_) = read_eps(p);
    p.check_unused();
  }

  // A parameter of 2 or more axes keeps its row and column means, in PyTorch's shapes; a vector its variance. One
  // scratch update, as long as the largest parameter, serves each in turn; two sums of squares a parameter.
  void attach(const std::vector<Parameter*>& parameters) override {
    StatefulOptimizer::attach(parameters);
    moments_.clear();
    if (parameters.empty()) return;
    const Tensor& first = parameters.front()->value;
    Backend& backend = first.backend();
    step_op_.on(first);  // refuses a backend without a kernel now
    std::int64_t largest = 0;
    for (const Parameter* p : parameters) {
      const Tensor& v = p->value;
      largest = std::max(largest, v.numel());
      const bool factored = v.shape().rank() >= 2;
      (factored ? factored_ : variance_).on(v);
      std::vector<Tensor> moment;
      for (const Shape& shape : factored ? factored_shapes(v.shape()) : std::vector<Shape>{v.shape()}) {
        moment.push_back(backend.empty(shape, v.dtype()));
        backend.run(op::Fill{moment.back(), 0.0});
      }
      moments_.push_back(std::move(moment));
    }
    update_ = backend.empty(Shape{largest}, first.dtype());
    squares_.allocate(parameters);
  }

  std::vector<std::pair<std::string, Tensor>> state() override {
    std::vector<std::pair<std::string, Tensor>> out;
    for (std::size_t i = 0; i < moments_.size(); ++i) {
      if (moments_[i].size() == 2) {
        out.emplace_back(fmt::format("{}.row_var", i), moments_[i][0]);
        out.emplace_back(fmt::format("{}.col_var", i), moments_[i][1]);
      } else {
        out.emplace_back(fmt::format("{}.variance", i), moments_[i][0]);
      }
    }
    return out;
  }

 protected:
  void update(std::size_t i, Parameter& p) override {
    const Tensor update = update_.rows(0, p.value.numel()).reshape(p.value.shape());
    const double eps1 = eps1_.value_or(p.value.dtype() == DType::Float64 ? std::numeric_limits<double>::epsilon()
                                                                         : std::numeric_limits<float>::epsilon());
    const BoundOp::NamedValues moment_attributes{{"beta2_decay", beta2_decay_}, {"eps1", eps1}, {"step", static_cast<double>(step_)}};
    std::vector<Tensor> outputs = moments_[i];
    outputs.push_back(update);
    (outputs.size() == 3 ? factored_ : variance_).on(p.value)({p.grad}, outputs, moment_attributes);
    step_op_.on(p.value)({update, squares_.take(i, p.value, update)}, {p.value},
                         {{"lr", lr_}, {"eps2", eps2_}, {"d", d_}, {"weight_decay", weight_decay_}, {"step", static_cast<double>(step_)}});
  }

 private:
  OpHandle factored_, variance_, step_op_;
  double beta2_decay_, d_, weight_decay_;
  std::optional<double> eps1_;
  double eps2_ = 1e-3;
  std::vector<std::vector<Tensor>> moments_;  // each parameter's: row_var and col_var, or variance
  Tensor update_;
  optimizers::SumsOfSquares squares_;
};

}  // namespace

NNPLUG_PLUGIN("adafactor", "0.1.0", "op:adafactor_factored_update op:adafactor_variance_update op:adafactor_step optimizer:adafactor", 0) {
  OpHandle factored = registrar.add_op(factored_update_schema());
  OpHandle variance = registrar.add_op(variance_update_schema());
  OpHandle step = registrar.add_op(step_schema());
  registrar.add_kernel({"adafactor_factored_update", "cpu"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const auto& out = call.outputs;
      factored_update(AdafactorMoment(call), call.inputs[0].data<T>(), out[0].data<T>(), out[1].data<T>(), out[2].data<T>(),
                      factoring_of(call.inputs[0].shape()));
    });
  });
  registrar.add_kernel({"adafactor_variance_update", "cpu"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      variance_update(AdafactorMoment(call), call.inputs[0].data<T>(), call.outputs[0].data<T>(), call.outputs[1].data<T>(),
                      call.inputs[0].numel());
    });
  });
  registrar.add_kernel({"adafactor_step", "cpu"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      step_elements(AdafactorStep(call), call.inputs[0].data<T>(), call.inputs[1].data<T>(), call.outputs[0].data<T>(), call.inputs[0].numel());
    });
  });
#ifdef NNPLUG_PLUGIN_HAS_CUDA
  registrar.add_kernel({"adafactor_factored_update", "cuda"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      const auto& out = call.outputs;
      optimizers::adafactor_factored_update_cuda(AdafactorMoment(call), call.inputs[0].data<T>(), out[0].data<T>(), out[1].data<T>(),
                                                 out[2].data<T>(), factoring_of(call.inputs[0].shape()), call.stream);
    });
  });
  registrar.add_kernel({"adafactor_variance_update", "cuda"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      optimizers::adafactor_variance_update_cuda(AdafactorMoment(call), call.inputs[0].data<T>(), call.outputs[0].data<T>(),
                                                 call.outputs[1].data<T>(), call.inputs[0].numel(), call.stream);
    });
  });
  registrar.add_kernel({"adafactor_step", "cuda"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      optimizers::adafactor_step_cuda(AdafactorStep(call), call.inputs[0].data<T>(), call.inputs[1].data<T>(), call.outputs[0].data<T>(),
                                      call.inputs[0].numel(), call.stream);
    });
  });
#endif
  registrar.add_optimizer("adafactor", [factored, variance, step](const Params& p) {
    return std::make_unique<Adafactor>(factored, variance, step, p);
  });
}
