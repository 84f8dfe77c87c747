#include "nnplug/framework/synthetic.hpp"

#include <cmath>
#include <numbers>

#include <fmt/format.h>

#include "nnplug/errors.hpp"

namespace nnplug::synthetic {

namespace {
Dataset points(std::int64_t n, std::int64_t features, std::int64_t classes) {
  if (n <= 0) throw InvalidArgument(fmt::format("a synthetic data set needs a positive number of samples, got {}", n));
  Dataset d;
  d.sample_shape = Shape{features};
  d.labels.resize(static_cast<std::size_t>(n));
  d.num_classes = classes;
  return d;
}
}  // namespace

Dataset xor_blobs(std::int64_t samples, std::uint64_t seed) {
  Dataset d = points(samples, 2, 2);
  std::vector<double> x(static_cast<std::size_t>(d.size() * d.features()));
  Random random(seed);
  const double means[4][2] = {{1, -1}, {1, 1}, {-1, 1}, {-1, -1}};
  const double std = std::sqrt(0.1);
  for (std::int64_t i = 0; i < samples; ++i) {
    const auto blob = static_cast<std::size_t>(std::min<std::int64_t>(3, i * 4 / samples));
    x[static_cast<std::size_t>(2 * i)] = random.normal(means[blob][0], std);
    x[static_cast<std::size_t>(2 * i + 1)] = random.normal(means[blob][1], std);
    d.labels[static_cast<std::size_t>(i)] = blob % 2 == 1 ? 1 : 0;
  }
  d.x = std::move(x);
  return d;
}

Dataset gaussian_blobs(std::int64_t samples, std::int64_t centers, std::int64_t features, double std, std::uint64_t seed,
                       std::vector<double> centre) {
  if (centers < 1 || features < 1 || !(std > 0))
    throw InvalidArgument("gaussian blobs need centers >= 1, features >= 1 and std > 0");
  Dataset d = points(samples, features, centers);
  std::vector<double> x(static_cast<std::size_t>(d.size() * d.features()));
  Random random(seed);
  if (centre.empty()) {
    centre.resize(static_cast<std::size_t>(centers * features));
    for (double& c : centre) c = random.uniform(-10.0, 10.0);
  } else if (centre.size() != static_cast<std::size_t>(centers * features)) {
    throw InvalidArgument(fmt::format("gaussian blobs: {} centre coordinates for {} centres of {} features", centre.size(), centers, features));
  }
  for (std::int64_t i = 0; i < samples; ++i) {
    const std::int64_t k = i % centers;
    for (std::int64_t f = 0; f < features; ++f)
      x[static_cast<std::size_t>(i * features + f)] =
          random.normal(centre[static_cast<std::size_t>(k * features + f)], std);
    d.labels[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(k);
  }
  d.x = std::move(x);
  return d;
}

Dataset spirals(std::int64_t points_per_class, std::int64_t classes, std::uint64_t seed) {
  if (points_per_class < 2 || classes < 1) throw InvalidArgument("spirals need points_per_class >= 2 and classes >= 1");
  Dataset d = points(points_per_class * classes, 2, classes);
  std::vector<double> x(static_cast<std::size_t>(d.size() * d.features()));
  Random random(seed);
  for (std::int64_t k = 0; k < classes; ++k)
    for (std::int64_t j = 0; j < points_per_class; ++j) {
      const double r = static_cast<double>(j) / static_cast<double>(points_per_class - 1);
      const double t = 4.0 * static_cast<double>(k) + 4.0 * r + random.normal(0.0, 0.2);
      const auto i = static_cast<std::size_t>(k * points_per_class + j);
      x[2 * i] = r * std::sin(t);
      x[2 * i + 1] = r * std::cos(t);
      d.labels[i] = static_cast<std::int32_t>(k);
    }
  d.x = std::move(x);
  return d;
}

Dataset friedman1(std::int64_t samples, std::int64_t features, double noise, std::uint64_t seed) {
  if (features < 5 || !(noise >= 0)) throw InvalidArgument("friedman1 needs features >= 5 (five of them shape the target) and noise >= 0");
  Dataset d = points(samples, features, 0);
  std::fill(d.labels.begin(), d.labels.end(), -1);
  d.target_width = 1;
  d.targets.resize(static_cast<std::size_t>(samples));
  std::vector<double> x(static_cast<std::size_t>(d.size() * d.features()));
  Random random(seed);
  for (std::int64_t i = 0; i < samples; ++i) {
    double* row = x.data() + i * features;
    for (std::int64_t f = 0; f < features; ++f) row[f] = random.uniform(0.0, 1.0);
    d.targets[static_cast<std::size_t>(i)] = static_cast<float>(10.0 * std::sin(std::numbers::pi * row[0] * row[1]) + 20.0 * (row[2] - 0.5) * (row[2] - 0.5) +
                                                                10.0 * row[3] + 5.0 * row[4] + random.normal(0.0, noise));
  }
  d.x = std::move(x);
  return d;
}

}  // namespace nnplug::synthetic
