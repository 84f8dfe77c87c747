// Experiment X5: activation statistics per layer for std 1, std 0.01, Xavier and He initialisation, with sigmoid
// and ReLU. Prints each layer's mean, standard deviation, saturated share and the 30-bin histogram on [0, 1].
//   usage: x5_activation_histograms
#include <cstdio>

#include "activation_statistics.hpp"
#include "nnplug/framework/plugin_loader.hpp"

int main() {
  using namespace nnplug;
  Registry registry;
  PluginLoader().load_all(registry);
  const std::pair<const char*, Params::Json> inits[] = {
      {"std 1", {{"type", "normal"}, {"std", 1.0}}},
      {"std 0.01", {{"type", "normal"}, {"std", 0.01}}},
      {"xavier (1/sqrt(n))", {{"type", "variance_scaling"}, {"scale", 1.0}, {"distribution", "normal"}}},
      {"he (sqrt(2/n))", "he_normal"}};
  for (const char* activation : {"sigmoid", "relu"})
    for (const auto& [label, init] : inits) {
      std::printf("%s, weights %s\n", activation, label);
      const auto layers = examples::activation_statistics(registry, activation, init, 0);
      for (std::size_t i = 0; i < layers.size(); ++i) {
        std::printf("  layer %zu: mean %.3g  std %.3g  within 0.05 of 0 or 1: %4.1f%%  histogram", i + 1,
                    layers[i].mean, layers[i].std, 100 * layers[i].near_ends);
        for (int b : layers[i].histogram) std::printf(" %d", b);
        std::printf("\n");
      }
    }
  return 0;
}
