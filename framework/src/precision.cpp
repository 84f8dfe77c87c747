#include "nnplug/framework/precision.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace nnplug {

std::string spec_precision(const Params& top) {
  const std::string precision = top.string("precision", "");
  if (!precision.empty() && precision != "float32" && precision != "bfloat16")
    top.fail("precision", fmt::format("must be \"float32\" or \"bfloat16\", got \"{}\"", Params::shortened(precision)));
  return precision;
}

DType spec_dtype(const Params& top) {
  const std::string dtype = top.string("dtype", "float32");
  if (dtype != "float32" && dtype != "float64")
    top.fail("dtype", fmt::format("must be \"float32\" or \"float64\", got \"{}\"", Params::shortened(dtype)));
  return dtype_from_name(dtype);
}

std::shared_ptr<Backend> create_backend_in_precision(const Registry& registry, const Params& backend, std::string& precision) {
  const Params::Json& given = backend.json();
  if (precision.empty()) {
    const auto own = given.find("precision");
    precision = own != given.end() && own->is_string() ? own->get<std::string>() : kDefaultPrecision;
    return registry.create_backend(backend);
  }
  if (given.contains("precision")) {
    if (given["precision"] != precision)
      throw InvalidArgument(fmt::format("{}: \"precision\" is {}, but the run's precision is \"{}\" (the spec's \"precision\" or --precision): "
                                        "give it in one place",
                                        backend.owner(), Params::shown(given["precision"]), precision));
    return registry.create_backend(backend);
  }
  // A backend that knows nothing of precisions still runs float32 runs.
  if (precision == kDefaultPrecision) return registry.create_backend(backend);
  Params::Json json = given;
  json["precision"] = precision;
  try {
    return registry.create_backend(Params(backend.owner(), json));
  } catch (const InvalidArgument& e) {
    // Blame the precision only where the backend takes its parameters without it.
    (void)registry.create_backend(backend);
    throw InvalidArgument(fmt::format("precision \"{}\" cannot run here: {} (--precision float32 runs without it)", precision, e.what()));
  }
}

std::string saved_precision(const Params::Json& spec) {
  for (const Params::Json* where : {&spec, spec.contains("backend") ? &spec["backend"] : nullptr})
    if (where && where->is_object() && where->contains("precision") && (*where)["precision"].is_string())
      return (*where)["precision"].get<std::string>();
  return kDefaultPrecision;
}

std::string describe_precision(const std::string& precision, DType model_dtype, const std::vector<std::string>& plugin_ops) {
  if (precision == kDefaultPrecision) return fmt::format("precision: {}", dtype_name(model_dtype));
  if (model_dtype != DType::Float32)
    return fmt::format("precision: {} asked, but the model computes in {}, which mixed precision leaves as it is", precision,
                       dtype_name(model_dtype));
  return fmt::format("precision: {} mixed (matrix products and convolutions read {} inputs and accumulate in float32; weights, "
                     "optimizer state, the loss and every other op in float32){}",
                     precision, precision,
                     plugin_ops.empty() ? "" : fmt::format("; plugin ops {} run in float32: their kernels have no {} form",
                                                           fmt::join(plugin_ops, ", "), precision));
}

}  // namespace nnplug
