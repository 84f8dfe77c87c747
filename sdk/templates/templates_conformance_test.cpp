// The conformance kit instantiated for the templates: what an author's test of their own plugin looks like.
#include "nnplug/conformance/gtest_suites.hpp"

using namespace nnplug::conformance;

INSTANTIATE_TEST_SUITE_P(Template, ActivationConformance,
                         ::testing::Values(R"("my_activation")", R"({"type": "my_activation", "a": 2.0, "b": 0.5})"));
INSTANTIATE_TEST_SUITE_P(Template, LayerConformance,
                         ::testing::Values(LayerCase{R"({"type": "my_layer", "units": 3})", {5}, 4},
                                           LayerCase{R"({"type": "my_layer", "units": 2})", {2, 3}, 3}));
INSTANTIATE_TEST_SUITE_P(Template, LossConformance, ::testing::Values(LossCase{R"("my_loss")", Target::Values}));
INSTANTIATE_TEST_SUITE_P(Template, OpConformance, ::testing::Values("my_op", "my_op_grad"));
INSTANTIATE_TEST_SUITE_P(TemplateOp, ActivationConformance, ::testing::Values(R"({"type": "my_op", "scale": 1.5})"));
