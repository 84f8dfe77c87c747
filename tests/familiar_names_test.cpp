// An unknown plugin name written as PyTorch or Keras write it, or as nnplug's spelled another way, is pointed to
// nnplug's own; a name nothing fits gets no guess.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "nnplug/framework/familiar_names.hpp"

namespace nnplug::test {
namespace {

const std::vector<std::string> kLosses = {"binary_cross_entropy", "categorical_cross_entropy", "mse", "softmax_cross_entropy"};
const std::vector<std::string> kLayers = {"batch_norm", "conv2d", "dense", "max_pool2d", "relu"};

// Other spellings of nnplug's names, then PyTorch's and Keras's names, each with the name it is pointed to.
TEST(FamiliarNames, AnotherSpellingOrAnotherFrameworksNameIsPointedToNnplugs) {
  const struct {
    const char* name;
    const std::vector<std::string>& available;
    const char* nnplug;
  } cases[] = {{"softmax_crossentropy", kLosses, "softmax_cross_entropy"}, {"CategoricalCrossentropy", kLosses, "categorical_cross_entropy"},
               {"Conv2D", kLayers, "conv2d"}, {"ReLU", kLayers, "relu"},
               {"CrossEntropyLoss", kLosses, "softmax_cross_entropy"}, {"sparse_categorical_crossentropy", kLosses, "categorical_cross_entropy"},
               {"MSELoss", kLosses, "mse"}, {"Linear", kLayers, "dense"}, {"BatchNorm2d", kLayers, "batch_norm"},
               {"MaxPooling2D", kLayers, "max_pool2d"}};
  for (const auto& c : cases) EXPECT_EQ(familiar_name_hint(c.name, c.available), fmt::format(" (did you mean '{}'?)", c.nnplug)) << c.name;
}

TEST(FamiliarNames, NoGuessWhereNothingFitsOrTheNameIsNotAvailable) {
  EXPECT_EQ(familiar_name_hint("mish", kLayers), "");
  EXPECT_EQ(familiar_name_hint("Linear", kLosses), "");  // dense is a layer, not among these
  EXPECT_EQ(familiar_name_hint("", kLosses), "");
}

}  // namespace
}  // namespace nnplug::test
