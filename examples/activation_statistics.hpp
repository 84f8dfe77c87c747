#pragma once
// Experiment X5 (seed 004, after CS231n): 1000 random inputs of 100 features through 5 layers of 100 units (no
// bias) with a given activation and weight initializer; the statistics of each layer's activations.
#include <cstdint>
#include <string>
#include <vector>

#include "nnplug/framework/registry.hpp"

namespace nnplug::examples {

struct LayerActivations {
  double mean = 0, std = 0;
  double near_ends = 0;          // share of values within 0.05 of 0 or 1 (saturated sigmoids)
  std::vector<int> histogram;    // 30 bins over [0, 1], as the chapter plots them
};

std::vector<LayerActivations> activation_statistics(const Registry& registry, const std::string& activation,
                                                    const Params::Json& weight_init, std::uint64_t seed);

}  // namespace nnplug::examples
