// Value targets (regression, multi-label): training finds the least-squares line, the score beside the loss is
// the mean absolute error or the binary accuracy, the evaluation's metrics match their closed forms, and the
// history and monitors name the score. And one output's class is decided where its loss decides it.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "nnplug/framework/evaluation.hpp"
#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/model_file.hpp"
#include "nnplug/framework/network.hpp"
#include "nnplug/framework/value_evaluation.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

class ValueTargets : public ScratchFolderTest {
 protected:
  ValueTargets() : ScratchFolderTest("value_targets") {}
  // A spec training one dense unit on `csv` (columns x, y) with this loss (a name, or a JSON object).
  Spec spec(const std::string& csv, const std::string& loss, const char* extra = "") {
    std::ofstream(dir_ / "data.csv") << "x,y\n" << csv;
    return parse_spec(fmt::format(R"({{"dtype": "float64", "data": {{"format": "csv", "path": "data.csv", "targets": "y"}},
      "layers": [{{"type": "dense", "units": 1}}], "loss": {}, "optimizer": {{"type": "sgd", "lr": 0.2}},
      "training": {{"epochs": 200, "batch_size": 4, "shuffle": false}}{}}})",
                                  loss.starts_with('{') ? loss : fmt::format("\"{}\"", loss), extra),
                      dir_ / "spec.json");
  }
  // Sets the dense unit's weight and bias.
  static void set_unit(Model& model, double weight, double bias) {
    const auto parameters = model.parameters(false);
    from_host(parameters[0]->value, std::vector<double>{weight});
    from_host(parameters[1]->value, std::vector<double>{bias});
  }
};

TEST_F(ValueTargets, LinearRegressionFindsTheLeastSquaresLine) {
  // y = 2x - 1 exactly: the least-squares line is the line itself.
  std::string rows;
  for (int i = 0; i < 8; ++i) rows += fmt::format("{},{}\n", i * 0.25, 2 * i * 0.25 - 1);
  Experiment ex = build_experiment(spec(rows, "mse"), registry());
  Trainer trainer(*ex.model, ex.loss, ex.optimizer);
  const auto history = trainer.fit(ex.train, nullptr, ex.fit);
  const auto parameters = ex.model->parameters(false);
  EXPECT_NEAR(to_host<double>(parameters[0]->value)[0], 2.0, 1e-6);
  EXPECT_NEAR(to_host<double>(parameters[1]->value)[0], -1.0, 1e-6);
  EXPECT_EQ(history.back().train.kind, ScoreKind::MeanAbsoluteError);
  EXPECT_LT(history.back().train.score, 1e-6);
}

// Counts whose log rate is 2x - 1: the Poisson likelihood's maximum is that line (exp(p) - t is 0 where p = log t),
// which least squares on the counts would not find.
TEST_F(ValueTargets, PoissonRegressionFindsTheLogRateLine) {
  std::string rows;
  for (int i = 0; i < 8; ++i) rows += fmt::format("{},{}\n", i * 0.125, std::exp(2 * i * 0.125 - 1));
  Experiment ex = build_experiment(spec(rows, "poisson"), registry());
  ex.fit.progress = false;
  ex.fit.epochs = 2000;
  Trainer(*ex.model, ex.loss, ex.optimizer).fit(ex.train, nullptr, ex.fit);
  const auto parameters = ex.model->parameters(false);
  EXPECT_NEAR(to_host<double>(parameters[0]->value)[0], 2.0, 1e-4);
  EXPECT_NEAR(to_host<double>(parameters[1]->value)[0], -1.0, 1e-4);
}

TEST_F(ValueTargets, PoissonRefusesANegativeCountAndANegativeRate) {
  Experiment ex = build_experiment(spec("1,2\n2,-1\n", "poisson"), registry());
  EXPECT_THAT(error_of([&] { Trainer(*ex.model, ex.loss, ex.optimizer).evaluate(ex.train, 2); }),
              ::testing::HasSubstr("nnplug_loss_poisson.so): poisson: a target is -1, but a Poisson law's counts are 0 or more"));
  ex = build_experiment(spec("1,2\n2,1\n", R"({"type": "poisson", "log_input": false})"), registry());
  set_unit(*ex.model, -1.0, 0.0);
  EXPECT_THAT(error_of([&] { Trainer(*ex.model, ex.loss, ex.optimizer).evaluate(ex.train, 2); }),
              ::testing::HasSubstr("poisson: an output is -1, but with \"log_input\": false the outputs are rates, above -eps (-1e-08)"));
}

TEST_F(ValueTargets, TheScoreIsTheMeanAbsoluteErrorOfARegression) {
  Experiment ex = build_experiment(spec("1,1\n2,4\n3,2\n", "mse"), registry());
  set_unit(*ex.model, 1.0, 0.0);  // predicts x: errors 0, -2, 1
  Trainer trainer(*ex.model, ex.loss, ex.optimizer);
  for (const std::int64_t batch : {1, 2, 3}) {  // however the set is cut into batches
    const Scores s = trainer.evaluate(ex.train, batch);
    EXPECT_EQ(s.kind, ScoreKind::MeanAbsoluteError);
    EXPECT_NEAR(s.loss, 5.0 / 3.0, 1e-12) << batch;
    EXPECT_NEAR(s.score, 1.0, 1e-12) << batch;
  }
}

TEST_F(ValueTargets, TheScoreOfAMultiLabelLossIsTheShareOfOutputsOnTheRightSide) {
  Experiment ex = build_experiment(spec("1,1\n-2,0\n-3,1\n", "binary_cross_entropy"), registry());
  set_unit(*ex.model, 1.0, 0.0);  // logits 1, -2, -3: predicted 1, 0, 0 against 1, 0, 1
  Trainer trainer(*ex.model, ex.loss, ex.optimizer);
  const Scores s = trainer.evaluate(ex.train, 2);
  EXPECT_EQ(s.kind, ScoreKind::Accuracy);
  EXPECT_NEAR(s.score, 2.0 / 3.0, 1e-12);
  // Binary cross-entropy of logit z against t: log(1 + e^-z) for t = 1, log(1 + e^z) for t = 0.
  EXPECT_NEAR(s.loss, (std::log1p(std::exp(-1.0)) + std::log1p(std::exp(-2.0)) + std::log1p(std::exp(3.0))) / 3.0, 1e-12);
}

// A margin's loss takes its labels as -1 and +1 (the chapter's attribute hinge) as well as 0 and 1, each on the
// side of 0 it names, and refuses anything else.
TEST_F(ValueTargets, AMarginsLabelsMayBeSignedAndAreNothingElse) {
  for (const char* labels : {"1,1\n-2,-1\n-0.5,1\n0.3,-1\n", "1,1\n-2,0\n-0.5,1\n0.3,0\n"}) {
    Experiment ex = build_experiment(spec(labels, "attribute_hinge"), registry());
    set_unit(*ex.model, 1.0, 0.0);  // margins 1, -2, -0.5, 0.3: predicted +, -, -, + against +, -, +, -
    Trainer trainer(*ex.model, ex.loss, ex.optimizer);
    const Scores s = trainer.evaluate(ex.train, 3);
    EXPECT_NEAR(s.score, 0.5, 1e-12) << labels;
    // max(0, 1 - y z): 0, 0 (y z = 2), 1.5, 1.3.
    EXPECT_NEAR(s.loss, (1.5 + 1.3) / 4, 1e-12) << labels;
  }
  EXPECT_EQ(error_of([&] { build_experiment(spec("1,1\n2,0.5\n", "attribute_hinge"), registry()); }),
            fmt::format("{}: loss attribute_hinge scores labels by the sign of its outputs, so its targets are 0 or 1, or -1 and +1, but "
                        "target 0 of sample 1 is 0.5 (its row in the data, counted from 0)", (dir_ / "spec.json").string()));
}

TEST_F(ValueTargets, TheHistoryAndTheMonitorsNameTheScore) {
  const char* callbacks = R"(, "callbacks": [{"type": "history", "path": "history.csv"},
                              {"type": "early_stopping", "monitor": "val_mae", "patience": 100}])";
  std::string rows;
  for (int i = 0; i < 20; ++i) rows += fmt::format("{},{}\n", i * 0.05, i * 0.1);
  Spec s = spec(rows, "mse", callbacks);
  s.set("data.validation_split=0.25");
  s.set("training.epochs=2");
  Experiment ex = build_experiment(s, registry());
  Trainer trainer(*ex.model, ex.loss, ex.optimizer);
  trainer.fit(ex.train, &ex.validation, ex.fit);
  std::ifstream history(dir_ / "history.csv");
  std::string header;
  std::getline(history, header);
  EXPECT_EQ(header, "epoch,loss,mae,val_loss,val_mae,lr,seconds");
  // A regression has no accuracy to monitor.
  EarlyStopping on_accuracy("val_accuracy", 0.0, 1, false);
  EpochRecord r;
  r.epoch = 1;
  r.has_validation = true;
  r.validation = {0.5, 0.25, ScoreKind::MeanAbsoluteError};
  EXPECT_EQ(error_of([&] { on_accuracy.on_epoch_end(r, *ex.model); }),
            "cannot monitor val_accuracy: this run scores mae beside the loss (its targets are values, not class labels)");
  // The mean absolute error improves downwards.
  EarlyStopping on_mae("val_mae", 0.0, 1, false);
  EXPECT_TRUE(on_mae.on_epoch_end(r, *ex.model));
  r.epoch = 2, r.validation.score = 0.3;
  EXPECT_FALSE(on_mae.on_epoch_end(r, *ex.model));
}

// One output and two classes: the perceptron's margin decides class 1 where it is positive, an output regressed on
// the 0 or 1 label (mse) above one half. Training's accuracy and evaluate's (class_probabilities, then the confusion
// matrix) must agree with each other and with these decisions.
TEST_F(ValueTargets, OneOutputIsDecidedWhereItsLossDecides) {
  for (const auto& [loss, expected] : {std::pair{"perceptron", 1.0}, {"mse", 2.0 / 3.0}}) {
    std::ofstream(dir_ / "labels.csv") << "x,label\n-0.3,0\n0.2,1\n0.7,1\n";  // outputs -0.3, 0.2, 0.7 below
    Experiment ex = build_experiment(parse_spec(fmt::format(R"({{"dtype": "float64", "data": {{"format": "csv", "path": "labels.csv"}},
      "layers": [{{"type": "dense", "units": 1}}], "loss": "{}", "optimizer": {{"type": "sgd", "lr": 0.1}}, "training": {{"shuffle": false}}}})", loss),
                                                dir_ / "spec.json"),
                                     registry());
    set_unit(*ex.model, 1.0, 0.0);
    Trainer trainer(*ex.model, ex.loss, ex.optimizer);
    EXPECT_NEAR(trainer.evaluate(ex.train, 2).score, expected, 1e-12) << loss;
    const auto p = class_probabilities(trainer.predict(ex.train, 2), 1, ex.loss->output_link());
    EXPECT_NEAR(evaluate_scores(p, ex.train.labels, 2, 0.0, 0).confusion.accuracy(), expected, 1e-12) << loss;
  }
}

// A margin ranks as well as it decides: the perceptron's classes are scored (-m, m), so that its ROC AUC is that of the
// margins (scikit-learn's roc_auc_score on decision_function), not of the 0 or 1 decisions. Here the margins of class 1,
// 0.2 and 0.7, beat class 0's -0.3 and lose to its 0.9: AUC 2/4, where the decisions (1, 1 against 0, 1) give 3/4.
TEST_F(ValueTargets, AMarginsClassScoresRankByTheMargin) {
  std::ofstream(dir_ / "labels.csv") << "x,label\n-0.3,0\n0.2,1\n0.7,1\n0.9,0\n";
  Experiment ex = build_experiment(parse_spec(R"({"dtype": "float64", "data": {"format": "csv", "path": "labels.csv"},
    "layers": [{"type": "dense", "units": 1}], "loss": "perceptron", "optimizer": {"type": "sgd", "lr": 0.1}})", dir_ / "spec.json"),
                                   registry());
  set_unit(*ex.model, 1.0, 0.0);  // the margins are the inputs
  const auto p = class_probabilities(Trainer(*ex.model, ex.loss, nullptr).predict(ex.train, 4), 1, ex.loss->output_link());
  ASSERT_EQ(p.size(), 8u);
  std::vector<float> margins;
  for (std::size_t r = 0; r < 4; ++r) {
    EXPECT_EQ(p[2 * r], -p[2 * r + 1]);
    margins.push_back(p[2 * r + 1]);
  }
  std::sort(margins.begin(), margins.end());  // the rows in any order
  EXPECT_EQ(margins, (std::vector<float>{-0.3f, 0.2f, 0.7f, 0.9f}));
  const Evaluation e = evaluate_scores(p, ex.train.labels, 2, 0.0, 0);
  EXPECT_DOUBLE_EQ(e.ranking[1].roc_auc, 0.5);
  EXPECT_DOUBLE_EQ(e.ranking[0].roc_auc, 0.5);
  EXPECT_DOUBLE_EQ(e.confusion.accuracy(), 0.75);  // decided by the sign: -0.3, 0.2 and 0.7 right, 0.9 wrong
}

// attribute_hinge on two labels: each label's margin decides it by its sign and ranks it by its size. Label 0's
// margins 0.5, 2, 1, -1 against 1, 0, 1, 0 decide 3 of 4 right, and rank 2 of the 4 positive-negative pairs in
// order (their 0/1 decisions would rank 3 of 4: ties count half).
TEST_F(ValueTargets, AMultiLabelMarginsLabelsRankByTheMargin) {
  std::ofstream(dir_ / "labels.csv") << "x,y,a,b\n0.5,-0.5,1,0\n2,0.3,0,1\n1,-0.2,1,0\n-1,0.1,0,1\n";
  Experiment ex = build_experiment(parse_spec(R"({"dtype": "float64", "data": {"format": "csv", "path": "labels.csv", "targets": ["a", "b"]},
    "layers": [{"type": "dense", "units": 2}], "loss": "attribute_hinge", "optimizer": {"type": "sgd", "lr": 0.1}})", dir_ / "spec.json"),
                                   registry());
  const auto parameters = ex.model->parameters(false);
  from_host(parameters[0]->value, std::vector<double>{1, 0, 0, 1});  // the margins are the inputs
  from_host(parameters[1]->value, std::vector<double>{0, 0});
  const OutputLink link = ex.loss->output_link();
  const auto margins = link_values(Trainer(*ex.model, ex.loss, nullptr).predict(ex.train, 4), link);
  std::vector<float> sorted = margins;
  std::sort(sorted.begin(), sorted.end());  // the rows in any order
  EXPECT_EQ(sorted, (std::vector<float>{-1.0f, -0.5f, -0.2f, 0.1f, 0.3f, 0.5f, 1.0f, 2.0f}));
  const ValueEvaluation e = evaluate_values(margins, ex.train.targets, 2, link, NAN);
  ASSERT_TRUE(e.multi_label);
  EXPECT_DOUBLE_EQ(e.targets[0].roc_auc, 0.5);
  EXPECT_DOUBLE_EQ(e.targets[0].precision, 2.0 / 3.0);  // 0.5, 2 and 1 say yes; 2 is wrong
  EXPECT_DOUBLE_EQ(e.targets[1].roc_auc, 1.0);
  EXPECT_DOUBLE_EQ(e.accuracy, 7.0 / 8.0);  // label 1's margins -0.5, 0.3, -0.2, 0.1 are all on their side of 0
}

// data.standardize_targets: the loss sees (t - mean) / std with the training set's mean and population std; the
// mae beside it, evaluate's scores and predictions are in the targets' own units, also after a save and a load.
TEST_F(ValueTargets, StandardizedTargetsTrainOnTheirZScoresAndReportInTheirOwnUnits) {
  Spec s = spec("1,100\n2,400\n3,200\n", "mse");
  s.set("data.standardize_targets=true");
  Experiment ex = build_experiment(s, registry());
  set_unit(*ex.model, 1.0, 0.0);  // outputs 1, 2, 3 on the standardized scale
  const std::vector<double> x{1, 2, 3}, t{100, 400, 200};
  const double mean = 700.0 / 3, sd = std::sqrt((std::pow(100 - mean, 2) + std::pow(400 - mean, 2) + std::pow(200 - mean, 2)) / 3);
  double loss = 0, mae = 0;
  for (std::size_t i = 0; i < 3; ++i) loss += std::pow(x[i] - (t[i] - mean) / sd, 2) / 3, mae += std::fabs(x[i] * sd + mean - t[i]) / 3;
  Trainer trainer(*ex.model, ex.loss, ex.optimizer);
  const Scores scores = trainer.evaluate(ex.train, 2);
  EXPECT_NEAR(scores.loss, loss, 1e-6);
  EXPECT_NEAR(scores.score, mae, 1e-4);
  EXPECT_NEAR(ex.model->target_scaling().mean()[0], mean, 1e-9);
  EXPECT_NEAR(ex.model->target_scaling().scale(0), sd, 1e-9);
  // The model file keeps the statistics: a loaded network predicts in the targets' units.
  save_model(dir_ / "model.safetensors", s, *ex.model, registry());
  Network loaded = Network::load(dir_ / "model.safetensors", registry());
  const Predictions p = loaded.predict(ex.train, false, 2);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_NEAR(p.values[i], x[i] * sd + mean, 1e-3) << i;
  EXPECT_NEAR(loaded.predict(ex.train, true, 2).values[2], 3.0, 1e-12);  // the raw outputs, as asked
}

TEST_F(ValueTargets, StandardizingIsRefusedForClassLabelsAndForLabelsInZeroToOne) {
  Spec labels = spec("1,1\n-2,0\n", "binary_cross_entropy");
  labels.set("data.standardize_targets=true");
  const std::string where = (dir_ / "spec.json").string();
  EXPECT_EQ(error_of([&] { build_experiment(labels, registry()); }),
            fmt::format("{}: data: parameter 'standardize_targets' cannot be used with loss binary_cross_entropy: its targets are labels, 0 or "
                        "1, which standardizing would move", where));
  Spec classes = parse_spec(R"({"data": {"format": "xor_blobs", "samples": 8, "standardize_targets": true}, "layers": [{"type": "dense", "units": 2}],
                               "loss": "softmax_cross_entropy", "optimizer": {"type": "sgd", "lr": 0.1}})",
                            dir_ / "spec.json");
  EXPECT_EQ(error_of([&] { build_experiment(classes, registry()); }),
            fmt::format("{}: data: parameter 'standardize_targets' standardizes value targets (data.targets, or friedman1's), but this data's "
                        "targets are class labels", where));
}

// data.targets_are_inputs (an autoencoder): each sample's values as the file holds them are its targets, also where
// the inputs are standardized, for the training and the test set; a dense layer that copies its input has a loss
// of 0 exactly when the inputs are left as they are.
TEST_F(ValueTargets, TargetsAreInputsTakesTheValuesAsReadBeforePreprocessing) {
  std::ofstream(dir_ / "train.csv") << "1,2,0\n3,-4,1\n5,6,0\n";
  std::ofstream(dir_ / "test.csv") << "7,8,1\n";
  const auto experiment = [&](const char* data) {
    return build_experiment(parse_spec(fmt::format(R"({{"dtype": "float64", "data": {{"format": "csv", "path": "train.csv", "test_path": "test.csv", {}}},
      "layers": [{{"type": "dense", "units": 2}}], "loss": "mse", "optimizer": {{"type": "sgd", "lr": 0.1}}, "training": {{"shuffle": false}}}})",
                                                   data),
                                       dir_ / "spec.json"),
                            registry());
  };
  Experiment ex = experiment(R"("label_column": -1, "targets_are_inputs": true, "standardize": "per_feature")");
  EXPECT_EQ(ex.train.targets, (std::vector<float>{1, 2, 3, -4, 5, 6}));
  EXPECT_EQ(ex.train.target_width, 2);
  EXPECT_EQ(ex.train.labels, (std::vector<std::int32_t>{-1, -1, -1}));
  EXPECT_EQ(ex.test.targets, (std::vector<float>{7, 8}));
  EXPECT_NEAR(ex.train.x[0], -1.224744871391589, 1e-6);  // (1 - 3) / std(1, 3, 5): the inputs alone are standardized

  Experiment plain = experiment(R"("label_column": -1, "targets_are_inputs": true)");
  const auto parameters = plain.model->parameters(false);
  from_host(parameters[0]->value, std::vector<double>{1, 0, 0, 1});
  from_host(parameters[1]->value, std::vector<double>{0, 0});
  Trainer trainer(*plain.model, plain.loss, plain.optimizer);
  EXPECT_EQ(trainer.evaluate(plain.train, 2).loss, 0.0);
  EXPECT_EQ(trainer.evaluate(plain.train, 2).kind, ScoreKind::MeanAbsoluteError);

  // Each value is named as the input it repeats, also for a set that has targets of its own.
  EXPECT_EQ(read_target_names(Params("data", {{"format", "friedman1"}, {"targets_are_inputs", true}}), 3),
            (std::vector<std::string>{"input_0", "input_1", "input_2"}));
  EXPECT_EQ(error_of([&] { experiment(R"("targets": 0, "targets_are_inputs": true)"); }),
            fmt::format("{}: data: parameter 'targets_are_inputs' cannot be given with targets: the inputs are the targets", (dir_ / "spec.json").string()));
}

TEST(TargetScaling, AColumnThatDoesNotVaryKeepsAScaleOfOneAndStandardizingIsUndone) {
  const TargetScaling s = TargetScaling::fit({1, 5, 3, 5, 5, 5}, 2);  // column 0: 1, 3, 5; column 1: always 5
  EXPECT_DOUBLE_EQ(s.mean()[0], 3.0);
  EXPECT_DOUBLE_EQ(s.scale(0), std::sqrt(8.0 / 3));
  EXPECT_DOUBLE_EQ(s.mean()[1], 5.0);
  EXPECT_DOUBLE_EQ(s.scale(1), 1.0);
  std::vector<float> rows{1, 5, 5, 7};
  s.standardize(rows);
  EXPECT_FLOAT_EQ(rows[0], static_cast<float>(-2 / std::sqrt(8.0 / 3)));
  EXPECT_FLOAT_EQ(rows[3], 2.0f);
  s.restore(rows);
  const std::vector<float> restored{1, 5, 5, 7};
  for (std::size_t i = 0; i < rows.size(); ++i) EXPECT_FLOAT_EQ(rows[i], restored[i]) << i;
}

TEST(TargetScaling, SavedStatisticsAreChecked) {
  const auto error = [](const char* text) { return error_of([&] { TargetScaling::from_json(nlohmann::json::parse(text)); }); };
  EXPECT_EQ(error(R"({"mean": [1, 2], "std": [1]})"), "'std' must be a list of 2 numbers, one per mean");
  EXPECT_EQ(error(R"({"mean": [], "std": []})"), "'mean' must be a list of numbers, one per output");
  EXPECT_EQ(error(R"({"mean": [1], "std": [0]})"), "'std' holds 0, not a positive finite number");
  EXPECT_EQ(error(R"({"mean": ["a"], "std": [1]})"), "'mean' holds \"a\", not a finite number");
  EXPECT_EQ(error("[1]"), "must be an object {\"mean\": [...], \"std\": [...]}, got [1]");
  EXPECT_EQ(TargetScaling::from_json(TargetScaling::fit({1, 3}, 1).to_json()).scale(0), 1.0);
}

TEST(ValueEvaluation, RegressionMetricsFollowTheirDefinitions) {
  // Two targets. First: predictions 1, 2, 3 against 1, 3, 2 (mean 2): MAE 2/3, RMSE sqrt(2/3), R² = 1 - 2/2 = 0.
  // Second: exact against 5, 7, 9: MAE 0, R² 1.
  const ValueEvaluation e = evaluate_values({1, 5, 2, 7, 3, 9}, {1, 5, 3, 7, 2, 9}, 2, OutputLink::Identity, 0.25, {"a", "b"});
  ASSERT_EQ(e.targets.size(), 2u);
  EXPECT_EQ(e.samples, 3);
  EXPECT_EQ(e.targets[0].name, "a");
  EXPECT_NEAR(e.targets[0].mae, 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(e.targets[0].rmse, std::sqrt(2.0 / 3.0), 1e-12);
  EXPECT_NEAR(e.targets[0].r2, 0.0, 1e-12);
  EXPECT_NEAR(e.targets[1].r2, 1.0, 1e-12);
  // Over both: every value's errors, and R² averaged uniformly over the targets.
  EXPECT_NEAR(e.overall.mae, 2.0 / 6.0, 1e-12);
  EXPECT_NEAR(e.overall.rmse, std::sqrt(2.0 / 6.0), 1e-12);
  EXPECT_NEAR(e.overall.r2, 0.5, 1e-12);
  // A constant target: 1 for exact predictions, else 0 (scikit-learn's force_finite).
  EXPECT_EQ(evaluate_values({4, 4}, {4, 4}, 1, OutputLink::Identity, 0.0).targets[0].r2, 1.0);
  EXPECT_EQ(evaluate_values({4, 5}, {4, 4}, 1, OutputLink::Identity, 0.0).targets[0].r2, 0.0);
  const std::string text = format_value_evaluation(e);
  EXPECT_NE(text.find("loss 0.2500  mae 0.3333  rmse 0.5774  r2 0.5000  (3 samples)"), std::string::npos) << text;
  const auto j = value_evaluation_json(e);
  EXPECT_DOUBLE_EQ(j["targets"][1]["r2"].get<double>(), 1.0);
}

// Many targets (an autoencoder's pixels): the table lists the first 32, the JSON all of them.
TEST(ValueEvaluation, TheTableListsTheFirstTargetsAndTheJsonEveryOne) {
  const ValueEvaluation e = evaluate_values(std::vector<float>(40, 1.0f), std::vector<float>(40, 0.5f), 40, OutputLink::Identity, 0.25);
  const std::string text = format_value_evaluation(e);
  EXPECT_NE(text.find("target_31 "), std::string::npos) << text;
  EXPECT_EQ(text.find("target_32 "), std::string::npos) << text;
  EXPECT_NE(text.find("... and 8 more (every one in the JSON)"), std::string::npos) << text;
  EXPECT_NE(text.find("mae 0.5000"), std::string::npos) << text;  // the totals over all 40
  EXPECT_EQ(value_evaluation_json(e)["targets"].size(), 40u);
}

TEST(ValueEvaluation, MultiLabelMetricsCountEachLabel) {
  // Probabilities of two labels for four samples. Label 0: predicted 1, 1, 0, 0 against 1, 0, 1, 0: TP 1, FP 1,
  // FN 1: precision, recall and F1 1/2. Label 1: predicted 1, 1, 1, 0 against 1, 1, 1, 0: all right.
  const ValueEvaluation e =
      evaluate_values({0.9f, 0.8f, 0.6f, 0.7f, 0.4f, 0.9f, 0.1f, 0.2f}, {1, 1, 0, 1, 1, 1, 0, 0}, 2, OutputLink::Sigmoid, NAN);
  EXPECT_DOUBLE_EQ(e.targets[0].precision, 0.5);
  EXPECT_DOUBLE_EQ(e.targets[0].recall, 0.5);
  EXPECT_DOUBLE_EQ(e.targets[0].f1, 0.5);
  EXPECT_EQ(e.targets[0].support, 2);
  EXPECT_DOUBLE_EQ(e.targets[1].f1, 1.0);
  EXPECT_DOUBLE_EQ(e.overall.f1, 0.75);  // macro
  EXPECT_DOUBLE_EQ(e.accuracy, 6.0 / 8.0);
  EXPECT_DOUBLE_EQ(e.exact_match, 2.0 / 4.0);  // samples 0 and 3
  // Ranked: label 0's positives score 0.9 and 0.4, its negatives 0.6 and 0.1: 3 of 4 pairs in order, and precision 1
  // then 2/3 as recall reaches 1/2 and 1. Label 1's positives are its three highest.
  EXPECT_DOUBLE_EQ(e.targets[0].roc_auc, 0.75);
  EXPECT_DOUBLE_EQ(e.targets[0].average_precision, (1.0 + 2.0 / 3) / 2);
  EXPECT_DOUBLE_EQ(e.targets[1].roc_auc, 1.0);
  EXPECT_DOUBLE_EQ(e.overall.roc_auc, 0.875);
  EXPECT_NE(format_value_evaluation(e).find("   0.7500    0.8333        2\n"), std::string::npos) << format_value_evaluation(e);
  EXPECT_DOUBLE_EQ(value_evaluation_json(e)["macro"]["roc_auc"].get<double>(), 0.875);
  // A label never predicted and never present: its ratios of 0 / 0 are 0, and it ranks nothing.
  const ValueEvaluation absent = evaluate_values({0.1f}, {0}, 1, OutputLink::Sigmoid, NAN);
  EXPECT_EQ(absent.targets[0].precision, 0.0);
  EXPECT_TRUE(std::isnan(absent.targets[0].roc_auc));
  EXPECT_FALSE(value_evaluation_json(absent)["targets"][0].contains("roc_auc"));
}

}  // namespace
}  // namespace nnplug::test

namespace nnplug::test {
namespace {

// Class probabilities as targets (softmax_cross_entropy with "targets": "probabilities").
// last_activation: the output layer's ("identity": logits).
Experiment soft_label_experiment(const char* loss, const char* last_activation = "identity") {
  return build_experiment(parse_spec(fmt::format(R"({{"seed": 4, "dtype": "float64",
    "data": {{"format": "gaussian_blobs", "samples": 120, "features": 4, "centers": 3, "std": 2.0, "validation_split": 0.25}},
    "layers": [{{"type": "dense", "units": 8, "activation": "tanh"}}, {{"type": "dense", "units": 3, "activation": "{}"}}],
    "loss": {}, "optimizer": {{"type": "adam", "lr": 0.01}}, "training": {{"epochs": 3, "batch_size": 16}}}})", last_activation, loss),
                                     "soft.json"),
                          registry());
}

// The data's labels as rows of probabilities: `on` on the label, the rest on the next class.
Dataset as_probabilities(Dataset data, float on) {
  data.target_width = 3;
  data.targets.assign(static_cast<std::size_t>(data.size()) * 3, 0.0f);
  for (std::size_t i = 0; i < data.labels.size(); ++i) {
    data.targets[i * 3 + static_cast<std::size_t>(data.labels[i])] = on;
    data.targets[i * 3 + static_cast<std::size_t>(data.labels[i] + 1) % 3] += 1.0f - on;
  }
  data.labels.assign(data.labels.size(), -1);
  return data;
}

// Every parameter of the two models equal to 1e-12, naming the first that is not.
void expect_same_weights(Model& a, Model& b) {
  const auto pa = a.parameters(true), pb = b.parameters(true);
  for (std::size_t i = 0; i < pa.size(); ++i) {
    const auto wa = to_host<double>(pa[i]->value), wb = to_host<double>(pb[i]->value);
    for (std::size_t k = 0; k < wa.size(); ++k) ASSERT_NEAR(wa[k], wb[k], 1e-12) << i << " " << k;
  }
}

// Trains one model under `labels_loss` on class labels and one under `rows_loss` on the same classes as one-hot rows:
// the same losses, accuracies and weights. Returns the rows' history.
std::vector<EpochRecord> expect_one_hot_rows_train_as_labels(const char* labels_loss, const char* rows_loss) {
  Experiment labelled = soft_label_experiment(labels_loss);
  Experiment rows = soft_label_experiment(rows_loss);
  labelled.fit.progress = rows.fit.progress = false;
  const Dataset train = as_probabilities(rows.train, 1.0f), validation = as_probabilities(rows.validation, 1.0f);
  const auto a = Trainer(*labelled.model, labelled.loss, labelled.optimizer).fit(labelled.train, &labelled.validation, labelled.fit);
  const auto b = Trainer(*rows.model, rows.loss, rows.optimizer).fit(train, &validation, rows.fit);
  EXPECT_EQ(a.size(), b.size());
  for (std::size_t e = 0; e < std::min(a.size(), b.size()); ++e) {
    EXPECT_NEAR(a[e].train.loss, b[e].train.loss, 1e-12);
    EXPECT_EQ(b[e].train.kind, ScoreKind::Accuracy);
    EXPECT_NEAR(a[e].train.score, b[e].train.score, 1e-12);
    EXPECT_NEAR(a[e].validation.loss, b[e].validation.loss, 1e-12);
    EXPECT_NEAR(a[e].validation.score, b[e].validation.score, 1e-12);
  }
  expect_same_weights(*labelled.model, *rows.model);
  return b;
}

// One-hot rows are the class labels: the same losses, accuracies and weights as PyTorch's two forms of
// CrossEntropyLoss give, through the built-in class loss on one side and the plugin's op on the other.
TEST(SoftLabels, OneHotProbabilitiesTrainAsClassLabels) {
  expect_one_hot_rows_train_as_labels(R"("softmax_cross_entropy")", R"({"type": "softmax_cross_entropy", "targets": "probabilities"})");
}

// Soft rows are scored against their most probable class: the accuracy the same weights get on the labels.
TEST(SoftLabels, AccuracyIsAgainstTheMostProbableClass) {
  Experiment labelled = soft_label_experiment(R"("softmax_cross_entropy")");
  Experiment soft = soft_label_experiment(R"({"type": "softmax_cross_entropy", "targets": "probabilities"})");
  labelled.fit.progress = false;
  Trainer(*labelled.model, labelled.loss, labelled.optimizer).fit(labelled.train, nullptr, labelled.fit);
  const auto pa = labelled.model->parameters(true), pb = soft.model->parameters(true);
  for (std::size_t i = 0; i < pa.size(); ++i) from_host(pb[i]->value, to_host<double>(pa[i]->value));
  const Dataset soft_validation = as_probabilities(soft.validation, 0.7f);
  EXPECT_EQ(most_probable_classes(soft_validation), labelled.validation.labels);
  const Scores expected = Trainer(*labelled.model, labelled.loss, nullptr).evaluate(labelled.validation, 7);
  const Scores scored = Trainer(*soft.model, soft.loss, nullptr).evaluate(soft_validation, 7);
  EXPECT_EQ(scored.kind, ScoreKind::Accuracy);
  EXPECT_DOUBLE_EQ(scored.score, expected.score);
  EXPECT_GT(scored.score, 0.5);
}

// The divergence from targets is their cross-entropy less their entropy, a constant: the same gradient, so the same
// weights, and losses lower by the entropy, here -(0.7 log 0.7 + 0.3 log 0.3) for every sample.
TEST(SoftLabels, KlDivergenceTrainsAsCrossEntropyLessTheTargetsEntropy) {
  Experiment cross_entropy = soft_label_experiment(R"({"type": "softmax_cross_entropy", "targets": "probabilities"})");
  Experiment divergence = soft_label_experiment(R"("kl_divergence")");
  cross_entropy.fit.progress = divergence.fit.progress = false;
  const Dataset train = as_probabilities(divergence.train, 0.7f), validation = as_probabilities(divergence.validation, 0.7f);
  const auto a = Trainer(*cross_entropy.model, cross_entropy.loss, cross_entropy.optimizer).fit(train, &validation, cross_entropy.fit);
  const auto b = Trainer(*divergence.model, divergence.loss, divergence.optimizer).fit(train, &validation, divergence.fit);
  // The targets are float32: 0.7f and 1 - 0.7f.
  const double on = 0.7f, off = 1.0f - 0.7f, entropy = -(on * std::log(on) + off * std::log(off));
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t e = 0; e < a.size(); ++e) {
    EXPECT_NEAR(b[e].train.loss, a[e].train.loss - entropy, 1e-12);
    EXPECT_NEAR(b[e].validation.loss, a[e].validation.loss - entropy, 1e-12);
    EXPECT_EQ(b[e].train.kind, ScoreKind::Accuracy);
    EXPECT_NEAR(a[e].validation.score, b[e].validation.score, 1e-12);
  }
  expect_same_weights(*cross_entropy.model, *divergence.model);
}

// nll reads rows of probabilities against log_softmax's log-probabilities as -sum t log p, the cross-entropy: the
// same losses, weights and accuracies (against each row's most probable class) as softmax_cross_entropy's on logits.
TEST(SoftLabels, NllOnLogSoftmaxTrainsOnProbabilitiesAsCrossEntropyOnLogits) {
  Experiment cross_entropy = soft_label_experiment(R"({"type": "softmax_cross_entropy", "targets": "probabilities"})");
  Experiment nll = soft_label_experiment(R"("nll")", "log_softmax");
  cross_entropy.fit.progress = nll.fit.progress = false;
  const Dataset train = as_probabilities(nll.train, 0.7f), validation = as_probabilities(nll.validation, 0.7f);
  const auto a = Trainer(*cross_entropy.model, cross_entropy.loss, cross_entropy.optimizer).fit(train, &validation, cross_entropy.fit);
  const auto b = Trainer(*nll.model, nll.loss, nll.optimizer).fit(train, &validation, nll.fit);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t e = 0; e < a.size(); ++e) {
    EXPECT_NEAR(b[e].train.loss, a[e].train.loss, 1e-12);
    EXPECT_NEAR(b[e].validation.loss, a[e].validation.loss, 1e-12);
    EXPECT_EQ(b[e].validation.kind, ScoreKind::Accuracy);
    EXPECT_NEAR(b[e].validation.score, a[e].validation.score, 1e-12);
  }
  expect_same_weights(*cross_entropy.model, *nll.model);
}

// categorical_hinge (Keras's, which takes one-hot rows) on one-hot rows is the classifier it is on class labels, which
// the trainer expands to those rows: the same losses and weights, and accuracy beside the loss, not a regression's
// error against the rows.
TEST(SoftLabels, CategoricalHingeOnOneHotRowsScoresAsOnClassLabels) {
  for (const EpochRecord& epoch : expect_one_hot_rows_train_as_labels(R"("categorical_hinge")", R"("categorical_hinge")"))
    EXPECT_EQ(epoch.validation.kind, ScoreKind::Accuracy);
  Experiment one_hot = soft_label_experiment(R"("categorical_hinge")");
  EXPECT_FALSE(scored_as_values(*one_hot.loss, one_hot.model->output_shape(), as_probabilities(one_hot.train, 1.0f)));
}

TEST(SoftLabels, ProbabilitiesOutsideZeroToOneAreRefused) {
  Experiment soft = soft_label_experiment(R"({"type": "softmax_cross_entropy", "targets": "probabilities"})");
  Dataset train = as_probabilities(soft.train, 1.0f);
  train.targets[4] = 1.5f;
  // The training set is what the validation split left, so its sample 1 is named by its row in the data as given.
  EXPECT_NE(train.row(1), 1);
  EXPECT_EQ(error_of([&] { check_targets(*soft.loss, soft.model->output_shape(), train); }),
            fmt::format("loss softmax_cross_entropy scores labels (0 or 1, or a probability between), so its targets are in [0, 1], but target 1 "
                        "of sample {} is 1.5 (its row in the data, counted from 0)", train.row(1)));
  EXPECT_EQ(error_of([] { soft_label_experiment(R"({"type": "softmax_cross_entropy", "targets": "logits"})"); }),
            "soft.json: loss: parameter 'targets' must be \"classes\" (class indices) or \"probabilities\" (a distribution over the classes per "
            "sample), got \"logits\"");
}

}  // namespace
}  // namespace nnplug::test
