#pragma once
// Synthetic data sets from the textbooks, seeded. Values are drawn in double (a float64 model gets them so; the
// caller converts them for a float32 one, Dataset::convert).
#include <cstdint>

#include "nnplug/framework/dataset.hpp"

namespace nnplug::synthetic {

// The XOR blobs of seed 000: four Gaussian blobs of samples / 4 points, means (1, -1), (1, 1), (-1, 1), (-1, -1),
// covariance 0.1 I; label 1 when both coordinates have the same sign.
Dataset xor_blobs(std::int64_t samples, std::uint64_t seed);

// Gaussian blobs as scikit-learn's make_blobs: `centers` centres drawn uniformly in [-10, 10]^features (or the
// given centre_points, `centers` rows of `features` values), samples spread evenly over them with standard
// deviation std; label = centre.
Dataset gaussian_blobs(std::int64_t samples, std::int64_t centers, std::int64_t features, double std, std::uint64_t seed,
                       std::vector<double> centre_points = {});

// The spiral data of CS231n: `classes` arms of points_per_class points in 2-D, radius 0..1, angle noise 0.2.
Dataset spirals(std::int64_t points_per_class, std::int64_t classes, std::uint64_t seed);

// Friedman's first regression problem (1991), as scikit-learn's make_friedman1: features uniform in [0, 1], of
// which the first five shape the target y = 10 sin(pi x0 x1) + 20 (x2 - 0.5)^2 + 10 x3 + 5 x4 + N(0, noise^2); a
// value target, one per sample.
Dataset friedman1(std::int64_t samples, std::int64_t features, double noise, std::uint64_t seed);

}  // namespace nnplug::synthetic
