// Fuzz target: a model file's and a checkpoint's metadata. The input is the metadata's values separated by NUL
// bytes, in this order: nnplug.spec, nnplug.input_shape, nnplug.plugins, nnplug.counters, nnplug.optimizer,
// nnplug.optimizer_steps, nnplug.epoch, nnplug.preprocessing, nnplug.target_scaling, nnplug.callbacks,
// nnplug.class_names, nnplug.columns; a value the input does not reach is absent. Any input must either be read or throw IoError; anything else (a crash, a sanitizer report,
// another exception) is a bug.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "nnplug/errors.hpp"
#include "nnplug/framework/model_metadata.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const char* const keys[] = {"nnplug.spec",    "nnplug.input_shape",     "nnplug.plugins", "nnplug.counters",
                                     "nnplug.optimizer", "nnplug.optimizer_steps", "nnplug.epoch", "nnplug.preprocessing",
                                     "nnplug.target_scaling", "nnplug.callbacks", "nnplug.class_names", "nnplug.columns"};
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::map<std::string, std::string> metadata;
  std::size_t at = 0;
  for (const char* key : keys) {
    if (at > text.size()) break;
    const auto end = std::min(text.find('\0', at), text.size());
    metadata[key] = text.substr(at, end - at);
    at = end + 1;
  }
  try {
    const auto model = nnplug::read_model_metadata(metadata, "fuzz.safetensors");
    if (!model.spec.is_object() || model.input_shape.rank() == 0 || model.input_shape.numel() < 1) __builtin_trap();
    for (std::size_t j = 0; j < model.target_scaling.width(); ++j)
      if (!(model.target_scaling.scale(j) > 0.0)) __builtin_trap();
  } catch (const nnplug::IoError&) {
  }
  try {
    const auto checkpoint = nnplug::read_checkpoint_metadata(metadata, "fuzz.safetensors");
    if (checkpoint.epoch < 0 || checkpoint.optimizer_steps < 0) __builtin_trap();
    for (const auto& c : checkpoint.callbacks)
      if (c.weights > 1000000) __builtin_trap();
  } catch (const nnplug::IoError&) {
  }
  return 0;
}
