// first_difference names the first field where two specs differ, in document order, as a spec path.
#include <gtest/gtest.h>

#include "nnplug/framework/json_difference.hpp"

namespace nnplug::test {
namespace {

using Json = Params::Json;

std::string difference(const char* a, const char* b) { return first_difference(Json::parse(a), Json::parse(b), "A", "B"); }

TEST(JsonDifference, EqualValuesHaveNoneAndNumbersCompareByValue) {
  EXPECT_EQ(difference(R"({"layers": [{"units": 4}], "blocks": null})", R"({"blocks": null, "layers": [{"units": 4.0}]})"), "");
}

TEST(JsonDifference, TheFirstDifferingFieldIsNamedWithBothValues) {
  EXPECT_EQ(difference(R"({"layers": [{"type": "dense", "units": 4}, {"type": "relu"}]})",
                       R"({"layers": [{"type": "dense", "units": 9}, {"type": "tanh"}]})"),
            "layers[0].units: 4 in A, 9 in B");
  EXPECT_EQ(difference(R"({"layers": [{"units": 4, "bias": true}]})", R"({"layers": [{"units": 4}]})"), "layers[0].bias: true in A, absent in B");
  EXPECT_EQ(difference(R"({"layers": [{"units": 4}]})", R"({"layers": [{"units": 4, "bias": false}]})"), "layers[0].bias: absent in A, false in B");
  EXPECT_EQ(difference(R"({"layers": [[1, 2]]})", R"({"layers": [[1, "2"]]})"), "layers[0][1]: 2 in A, \"2\" in B");
}

TEST(JsonDifference, ALayerOneSideLacksIsShownWhole) {
  EXPECT_EQ(difference(R"({"layers": [{"units": 4}]})", R"({"layers": [{"units": 4}, {"units": 2}]})"), "layers[1]: absent in A, {\"units\":2} in B");
  EXPECT_EQ(difference(R"({"layers": [{"units": 4}, {"units": 2}]})", R"({"layers": [{"units": 4}]})"), "layers[1]: {\"units\":2} in A, absent in B");
}

TEST(JsonDifference, ValuesOfAnotherKindDifferWhole) {
  EXPECT_EQ(difference(R"({"blocks": null})", R"({"blocks": {"res": {}}})"), "blocks: null in A, {\"res\":{}} in B");
  EXPECT_EQ(first_difference(Json(1), Json("1"), "A", "B"), "the whole value: 1 in A, \"1\" in B");
  EXPECT_EQ(first_difference(Json(1), Json(2), "A", "B", "data.samples"), "data.samples: 1 in A, 2 in B");
}

}  // namespace
}  // namespace nnplug::test
