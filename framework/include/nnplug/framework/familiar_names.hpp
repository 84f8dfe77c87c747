#pragma once
// A plugin name written as another framework writes it ("CrossEntropyLoss", "MaxPooling2D", "BatchNorm2d") or as
// nnplug's written another way ("softmax_crossentropy", "Conv2D"), pointed to nnplug's own, for the refusal of an
// unknown name: a PyTorch or Keras user's first spec is written in the names they know.
#include <string>
#include <vector>

namespace nnplug {

// " (did you mean 'softmax_cross_entropy'?)" where `name` is another spelling or another framework's name of one of
// `available`; "" where none fits.
std::string familiar_name_hint(const std::string& name, const std::vector<std::string>& available);

}  // namespace nnplug
