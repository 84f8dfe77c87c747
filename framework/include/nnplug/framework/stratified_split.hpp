#pragma once
// A split of the samples into training, validation and test parts made within each class, as scikit-learn's
// train_test_split(stratify=y) makes it (the data section's "stratify"), so that a rare class is not left out of a
// small validation set by chance.
#include <cstdint>
#include <vector>

#include "nnplug/framework/dataset.hpp"

namespace nnplug {

// split_three_rows within each class of `labels` (one class index per sample): each part holds about each class's
// share of the whole (the fractions of the class's count, rounded). Each part's rows are in a seeded order that mixes
// the classes.
SplitRows stratified_split_three_rows(const std::vector<std::int32_t>& labels, double validation_fraction, double test_fraction,
                                      std::uint64_t seed);

}  // namespace nnplug
