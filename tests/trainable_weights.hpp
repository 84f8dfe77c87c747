#pragma once
// A model's trainable weights end to end, as the tests of the callbacks that average or move them compare them.
#include <vector>

#include "nnplug/framework/model.hpp"
#include "test_support.hpp"

namespace nnplug::test {

inline std::vector<double> trainable_weights(const Model& model) {
  std::vector<double> all;
  for (const Parameter* p : model.parameters(true)) {
    const auto v = to_host<double>(p->value);
    all.insert(all.end(), v.begin(), v.end());
  }
  return all;
}

}  // namespace nnplug::test
