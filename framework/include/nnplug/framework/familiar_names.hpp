#pragma once
// A plugin or parameter name written as another framework writes it ("CrossEntropyLoss", "MaxPooling2D", "BatchNorm2d") or as
// nnplug's written another way ("softmax_crossentropy", "Conv2D"), pointed to nnplug's own, for the refusal of an
// unknown name: a PyTorch or Keras user's first spec is written in the names they know.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nnplug/errors.hpp"

namespace nnplug {

// " (did you mean 'softmax_cross_entropy'?)" where `name` is another spelling or another framework's name of one of
// `available`; "" where none fits.
std::string familiar_name_hint(const std::string& name, const std::vector<std::string>& available);

// " (Keras's 'learning_rate' is nnplug's 'lr')" for each parameter of `given` (a plugin's JSON object) that
// another framework names so, where nnplug's name is not given too and the plugin's refusal `message` finds it
// unknown or nnplug's required; "" where none fits.
std::string familiar_parameter_hint(const nlohmann::json& given, const std::string& message);

// `error`, a refusal of `given` (a plugin's, a callback's or a section's JSON), with familiar_parameter_hint's pointers.
InvalidArgument with_familiar_hint(const InvalidArgument& error, const nlohmann::json& given);

}  // namespace nnplug
