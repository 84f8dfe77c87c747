// An unknown plugin name written as PyTorch or Keras write it, or as nnplug's spelled another way, is pointed to
// nnplug's own; a name nothing fits gets no guess.
#include <gtest/gtest.h>

#include "nnplug/framework/familiar_names.hpp"

namespace nnplug::test {
namespace {

const std::vector<std::string> kLosses = {"binary_cross_entropy", "categorical_cross_entropy", "mse", "softmax_cross_entropy"};
const std::vector<std::string> kLayers = {"batch_norm", "conv2d", "dense", "max_pool2d", "relu"};

TEST(FamiliarNames, AnotherSpellingOfAnNnplugNameIsPointedToIt) {
  EXPECT_EQ(familiar_name_hint("softmax_crossentropy", kLosses), " (did you mean 'softmax_cross_entropy'?)");
  EXPECT_EQ(familiar_name_hint("CategoricalCrossentropy", kLosses), " (did you mean 'categorical_cross_entropy'?)");
  EXPECT_EQ(familiar_name_hint("Conv2D", kLayers), " (did you mean 'conv2d'?)");
  EXPECT_EQ(familiar_name_hint("ReLU", kLayers), " (did you mean 'relu'?)");
}

TEST(FamiliarNames, PyTorchsAndKerassNamesArePointedToNnplugs) {
  EXPECT_EQ(familiar_name_hint("CrossEntropyLoss", kLosses), " (did you mean 'softmax_cross_entropy'?)");
  EXPECT_EQ(familiar_name_hint("sparse_categorical_crossentropy", kLosses), " (did you mean 'categorical_cross_entropy'?)");
  EXPECT_EQ(familiar_name_hint("MSELoss", kLosses), " (did you mean 'mse'?)");
  EXPECT_EQ(familiar_name_hint("Linear", kLayers), " (did you mean 'dense'?)");
  EXPECT_EQ(familiar_name_hint("BatchNorm2d", kLayers), " (did you mean 'batch_norm'?)");
  EXPECT_EQ(familiar_name_hint("MaxPooling2D", kLayers), " (did you mean 'max_pool2d'?)");
}

TEST(FamiliarNames, NoGuessWhereNothingFitsOrTheNameIsNotAvailable) {
  EXPECT_EQ(familiar_name_hint("mish", kLayers), "");
  EXPECT_EQ(familiar_name_hint("Linear", kLosses), "");  // dense is a layer, not among these
  EXPECT_EQ(familiar_name_hint("", kLosses), "");
}

}  // namespace
}  // namespace nnplug::test
