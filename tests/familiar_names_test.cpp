// An unknown plugin name written as PyTorch or Keras write it, or as nnplug's spelled another way, is pointed to
// nnplug's own; a name nothing fits gets no guess. So is a plugin's parameter that another framework names so.
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

// A parameter as PyTorch or Keras name it is pointed to nnplug's, where the refusal names either and nnplug's is not
// given beside it.
TEST(FamiliarNames, AParameterAsAnotherFrameworkNamesItIsPointedToNnplugs) {
  const nlohmann::json adam = {{"type", "adam"}, {"learning_rate", 0.01}, {"epsilon", 1e-7}};
  EXPECT_EQ(familiar_parameter_hint(adam, "optimizer: unknown parameter 'epsilon', 'learning_rate' (it takes: betas, eps, lr, type)"),
            " (Keras's 'learning_rate' is nnplug's 'lr'; Keras's 'epsilon' is nnplug's 'eps')");
  EXPECT_EQ(familiar_parameter_hint({{"type", "conv2d"}, {"out_channels", 8}}, "conv2d: parameter 'filters' is required"),
            " (PyTorch's 'out_channels' is nnplug's 'filters')");
  EXPECT_EQ(familiar_parameter_hint({{"type", "max_pool2d"}, {"kernel_size", 2}}, "unknown parameter 'kernel_size'"),
            " (PyTorch's 'kernel_size' is nnplug's 'pool_size')");
  EXPECT_EQ(familiar_parameter_hint({{"type", "categorical_cross_entropy"}, {"from_logits", true}}, "loss: unknown parameter 'from_logits'"),
            " (Keras's 'from_logits' is nnplug's choice of loss: softmax_cross_entropy and binary_cross_entropy take logits, "
            "categorical_cross_entropy probabilities)");
  // Keras's ImageDataGenerator's names in the spec's augmentation.
  EXPECT_EQ(familiar_parameter_hint({{"rotation_range", 10}, {"brightness_range", {0.8, 1.2}}},
                                    "augmentation: unknown parameter 'brightness_range', 'rotation_range' (it takes: ...)"),
            " (Keras's 'rotation_range' is nnplug's 'rotation'; Keras's 'brightness_range' [low, high] is nnplug's 'brightness' b, a factor "
            "in [1 - b, 1 + b])");
}

TEST(FamiliarNames, NoParameterHintWhereTheRefusalIsAboutAnotherOrNnplugsNameIsGiven) {
  EXPECT_EQ(familiar_parameter_hint({{"learning_rate", 0.01}}, "optimizer: parameter 'betas' must hold 2 numbers"), "");
  EXPECT_EQ(familiar_parameter_hint({{"learning_rate", 0.01}, {"lr", 0.1}}, "optimizer: unknown parameter 'learning_rate'"), "");
  EXPECT_EQ(familiar_parameter_hint({{"type", "conv2d"}, {"kernel_size", 3}}, "conv2d: parameter 'filters' is required"), "");
  EXPECT_EQ(familiar_parameter_hint({{"type", "conv1d"}, {"kernel_size", {3}}}, "parameter 'kernel_size' must be a number: the window is 1-D"), "");
  EXPECT_EQ(familiar_parameter_hint("adam", "unknown parameter 'lr'"), "");
}

}  // namespace
}  // namespace nnplug::test
