#include "nnplug/framework/stratified_split.hpp"

#include <map>
#include <utility>

#include "nnplug/random.hpp"

namespace nnplug {

SplitRows stratified_split_three_rows(const std::vector<std::int32_t>& labels, double validation_fraction, double test_fraction,
                                      std::uint64_t seed) {
  std::map<std::int32_t, std::vector<std::int64_t>> classes;  // each class's rows
  for (std::size_t i = 0; i < labels.size(); ++i) classes[labels[i]].push_back(static_cast<std::int64_t>(i));
  SplitRows out;
  for (const auto& [label, rows] : classes) {
    const SplitRows within = split_three_rows(static_cast<std::int64_t>(rows.size()), validation_fraction, test_fraction,
                                              seed + static_cast<std::uint64_t>(label));
    for (const auto& [from, to] : {std::pair{&within.train, &out.train}, {&within.validation, &out.validation}, {&within.test, &out.test}})
      for (const std::int64_t row : *from) to->push_back(rows[static_cast<std::size_t>(row)]);
  }
  // The classes come one after another: a seeded order mixes them (Fisher-Yates), as the plain split's order does.
  Random random(seed ^ 0x57a7ULL);
  for (auto* part : {&out.train, &out.validation, &out.test})
    for (std::size_t i = part->size(); i > 1; --i) std::swap((*part)[i - 1], (*part)[random.below(i)]);
  return out;
}

}  // namespace nnplug
