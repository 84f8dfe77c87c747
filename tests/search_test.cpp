// Hyper-parameter search: range parsing, log-uniform draws against their closed-form distribution, ranking,
// narrowing to the best trials, and a small two-round search end to end.
#include <gtest/gtest.h>

#include <cmath>

#include "nnplug/framework/hyperparameter_search.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

std::string error_of(const std::string& path, const std::string& range) {
  try {
    SearchDimension::parse(path, range);
  } catch (const InvalidArgument& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(Search, RangesParseAndBadOnesNameTheParameter) {
  const auto d = SearchDimension::parse("optimizer.lr", "log:1e-6:1e-2");
  EXPECT_EQ(d.scale, SearchDimension::Scale::Log);
  EXPECT_DOUBLE_EQ(d.low, 1e-6);
  EXPECT_DOUBLE_EQ(d.high, 1e-2);
  EXPECT_EQ(SearchDimension::parse("layers.0.units", "int:16:64").scale, SearchDimension::Scale::Integer);
  EXPECT_EQ(error_of("optimizer.lr", "log:0:1"), "search parameter 'optimizer.lr': a log range needs LOW > 0, got 'log:0:1'");
  EXPECT_EQ(error_of("optimizer.lr", "log:1:x"), "search parameter 'optimizer.lr': 'x' is not a number");
  EXPECT_NE(error_of("optimizer.lr", "normal:0:1").find("the range must be log:LOW:HIGH"), std::string::npos);
  EXPECT_NE(error_of("optimizer.lr", "uniform:2:1").find("LOW must not exceed HIGH"), std::string::npos);
  EXPECT_NE(error_of("data.limit_train", "int:1:9").find("the data and the seed stay fixed"), std::string::npos);
  // Bounds whose draws would not be finite numbers, or not integers: uniform's width overflows, and past 2^53 a
  // double skips integers (and 1e30 as a count is undefined).
  EXPECT_NE(error_of("optimizer.lr", "uniform:-1e308:1e308").find("HIGH - LOW overflows"), std::string::npos);
  EXPECT_NE(error_of("layers.0.units", "int:1:1e30").find("within +-2^53"), std::string::npos);
  EXPECT_NE(error_of("layers.0.units", "int:-9007199254740994:0").find("within +-2^53"), std::string::npos);
  EXPECT_EQ(SearchDimension::parse("layers.0.units", "int:-9007199254740992:9007199254740992").high, 9007199254740992.0);
}

TEST(Search, LogUniformDrawsSpreadEvenlyOverDecades) {
  // 10^U(-6, -2): each of the four decades holds a quarter of the draws (a plain uniform draw would put 99% in
  // the last one). 4000 draws: the standard error of a quarter is 0.007.
  const auto d = SearchDimension::parse("optimizer.lr", "log:1e-6:1e-2");
  Random random(11);
  int decade[4] = {0, 0, 0, 0};
  for (int i = 0; i < 4000; ++i) {
    const double v = d.sample(random);
    ASSERT_GE(v, 1e-6);
    ASSERT_LE(v, 1e-2);
    ++decade[std::min(3, static_cast<int>(std::floor(std::log10(v) + 6)))];
  }
  for (int k = 0; k < 4; ++k) EXPECT_NEAR(decade[k] / 4000.0, 0.25, 0.03) << "decade " << k;
  const auto units = SearchDimension::parse("layers.0.units", "int:2:4");
  int seen[5] = {0, 0, 0, 0, 0};
  for (int i = 0; i < 300; ++i) ++seen[static_cast<int>(units.sample(random))];
  EXPECT_GT(seen[2], 0);
  EXPECT_GT(seen[4], 0);  // both ends are drawn
  EXPECT_EQ(seen[0] + seen[1], 0);
}

Trial trial(double lr, double accuracy, double loss, bool ok = true) {
  Trial t;
  t.values = {lr};
  t.validation = {loss, accuracy};
  if (!ok) t.failure = "the loss is nan";
  return t;
}

TEST(Search, RankingAndNarrowingUseTheBestTrials) {
  std::vector<Trial> trials{trial(1e-5, 0.2, 2.0), trial(1e-1, 0.0, 0.0, false), trial(3e-3, 0.8, 0.5), trial(8e-3, 0.8, 0.4),
                            trial(1e-3, 0.7, 0.6)};
  rank_trials(trials);
  EXPECT_DOUBLE_EQ(trials[0].values[0], 8e-3);  // the tie on accuracy goes to the lower loss
  EXPECT_DOUBLE_EQ(trials[1].values[0], 3e-3);
  EXPECT_FALSE(trials.back().ok());              // a diverged trial ranks last
  const auto narrowed = narrow({SearchDimension::parse("optimizer.lr", "log:1e-6:1e-1")}, trials, 3);
  EXPECT_DOUBLE_EQ(narrowed[0].low, 1e-3);
  EXPECT_DOUBLE_EQ(narrowed[0].high, 8e-3);
}

TEST(Search, TwoRoundsSearchTheNarrowedRangesAndNeedValidationData) {
  const std::string spec_text = R"({"seed": 5,
    "data": {"format": "gaussian_blobs", "samples": 200, "centers": 3, "features": 2, "validation_split": 0.25},
    "layers": [{"type": "dense", "units": 8, "activation": "relu"}, {"type": "dense", "units": 3}],
    "loss": "softmax_cross_entropy", "optimizer": {"type": "sgd", "lr": 0.1},
    "search": {"trials": 4, "epochs": 2, "rounds": 2, "top": 2, "parameters": {"optimizer.lr": "log:1e-4:1"}}})";
  const Spec spec = parse_spec(spec_text, "search.json");
  SearchSettings settings;
  std::vector<SearchDimension> dims;
  read_search_section(spec, settings, dims);
  ASSERT_EQ(dims.size(), 1u);
  std::vector<SearchDimension> second_round;
  const auto trials = run_search(spec, registry(), settings, dims, {}, {}, [&](int round, const auto&, const auto& next) {
    if (round == 1) second_round = next;
  });
  ASSERT_EQ(trials.size(), 8u);
  for (std::size_t i = 4; i < 8; ++i) {
    EXPECT_EQ(trials[i].round, 2);
    EXPECT_GE(trials[i].values[0], second_round[0].low);
    EXPECT_LE(trials[i].values[0], second_round[0].high);
  }
  auto no_validation = nlohmann::json::parse(spec_text);
  no_validation["data"].erase("validation_split");
  EXPECT_THROW(run_search(parse_spec(no_validation.dump(), "search.json"), registry(), settings, dims, {}), InvalidArgument);
}

}  // namespace
}  // namespace nnplug::test
