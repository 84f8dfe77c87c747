#pragma once
// Mixed precision: the spec's "precision" ("float32", the default, or "bfloat16"; also --precision) asks the backend
// to run matrix products and convolutions of float32 tensors in bfloat16 with float32 accumulation, as PyTorch's
// autocast does. Weights, optimizer state, the loss, reductions and every other op stay float32, checkpoints and
// saved models too; a float64 model is left as it is. The precision reaches the backend as its "precision"
// parameter, so that any backend plugin can offer it and refuse it with its own reason (a CPU without bfloat16).
#include <memory>
#include <string>
#include <vector>

#include "nnplug/framework/registry.hpp"

namespace nnplug {

inline constexpr const char* kDefaultPrecision = "float32";

// The spec's "precision", checked, or "" where it gives none; `top` is the spec's top level.
std::string spec_precision(const Params& top);
// The spec's "dtype", what the model computes and keeps its weights in: float32 (the default) or float64.
DType spec_dtype(const Params& top);

// The backend `backend` describes, running in `precision`. An empty precision is the backend's own "precision"
// parameter, else float32, and `precision` is set to it. A backend whose own "precision" disagrees is refused,
// naming both; a backend that cannot run in that precision is refused with its reason and a way out.
std::shared_ptr<Backend> create_backend_in_precision(const Registry& registry, const Params& backend, std::string& precision);

// The precision a saved spec (a model file's or a checkpoint's) ran in: its "precision", else its backend
// section's, else float32.
std::string saved_precision(const Params::Json& spec);

// One line for a run's banner: what runs in which precision on this model; in mixed precision, also the plugin ops
// the model binds (`plugin_ops`, see custom_op.hpp), which run in float32 because their kernels have no bfloat16 form.
std::string describe_precision(const std::string& precision, DType model_dtype, const std::vector<std::string>& plugin_ops = {});

}  // namespace nnplug
