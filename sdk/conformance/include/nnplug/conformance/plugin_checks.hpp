#pragma once
// The checks that fit a registered plugin, chosen by its kind ("activation", "layer", ...): what
// `nnplug plugin-check PATH.so` runs for each name the library provides.
#include <string>
#include <vector>

#include "nnplug/conformance/gradient_check.hpp"
#include "nnplug/framework/registry.hpp"

namespace nnplug::conformance {

// A model of this one layer (spec: its JSON), saved with save_model and loaded back with load_model, gives the
// same output for the same input, bit for bit: every parameter and buffer reaches the file.
CheckResult check_layer_save_load(const Registry& registry, const Params::Json& layer_spec, const Shape& sample);

// `extra` holds parameters for the plugin's spec (e.g. {"units": 3} for a layer that requires units). Common
// settings the checks need are added when the plugin accepts them: lr 0.1 and weight_decay 0 for optimizers. A
// layer is checked on samples of `sample`'s shape ([steps, features] for a sequence layer).
std::vector<CheckResult> check_registered(const Registry& registry, const std::string& kind, const std::string& name,
                                          const Params::Json& extra = Params::Json::object(), const Shape& sample = Shape{6});

}  // namespace nnplug::conformance
