// Tensor views: strides, row slices and reshapes share the buffer and check their bounds.
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace nnplug::test {
namespace {

TEST(Tensor, StridesAreRowMajor) {
  auto be = cpu_backend();
  EXPECT_EQ(be->empty(Shape{2, 3, 4}, DType::Float32).strides(), (Shape{12, 4, 1}));
}

TEST(Tensor, RowsAndReshapeAreViewsOfTheSameBuffer) {
  auto be = cpu_backend();
  Tensor t = tensor(*be, Shape{3, 2}, {1, 2, 3, 4, 5, 6});
  Tensor middle = t.rows(1, 2);
  EXPECT_EQ(middle.shape(), (Shape{1, 2}));
  EXPECT_EQ(to_host<double>(middle), (std::vector<double>{3, 4}));
  from_host(middle, std::vector<double>{30, 40});
  EXPECT_EQ(to_host<double>(t.reshape(Shape{6})), (std::vector<double>{1, 2, 30, 40, 5, 6}));
}

TEST(Tensor, BadViewsAreShapeErrors) {
  auto be = cpu_backend();
  Tensor t = be->empty(Shape{3, 2}, DType::Float64);
  try {
    t.reshape(Shape{4});
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "cannot reshape [3, 2] to [4]: element counts differ");
  }
  EXPECT_THROW(t.rows(2, 4), ShapeError);
}

TEST(Tensor, HostCopiesConvertBetweenDtypes) {
  auto be = cpu_backend();
  Tensor t = tensor(*be, Shape{3}, {1.5, -2.0, 3.25}, DType::Float32);
  EXPECT_EQ(to_host<double>(t), (std::vector<double>{1.5, -2.0, 3.25}));
  Tensor labels = tensor(*be, Shape{2}, {7, 9}, DType::Int32);
  EXPECT_EQ(to_host<std::int32_t>(labels), (std::vector<std::int32_t>{7, 9}));
}

}  // namespace
}  // namespace nnplug::test
