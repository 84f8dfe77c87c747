#include "activation_statistics.hpp"

#include <cmath>

#include "nnplug/framework/activation_layer.hpp"
#include "nnplug/framework/model.hpp"

namespace nnplug::examples {

std::vector<LayerActivations> activation_statistics(const Registry& registry, const std::string& activation,
                                                    const Params::Json& weight_init, std::uint64_t seed) {
  constexpr int kLayers = 5, kUnits = 100, kSamples = 1000;
  auto backend = registry.create_backend(Params("backend", "cpu"));
  Model model(backend, DType::Float64);
  for (int i = 0; i < kLayers; ++i) {
    model.add(registry.create_layer(Params("dense", {{"type", "dense"}, {"units", kUnits}, {"bias", false},
                                                     {"weight_init", weight_init}})),
              "dense " + std::to_string(i + 1));
    model.add(std::make_shared<ActivationLayer>(registry.create_activation(Params("activation", activation))),
              activation + " " + std::to_string(i + 1));
  }
  model.build(Shape{kUnits}, registry, seed);
  model.set_training(false);

  Random random(seed + 1);
  std::vector<double> x(kSamples * kUnits);
  for (double& v : x) v = random.normal();
  Tensor h = backend->empty(Shape{kSamples, kUnits}, DType::Float64);
  from_host(h, x);
  std::vector<LayerActivations> out;
  for (std::size_t i = 0; i < model.size(); ++i) {
    h = model.layer(i).forward(h);
    if (i % 2 == 0) continue;  // statistics after each activation
    const auto a = to_host<double>(h);
    LayerActivations s;
    s.histogram.assign(30, 0);
    for (double v : a) {
      s.mean += v / static_cast<double>(a.size());
      s.near_ends += (v < 0.05 || v > 0.95) / static_cast<double>(a.size());
      if (v >= 0 && v <= 1) ++s.histogram[static_cast<std::size_t>(std::min(29.0, v * 30))];
    }
    for (double v : a) s.std += (v - s.mean) * (v - s.mean) / static_cast<double>(a.size());
    s.std = std::sqrt(s.std);
    out.push_back(s);
  }
  return out;
}

}  // namespace nnplug::examples
