// cropping1d (Keras's Cropping1D, PyTorch's x[:, start:end]): the kept steps by their definition, in samples of
// features and of token ids, the float64 gradient check, and the refusals.
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace nnplug::test {
namespace {

std::shared_ptr<Layer> cropping(const char* json) { return registry().create_layer(Params("test", Params::Json::parse(json))); }

// Sample k's step t, feature f is k * 100 + t * 10 + f: what each output element must hold names where it came from.
std::vector<double> numbered(std::int64_t samples, std::int64_t steps, std::int64_t features) {
  std::vector<double> v;
  for (std::int64_t k = 0; k < samples; ++k)
    for (std::int64_t t = 0; t < steps; ++t)
      for (std::int64_t f = 0; f < features; ++f) v.push_back(static_cast<double>(k * 100 + t * 10 + f));
  return v;
}

TEST(Cropping1d, KeepsTheStepsBetweenTheCutEnds) {
  auto be = cpu_backend();
  auto layer = cropping(R"({"type": "cropping1d", "cropping": [1, 2]})");
  EXPECT_EQ(layer->build(Shape{6, 3}, BuildContext{*be, DType::Float64}), (Shape{3, 3}));
  const auto y = to_host<double>(layer->forward(tensor(*be, Shape{2, 6, 3}, numbered(2, 6, 3), DType::Float64)));
  std::vector<double> want;
  for (const int k : {0, 1})
    for (const int t : {1, 2, 3})
      for (const int f : {0, 1, 2}) want.push_back(k * 100 + t * 10 + f);
  EXPECT_EQ(y, want);
  // The gradient: dL/dy in the kept steps, zero in the cut ones.
  const auto dx = to_host<double>(layer->backward(tensor(*be, Shape{2, 3, 3}, want, DType::Float64), true));
  for (std::int64_t k = 0; k < 2; ++k)
    for (std::int64_t t = 0; t < 6; ++t)
      for (std::int64_t f = 0; f < 3; ++f)
        EXPECT_EQ(dx[static_cast<std::size_t>((k * 6 + t) * 3 + f)], t >= 1 && t <= 3 ? k * 100 + t * 10 + f : 0.0) << k << " " << t << " " << f;
}

// A number crops both ends; token ids [steps] are cropped as steps of one feature.
TEST(Cropping1d, CropsBothEndsAndSamplesOfIds) {
  auto be = cpu_backend();
  auto layer = cropping(R"({"type": "cropping1d", "cropping": 2})");
  EXPECT_EQ(layer->build(Shape{7}, BuildContext{*be, DType::Float32}), (Shape{3}));
  const auto y = to_host<double>(layer->forward(tensor(*be, Shape{1, 7}, {9, 8, 7, 6, 5, 4, 3}, DType::Float32)));
  EXPECT_EQ(y, (std::vector<double>{7, 6, 5}));
}

TEST(GradientCheck, Cropping1d) {
  check_layer(*cropping(R"({"type": "cropping1d", "cropping": [2, 1]})"), Shape{5, 3}, 2, random_normal(30, 41));
  check_layer(*cropping(R"({"type": "cropping1d", "cropping": [0, 3]})"), Shape{4}, 3, random_normal(12, 42));
}

TEST(Cropping1d, RefusesCroppingThatLeavesNothingOrIsNotTwoEnds) {
  auto be = cpu_backend();
  EXPECT_EQ(error_of([&] { cropping(R"({"type": "cropping1d", "cropping": [2, 3]})")->build(Shape{5, 2}, BuildContext{*be, DType::Float32}); }),
            "cropping1d: cropping [2, 3] leaves no step of [5, 2]");
  EXPECT_EQ(error_of([&] { cropping(R"({"type": "cropping1d"})"); }), "test: parameter 'cropping' is required: a number (both ends) or [start, end]");
  for (const char* bad : {R"([1, 2, 3])", R"(-1)", R"([1, 0.5])", R"("1")"})
    EXPECT_EQ(error_of([&] { cropping(fmt::format(R"({{"type": "cropping1d", "cropping": {}}})", bad).c_str()); }),
              fmt::format("test: parameter 'cropping' must be a number or [start, end] of whole numbers in [0, 1099511627776], got {}",
                          Params::Json::parse(bad).dump()));
  EXPECT_EQ(error_of([&] { cropping(R"({"type": "cropping1d", "cropping": 1, "axis": 2})"); }), "test: unknown parameter 'axis' (it takes: cropping, type)");
}

}  // namespace
}  // namespace nnplug::test
