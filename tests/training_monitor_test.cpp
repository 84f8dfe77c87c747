// The training monitor: statistics against hand-computed values, the update ratio of plain SGD against its
// closed form lr * ||grad|| / ||w||, dead ReLUs made on purpose, and the PNG writer read back through zlib.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/png_writer.hpp"
#include "nnplug/framework/training_monitor.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

namespace fs = std::filesystem;

TEST(ValueStatistics, MeanStdAndHistogramByHand) {
  const auto s = ValueStatistics::of({0, 1, 2, 3, 3}, 3);  // bins [0,1) [1,2) [2,3]
  EXPECT_DOUBLE_EQ(s.mean, 1.8);
  EXPECT_NEAR(s.std, std::sqrt((3.24 + 0.64 + 0.04 + 1.44 + 1.44) / 5), 1e-12);
  EXPECT_EQ(s.counts, (std::vector<std::int64_t>{1, 1, 3}));
}

std::uint32_t be32(const std::string& b, std::size_t at) {
  return (std::uint32_t(std::uint8_t(b[at])) << 24) | (std::uint32_t(std::uint8_t(b[at + 1])) << 16) |
         (std::uint32_t(std::uint8_t(b[at + 2])) << 8) | std::uint8_t(b[at + 3]);
}

TEST(PngWriter, HeaderAndPixelsReadBack) {
  const std::string png = encode_png({10, 20, 30, 40, 50, 60}, 3, 2, 1);
  ASSERT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(png.substr(12, 4), "IHDR");
  EXPECT_EQ(be32(png, 16), 3u);  // width
  EXPECT_EQ(be32(png, 20), 2u);  // height
  const std::size_t idat = png.find("IDAT");
  ASSERT_NE(idat, std::string::npos);
  const std::uint32_t length = be32(png, idat - 4);
  std::vector<unsigned char> raw(8);
  uLongf raw_size = raw.size();
  ASSERT_EQ(uncompress(raw.data(), &raw_size, reinterpret_cast<const Bytef*>(png.data() + idat + 4), length), Z_OK);
  EXPECT_EQ(raw, (std::vector<unsigned char>{0, 10, 20, 30, 0, 40, 50, 60}));  // each row after its filter byte
  EXPECT_EQ(png.substr(png.size() - 8, 4), "IEND");
}

class Monitor : public ScratchFolderTest {
 protected:
  Monitor() : ScratchFolderTest("monitor") {}
  std::vector<nlohmann::json> run(double lr, double first_bias) {
    const Spec spec = parse_spec(R"({"seed": 2, "data": {"format": "xor_blobs", "samples": 200},
      "layers": [{"type": "dense", "units": 8, "activation": "relu"}, {"type": "dense", "units": 2}],
      "loss": "softmax_cross_entropy", "optimizer": {"type": "sgd", "lr": )" + std::to_string(lr) + R"(},
      "training": {"epochs": 2, "batch_size": 50}, "callbacks": [{"type": "monitor", "samples": 40}]})",
                                 dir_ / "spec.json");
    auto ex = build_experiment(spec, registry());
    Parameter* bias = ex.model->layer(0).parameters()[1];
    from_host(bias->value, std::vector<double>(8, first_bias));
    ex.fit.progress = false;
    Trainer(*ex.model, ex.loss, ex.optimizer).fit(ex.train, nullptr, ex.fit);
    std::vector<nlohmann::json> lines;
    std::ifstream in(dir_ / "monitor.jsonl");
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
  }
};

TEST_F(Monitor, ABiasFarBelowZeroKillsEveryRelu) {
  const auto lines = run(0.0, -100.0);  // the xor inputs lie within +-3: every pre-activation is negative
  ASSERT_EQ(lines.size(), 2u);
  const auto& relu = lines[0]["layers"][1];
  EXPECT_EQ(relu["label"], "layers[0] (dense) relu");
  EXPECT_DOUBLE_EQ(relu["dead_fraction"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(relu["zero_fraction"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(lines[0]["layers"][0]["parameters"][0]["update_ratio"].get<double>(), 0.0);  // lr 0
}

TEST_F(Monitor, SgdUpdateRatioIsTheLearningRateTimesTheGradientOverTheWeights) {
  const auto lines = run(0.1, 0.0);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_LT(lines[1]["layers"][1]["dead_fraction"].get<double>(), 1.0);
  for (const auto& line : lines)
    for (const auto& layer : line["layers"])
      for (const auto& p : layer["parameters"]) {
        if (p["name"].get<std::string>() != "weight") continue;
        // ||grad|| from the recorded mean and std: sqrt(n (std^2 + mean^2)). The update of plain SGD is lr * grad,
        // and ||w_before|| is ||w_after|| to first order: compare to 5%.
        const auto& g = p["gradient"];
        std::int64_t n = 0;
        for (auto c : g["histogram"]) n += c.get<std::int64_t>();
        const double grad_norm = std::sqrt(static_cast<double>(n) * (std::pow(g["std"].get<double>(), 2) + std::pow(g["mean"].get<double>(), 2)));
        EXPECT_NEAR(p["update_ratio"].get<double>(), 0.1 * grad_norm / p["norm"].get<double>(),
                    0.05 * p["update_ratio"].get<double>()) << layer["label"];
      }
}

// A first layer whose weights are no image (a dense layer on the last axis of images: [units, W]) draws none, and
// reads nothing past its weights.
TEST_F(Monitor, AFirstLayerWhoseWeightsAreNoImageDrawsNone) {
  const Spec spec = parse_spec(R"({"seed": 2, "data": {"format": "xor_blobs", "samples": 40, "sample_shape": [1, 2, 1]},
      "layers": [{"type": "dense", "units": 8}, {"type": "flatten"}, {"type": "dense", "units": 2}],
      "loss": "softmax_cross_entropy", "optimizer": {"type": "sgd", "lr": 0.1},
      "training": {"epochs": 1, "batch_size": 20}, "callbacks": [{"type": "monitor", "samples": 20}]})",
                               dir_ / "spec.json");
  auto ex = build_experiment(spec, registry());
  ex.fit.progress = false;
  Trainer(*ex.model, ex.loss, ex.optimizer).fit(ex.train, nullptr, ex.fit);
  EXPECT_TRUE(fs::exists(dir_ / "monitor.jsonl"));
  EXPECT_FALSE(fs::exists(dir_ / "monitor_first_layer.png"));
}

}  // namespace
}  // namespace nnplug::test
