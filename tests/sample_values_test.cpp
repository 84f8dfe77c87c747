// Byte-coded sample values (IDX pixels kept as bytes): decoded values are bit for bit what float arithmetic on the
// pixels gives, through the division by 255, scalar and per-feature standardization, selection of rows, dtype
// conversion and batch gathering; and they hold a quarter of float32's memory.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include <fmt/format.h>

#include "nnplug/framework/dataset.hpp"
#include "nnplug/framework/preprocessing.hpp"

namespace nnplug {
namespace {

// Three samples of four pixels, every value of a byte's range touched somewhere.
Dataset pixels(DType dtype = DType::Float32) {
  std::vector<unsigned char> file = {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2};
  for (int v : {0, 17, 128, 255, 3, 99, 200, 254, 1, 77, 255, 0}) file.push_back(static_cast<unsigned char>(v));
  Dataset d = parse_idx_images(file, "pixels.idx", 255.0, dtype);
  d.labels = {0, 1, 2};
  d.num_classes = 3;
  return d;
}

std::vector<float> as_floats(const SampleValues& v) {
  std::vector<float> out;
  v.visit([&](const auto& values) { out.assign(values.begin(), values.end()); });
  return out;
}

TEST(SampleValues, IdxPixelsStayBytesAndDecodeAsFloat32Division) {
  const Dataset d = pixels();
  EXPECT_TRUE(d.x.byte_coded());
  const std::vector<float> got = as_floats(d.x);
  const int bytes[] = {0, 17, 128, 255, 3, 99, 200, 254, 1, 77, 255, 0};
  for (std::size_t i = 0; i < got.size(); ++i) {
    const float want = static_cast<float>(bytes[i]) / 255.0f;  // torchvision's ToTensor
    EXPECT_EQ(std::memcmp(&got[i], &want, sizeof(float)), 0) << i;
    EXPECT_EQ(d.x[i], static_cast<double>(want)) << i;
  }
}

TEST(SampleValues, StandardizationMapsTheTablesAsItMapsFloats) {
  for (const bool per_feature : {false, true}) {
    SCOPED_TRACE(per_feature ? "per feature" : "scalar");
    Dataset coded = pixels(), plain = pixels();
    plain.x.decode();
    ASSERT_FALSE(plain.x.byte_coded());
    Standardizer s(true, per_feature);
    s.fit(coded);
    s.apply(coded);
    s.apply(plain);
    EXPECT_TRUE(coded.x.byte_coded());
    EXPECT_EQ(as_floats(coded.x), as_floats(plain.x));
    // And against the formula itself, feature 2 of sample 1 (byte 200).
    const double g = per_feature ? 2 : 0;
    const float pixel = 200.0f / 255.0f;
    const auto want = static_cast<float>((static_cast<double>(pixel) - s.mean()[static_cast<std::size_t>(g)]) /
                                         (s.std()[static_cast<std::size_t>(g)] + 1e-8));
    EXPECT_EQ(coded.x[6], static_cast<double>(want));
  }
}

TEST(SampleValues, RowsSelectedStayBytesAndGatheredRowsAreDecoded) {
  Dataset d = pixels();
  Standardizer s(true, true);
  s.fit(d);
  s.apply(d);
  const std::vector<std::int64_t> rows = {2, 0};
  const Dataset picked = d.subset(rows);
  EXPECT_TRUE(picked.x.byte_coded());
  EXPECT_EQ(picked.labels, (std::vector<std::int32_t>{2, 0}));
  SampleValues batch;
  d.x.gather_rows(rows, 4, batch);
  EXPECT_FALSE(batch.byte_coded());
  const std::vector<float> all = as_floats(d.x), got = as_floats(batch);
  ASSERT_EQ(got.size(), 8u);
  for (std::size_t j = 0; j < 4; ++j) {
    EXPECT_EQ(got[j], all[8 + j]);
    EXPECT_EQ(got[4 + j], all[j]);
  }
  EXPECT_EQ(as_floats(picked.x), got);
}

// Rows gathered in shuffled order, with one table and with a table per feature, byte-coded and decoded: each
// gathered value is the one its byte stands for, for three rows and for a batch of 1,200 rows, large enough to be
// gathered on several threads.
TEST(SampleValues, GatheredRowsOfAnyWidthHoldTheValueOfEachByte) {
  constexpr std::size_t features = 37, samples = 6;
  std::vector<std::uint8_t> bytes(features * samples);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>((i * 37 + 11) % 256);
  std::vector<std::int64_t> many(1200);
  for (std::size_t i = 0; i < many.size(); ++i) many[i] = static_cast<std::int64_t>((i * 5 + 1) % samples);
  for (const bool per_feature : {false, true}) {
    SampleValues coded = SampleValues::from_bytes(bytes, features, DType::Float32, [](std::uint8_t b) { return b / 7.0 - 2.0; });
    if (per_feature) coded.map_values(features, true, [](double x, std::size_t f) { return x * static_cast<double>(f + 1); });
    for (const SampleValues& v : {coded, coded.decoded()})
      for (const std::vector<std::int64_t>& rows : {std::vector<std::int64_t>{5, 0, 3}, many}) {
        SCOPED_TRACE(fmt::format("{}, {}, {} rows", per_feature ? "per feature" : "one table", v.byte_coded() ? "coded" : "decoded", rows.size()));
        std::vector<float> got(rows.size() * features);
        v.gather_rows(rows, features, got.data());
        for (std::size_t i = 0; i < rows.size(); ++i)
          for (std::size_t j = 0; j < features; ++j) {
            const std::size_t at = static_cast<std::size_t>(rows[i]) * features + j;
            const auto value = static_cast<double>(static_cast<float>(bytes[at] / 7.0 - 2.0));  // each table holds float32 values
            ASSERT_EQ(got[i * features + j], static_cast<float>(value * (per_feature ? static_cast<double>(j + 1) : 1.0))) << i << ", " << j;
          }
      }
  }
}

// Pixels over a divisor are decoded by dividing rather than by lookup: every byte, gathered in float32 and float64 in
// a batch of 3 rows and in one of 200 rows (several threads), is bit for bit the byte divided in that dtype, for
// divisors that are and are not powers of two, below one and negative. A table that is a division but for one
// entry is still decoded by lookup.
TEST(SampleValues, PixelsOverADivisorDecodeAsTheDivisionBitForBit) {
  constexpr std::size_t features = 256;
  std::vector<std::uint8_t> bytes(features * 3);
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::uint8_t>((i * 7 + i / features) % 256);
  std::vector<std::int64_t> many(200);
  for (std::size_t i = 0; i < many.size(); ++i) many[i] = static_cast<std::int64_t>((i * 5 + 1) % 3);
  const auto bits = [](auto v) { return std::bit_cast<std::conditional_t<sizeof(v) == 4, std::uint32_t, std::uint64_t>>(v); };
  for (const double divisor : {255.0, 7.0, 1.0, 64.0, 0.3, -3.0, 1e-3}) {
    for (const bool off_by_one_entry : {false, true}) {
      // As the IDX reader: float32 divides in float32, float64 in double; byte 200 stands for 42 in the odd table.
      const auto wide = [&](std::uint8_t b) { return off_by_one_entry && b == 200 ? 42.0 : static_cast<double>(b) / divisor; };
      const auto narrow = [&](std::uint8_t b) {
        return off_by_one_entry && b == 200 ? 42.0f : static_cast<float>(b) / static_cast<float>(divisor);
      };
      const SampleValues as_float = SampleValues::from_bytes(bytes, features, DType::Float32, [&](std::uint8_t b) { return static_cast<double>(narrow(b)); });
      const SampleValues as_double = SampleValues::from_bytes(bytes, features, DType::Float64, wide);
      for (const std::vector<std::int64_t>& rows : {std::vector<std::int64_t>{2, 0, 1}, many}) {
        SCOPED_TRACE(fmt::format("divisor {}{}, {} rows", divisor, off_by_one_entry ? ", one entry off" : "", rows.size()));
        std::vector<float> got_float(rows.size() * features);
        std::vector<double> got_double(rows.size() * features);
        as_float.gather_rows(rows, features, got_float.data());
        as_double.gather_rows(rows, features, got_double.data());
        for (std::size_t i = 0; i < rows.size(); ++i)
          for (std::size_t j = 0; j < features; ++j) {
            const std::uint8_t b = bytes[static_cast<std::size_t>(rows[i]) * features + j];
            ASSERT_EQ(bits(got_float[i * features + j]), bits(narrow(b))) << "float32, byte " << int{b};
            ASSERT_EQ(bits(got_double[i * features + j]), bits(wide(b))) << "float64, byte " << int{b};
          }
      }
    }
  }
}

TEST(SampleValues, Float64DividesInDoubleAndConversionKeepsTheBytes) {
  const Dataset wide = pixels(DType::Float64);
  EXPECT_EQ(wide.x.dtype(), DType::Float64);
  EXPECT_EQ(wide.x[1], 17.0 / 255.0);
  Dataset narrowed = wide;
  narrowed.convert(DType::Float32);
  EXPECT_TRUE(narrowed.x.byte_coded());
  EXPECT_EQ(narrowed.x[1], static_cast<double>(static_cast<float>(17.0 / 255.0)));
}

TEST(SampleValues, ByteCodedAndPlainValuesCompareByValue) {
  const Dataset d = pixels();
  EXPECT_EQ(d.x, d.x.decoded());
  SampleValues other = d.x.decoded();
  other.visit([](auto& v) { v[3] = 0; });
  EXPECT_FALSE(d.x == other);
}

}  // namespace
}  // namespace nnplug

namespace nnplug {
namespace {

// Borrowed values (a NumPy array's memory) are read where they lie, kept alive by their owner, and copied only
// when something would change them.
TEST(SampleValues, BorrowedValuesAreReadInPlaceAndCopiedBeforeAChange) {
  auto memory = std::make_shared<std::vector<float>>(std::vector<float>{1, 2, 3, 4, 5, 6});
  std::weak_ptr<std::vector<float>> alive = memory;
  SampleValues values = SampleValues::borrow(memory->data(), 6, DType::Float32, memory);
  memory.reset();  // the values own it now
  ASSERT_FALSE(alive.expired());
  EXPECT_TRUE(values.borrowed());
  EXPECT_EQ(values.size(), 6u);
  EXPECT_EQ(values[4], 5.0);
  std::vector<float> batch(4);
  const std::vector<std::int64_t> rows{2, 0};
  values.gather_rows<float>(rows, 2, batch.data());
  EXPECT_EQ(batch, (std::vector<float>{5, 6, 1, 2}));
  SampleValues copy = values;  // shares the memory
  copy.map_values(1, false, [](double v, std::size_t) { return v * 10; });
  EXPECT_FALSE(copy.borrowed());
  EXPECT_EQ(copy[0], 10.0);
  EXPECT_EQ(values[0], 1.0);  // the borrowed memory is unchanged
  EXPECT_EQ((*alive.lock())[0], 1.0f);
  EXPECT_TRUE(values == SampleValues(std::vector<float>{1, 2, 3, 4, 5, 6}));
  values = SampleValues();
  copy = SampleValues();
  EXPECT_TRUE(alive.expired());  // released with the last values that borrowed it
}

// The first NaN or infinity, wherever the values are kept: past the scan's first block of 4096 and within it.
TEST(SampleValues, TheFirstNonFiniteValueIsFoundInEveryKindOfStorage) {
  constexpr double kNan = std::numeric_limits<double>::quiet_NaN(), kInf = std::numeric_limits<double>::infinity();
  for (const std::size_t at : {std::size_t{0}, std::size_t{4095}, std::size_t{4096}, std::size_t{9999}}) {
    std::vector<float> floats(10000, 1.0f);
    std::vector<double> doubles(10000, 1.0);
    EXPECT_EQ(SampleValues(floats).first_non_finite(), std::nullopt);
    EXPECT_EQ(SampleValues(doubles).first_non_finite(), std::nullopt);
    floats[9999] = -std::numeric_limits<float>::infinity(), floats[at] = static_cast<float>(kNan);
    doubles[at] = kInf;
    EXPECT_EQ(SampleValues(floats).first_non_finite(), at);
    EXPECT_EQ(SampleValues(doubles).first_non_finite(), at);
    EXPECT_EQ(SampleValues::borrow(floats.data(), floats.size(), DType::Float32, nullptr).first_non_finite(), at);
    EXPECT_EQ(SampleValues::borrow(doubles.data(), doubles.size(), DType::Float64, nullptr).first_non_finite(), at);
    // A NaN may be a missing value, which preprocessing fills: then only the infinities count.
    // At 9999 the NaN took the -inf's place.
    EXPECT_EQ(SampleValues(floats).first_non_finite(true), at == 9999 ? std::nullopt : std::optional<std::size_t>(9999));
    EXPECT_EQ(SampleValues(doubles).first_non_finite(true), at);
  }
  // Byte codes: only a byte whose table value is not finite counts.
  const auto nan_at_200 = [](std::uint8_t b) { return b == 200 ? kNan : b / 2.0; };
  EXPECT_EQ(SampleValues::from_bytes({3, 7, 200, 9}, 2, DType::Float32, nan_at_200).first_non_finite(), 2u);
  EXPECT_EQ(SampleValues::from_bytes({3, 7}, 2, DType::Float32, nan_at_200).first_non_finite(), std::nullopt);
  EXPECT_EQ(pixels().x.first_non_finite(), std::nullopt);
}

}  // namespace
}  // namespace nnplug
