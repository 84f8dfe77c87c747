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

// Sizes whose product passes 64 bits are refused, not wrapped around: 2^62 x 784 wraps to 0 elements, and a view
// of 2^61 doubles to 0 bytes past its offset, which every buffer "fits".
TEST(Tensor, SizesPast64BitsAreRefusedNotWrapped) {
  const std::int64_t huge = std::int64_t{1} << 62;
  EXPECT_EQ(error_of([&] { (void)Shape({huge, 784}).numel(); }), "shape [4611686018427387904, 784] holds more elements than 64 bits count");
  EXPECT_EQ(Shape({huge, 1}).numel(), huge);
  auto be = cpu_backend();
  EXPECT_EQ(error_of([&] { be->empty(Shape{huge}, DType::Float32); }),
            "cpu backend: cannot create float32[4611686018427387904]: its size in bytes is negative or past 64 bits");
  EXPECT_EQ(error_of([&] { be->empty(Shape{-2, 3}, DType::Float32); }), "cpu backend: cannot create float32[-2, 3]: its size in bytes is negative or past 64 bits");
  Tensor t = be->empty(Shape{4}, DType::Float64);
  EXPECT_THROW(Tensor(t.buffer(), DType::Float64, Shape{std::int64_t{1} << 61}), ShapeError);
  EXPECT_THROW(Tensor(t.buffer(), DType::Float64, Shape{2}, ~std::size_t{0} - 1), ShapeError);
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
