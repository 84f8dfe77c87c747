// Class labels per step of a sequence (step_labels.hpp): a model that scores every step trains as PyTorch's
// CrossEntropyLoss over the steps as rows, with padding (a negative label) left out of the loss, its gradient and the
// accuracy, also through a loss of values (nll on log_softmax) that takes each step's class one-hot; a batch of
// padding alone changes nothing; labels that do not fit the model's output are refused by sample and step.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "nnplug/framework/evaluation.hpp"
#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/model_gradient_check.hpp"
#include "nnplug/framework/network.hpp"
#include "nnplug/framework/step_labels.hpp"
#include "test_support.hpp"
#include "torch_reference.hpp"

namespace nnplug::test {
namespace {

using Json = Params::Json;

// tests/fixtures/make_torch_reference.py's step_labels(): a two-layer model on (5, 4, 3) inputs, (5, 4) labels.
const Json& torch_run() { return torch_reference()["step_labels"]; }

// The fixture's sequences, their labels as the data's value targets (a negative one: padding).
Dataset sequences(const Json& run) {
  Dataset data;
  data.sample_shape = Shape(run["shape"].get<std::vector<std::int64_t>>());
  data.x = SampleValues(run["x"].get<std::vector<double>>());
  const auto labels = run["labels"].get<std::vector<int>>();
  data.targets.assign(labels.begin(), labels.end());
  data.target_width = data.sample_shape[0];
  data.labels.assign(labels.size() / static_cast<std::size_t>(data.target_width), -1);
  return data;
}

// The fixture's model, with its initial weights, trained by SGD at the fixture's settings: softmax_cross_entropy on
// its scores, or `loss` on the scores through `activation`.
Network tagger(const Json& run, const Shape& sample_shape, double momentum, const std::string& activation = "identity",
               const nn::Component& loss = "softmax_cross_entropy") {
  Network net(nn::Sequential{nn::Dense(run["hidden"].get<std::int64_t>()).activation("tanh"),
                             nn::Dense(run["classes"].get<std::int64_t>()).activation(activation)},
              registry());
  net.compile(nn::Sgd{.lr = run["lr"].get<double>(), .momentum = momentum}, loss, {.dtype = DType::Float64});
  net.build(sample_shape);
  const auto parameters = net.model().parameters(false);
  for (std::size_t i = 0; i < parameters.size(); ++i) from_host(parameters[i]->value, run["initial"][i].get<std::vector<double>>());
  return net;
}

// Trains `net` (tagger's) at the fixture's settings, and expects PyTorch's trained weights and the fixture's loss and
// accuracy: the set's loss is the mean over its scored steps, its accuracy their share predicted right (14 steps, not
// 5 samples).
void expect_pytorchs_training(Network& net, const Json& run, const Dataset& data) {
  net.fit(data, {.epochs = run["epochs"].get<int>(), .batch_size = run["batch_size"].get<std::int64_t>(), .shuffle = false, .progress = false});
  const auto parameters = net.model().parameters(false);
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const auto got = to_host<double>(parameters[i]->value), want = run["trained"][i].get<std::vector<double>>();
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t k = 0; k < got.size(); ++k) EXPECT_NEAR(got[k], want[k], 1e-10) << parameters[i]->name << "[" << k << "]";
  }
  const Scores scores = net.evaluate(data, 2);
  EXPECT_EQ(scores.kind, ScoreKind::Accuracy);
  EXPECT_NEAR(scores.loss, run["loss"].get<double>(), 1e-10);
  EXPECT_NEAR(scores.score, run["accuracy"].get<double>(), 1e-12);
}

TEST(StepLabels, TrainAsPyTorchsCrossEntropyOverTheScoredSteps) {
  const Json& run = torch_run();
  const Dataset data = sequences(run);
  Network net = tagger(run, data.sample_shape, run["momentum"].get<double>());
  expect_pytorchs_training(net, run, data);
  // predict gives each step's probabilities as a row, and its classes score the fixture's accuracy on the scored steps.
  const Predictions p = net.predict(data);
  ASSERT_EQ(p.rows, 20);
  ASSERT_EQ(p.columns, 4);
  for (std::int64_t r = 0; r < p.rows; ++r) EXPECT_NEAR(p.at(r, 0) + p.at(r, 1) + p.at(r, 2) + p.at(r, 3), 1.0, 1e-6) << r;
  const auto classes = net.predict_classes(data);
  double right = 0.0, scored = 0.0;
  for (std::size_t i = 0; i < classes.size(); ++i)
    if (data.targets[i] >= 0.0f) right += classes[i] == static_cast<std::int32_t>(data.targets[i]), scored += 1.0;
  EXPECT_EQ(scored, 14.0);
  EXPECT_NEAR(right / scored, run["accuracy"].get<double>(), 1e-12);
}

// A loss of values on a label per step takes each scored step's class one-hot, as PyTorch's NLLLoss takes (N, C, T)
// log-probabilities against (N, T) labels: log_softmax with nll, or categorical_focal_cross_entropy with gamma 0 and
// alpha 1, is CrossEntropyLoss, and trains to the fixture's weights, loss and accuracy.
TEST(StepLabels, ALossOfValuesTakesEachStepsClassOneHot) {
  const Json& run = torch_run();
  const Dataset data = sequences(run);
  const nn::Component focal("categorical_focal_cross_entropy", Json{{"gamma", 0.0}, {"alpha", 1.0}});
  for (const auto& [activation, loss] : {std::pair{"log_softmax", nn::Component("nll")}, std::pair{"identity", focal}}) {
    SCOPED_TRACE(loss.json().dump());
    Network net = tagger(run, data.sample_shape, run["momentum"].get<double>(), activation, loss);
    expect_pytorchs_training(net, run, data);
    EXPECT_EQ(net.predict(data).rows, 20) << "a row per step";
  }
  // Samples without targets are scored as the model was trained, also by the model saved and loaded again: a row per
  // step, where an untrained model's outputs are a row per sample.
  Dataset inputs = data;
  inputs.targets.clear(), inputs.target_width = 0;
  Network trained = tagger(run, data.sample_shape, 0.0, "log_softmax", "nll");
  EXPECT_EQ(trained.predict(inputs).rows, 5);
  trained.fit(data, {.epochs = 1, .batch_size = 5, .progress = false});
  EXPECT_EQ(trained.predict(inputs).rows, 20);
  const auto file = std::filesystem::temp_directory_path() / fmt::format("nnplug_step_labels_{}.safetensors", ::getpid());
  trained.save(file);
  Network loaded = Network::load(file, registry());
  std::filesystem::remove(file);
  EXPECT_EQ(loaded.predict(inputs).rows, 20);
  EXPECT_EQ(loaded.predict_classes(inputs), trained.predict_classes(data));
  // Its gradient check scores the labelled steps alike.
  Network net = tagger(run, data.sample_shape, 0.0, "log_softmax", "nll");
  const auto nll = registry().create_loss(Params("test", "nll"));
  const auto checks = check_model_gradients(net.model(), *nll, data, GradientCheckSettings{1e-5, 20, false});
  ASSERT_EQ(checks.size(), 4u);
  for (const auto& c : checks) EXPECT_LT(c.worst_error, 1e-7) << c.layer << " " << c.parameter << ": analytic " << c.analytic << ", numeric " << c.numeric;
}

// A loss of values on targets shaped like the output still regresses on them; labels per step cannot be blended by
// mixup nor standardized, and class weights must number the classes of a step.
TEST(StepLabels, ALossOfValuesReadsLabelsPerStepOnlyWhereThereIsOnePerStep) {
  const Json& run = torch_run();
  const Dataset data = sequences(run);
  Network net = tagger(run, data.sample_shape, 0.0, "log_softmax", "nll");
  const Shape output = net.model().output_shape();  // [4, 4]
  EXPECT_EQ(score_kind(*net.loss(), output, data), ScoreKind::Accuracy);
  Dataset values = data;
  values.target_width = 16;
  values.targets.assign(80, 0.25f);
  values.labels.assign(5, -1);
  EXPECT_FALSE(labels_per_step(*net.loss(), output, values.target_width));
  Network regression = tagger(run, data.sample_shape, 0.0, "identity", "mse");
  EXPECT_EQ(score_kind(*regression.loss(), output, values), ScoreKind::MeanAbsoluteError);
  EXPECT_EQ(error_of([&] { regression.fit(values, {.epochs = 1, .batch_size = 2, .progress = false}); }), "(no error)");
  Dataset halves = data;
  halves.targets[6] = 1.5f;
  EXPECT_THAT(error_of([&] { check_targets(*regression.loss(), output, halves); }),
              testing::HasSubstr("is 1.5, but the model scores 4 classes: a label is a whole number below that, or negative for a step that is "
                                 "not scored; mse takes one target per step as a class label, and regresses on 16 targets per sample, one per output"));
  EXPECT_EQ(error_of([&] { net.fit(data, {.epochs = 1, .batch_size = 2, .validation = &values, .progress = false}); }),
            "the training data's targets are class labels (one per step) but the validation data's are values; give both sets the same kind of "
            "target");
  Dataset padding = data;  // every step padding: nothing to train on, where it used to train at a loss of 0
  padding.targets.assign(padding.targets.size(), -100.0f);
  EXPECT_EQ(error_of([&] { net.fit(padding, {.epochs = 1, .batch_size = 2, .progress = false}); }),
            "every label of the training data's 5 samples is negative (a step that is not scored): there is no labelled step to train on");
  EXPECT_THAT(error_of([&] { net.fit(data, {.epochs = 1, .batch_size = 2, .progress = false, .mixup_alpha = 0.2}); }),
              testing::HasSubstr("mixup blends the targets of two samples, which loss nll cannot take: targets per step are not blended"));
  EXPECT_THAT(error_of([&] { fit_target_scaling(Params("data", Json{{"standardize_targets", true}}), data, *net.loss(), output); }),
              testing::HasSubstr("cannot be used with loss nll: its targets are class labels (one per step)"));
  Network weighted(nn::Sequential{nn::Dense(4).activation("log_softmax")}, registry());
  weighted.compile(nn::Sgd{.lr = 0.1}, nn::Component("nll", Json{{"class_weights", {1.0, 2.0, 3.0}}}), {.dtype = DType::Float64});
  weighted.build(data.sample_shape);
  EXPECT_THAT(error_of([&] { check_targets(*weighted.loss(), weighted.model().output_shape(), data); }),
              testing::HasSubstr("nll: class_weights has 3 weights but the model outputs [4] per sample; it takes one per class (each of "
                                                 "the 4 steps scored as a sample of 4 classes)"));
}

// Class probabilities as targets on a [steps, classes] output are a distribution per step, each step a softmax of its
// own, as PyTorch's CrossEntropyLoss takes (N, C, T) probabilities: a model of each step alone, trained on the
// sequences with full batches, ends where the same model does trained on every step as a sample of its own, whose
// soft labels are read as ever. Its gradient check agrees with centred differences, under kl_divergence too.
TEST(StepLabels, DistributionsPerStepTrainAsEveryStepASampleOfItsOwn) {
  const Json& run = torch_run();
  Dataset sequence = sequences(run);  // 5 samples of 4 steps of 3 features, 4 classes
  sequence.targets.clear();
  for (int i = 0; i < 5 * 4; ++i) {
    double sum = 0.0;
    std::vector<double> p(4);
    for (int c = 0; c < 4; ++c) sum += p[static_cast<std::size_t>(c)] = std::exp(2.0 * std::sin(1.0 + 3.0 * i + c));
    for (const double v : p) sequence.targets.push_back(static_cast<float>(v / sum));
  }
  sequence.target_width = 16;
  Dataset steps;  // every step a sample: 20 samples of 3 features, a distribution over 4 classes each
  steps.sample_shape = Shape{3};
  steps.x = sequence.x;
  steps.targets = sequence.targets;
  steps.target_width = 4;
  steps.labels.assign(20, -1);
  const nn::Component probabilities("softmax_cross_entropy", Json{{"targets", "probabilities"}});
  Network a = tagger(run, sequence.sample_shape, 0.0, "identity", probabilities), b = tagger(run, steps.sample_shape, 0.0, "identity", probabilities);
  const auto history_a = a.fit(sequence, {.epochs = 3, .batch_size = 5, .shuffle = false, .progress = false});
  const auto history_b = b.fit(steps, {.epochs = 3, .batch_size = 20, .shuffle = false, .progress = false});
  ASSERT_EQ(history_a.size(), history_b.size());
  for (std::size_t e = 0; e < history_a.size(); ++e) {
    EXPECT_NEAR(history_a[e].train.loss, history_b[e].train.loss, 1e-12) << "epoch " << e + 1;  // the mean over the steps
    EXPECT_DOUBLE_EQ(history_a[e].train.score, history_b[e].train.score) << "epoch " << e + 1;
  }
  const auto pa = a.model().parameters(false), pb = b.model().parameters(false);
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) {
    const auto wa = to_host<double>(pa[i]->value), wb = to_host<double>(pb[i]->value);
    ASSERT_EQ(wa.size(), wb.size());
    for (std::size_t k = 0; k < wa.size(); ++k) EXPECT_NEAR(wa[k], wb[k], 1e-12) << pa[i]->name << "[" << k << "]";
  }
  const Scores sa = a.evaluate(sequence, 2), sb = b.evaluate(steps, 8);
  EXPECT_EQ(sa.kind, ScoreKind::Accuracy);
  EXPECT_NEAR(sa.loss, sb.loss, 1e-12);
  EXPECT_DOUBLE_EQ(sa.score, sb.score);
  // Without targets too, a row of probabilities per step: the single steps' rows.
  Dataset inputs = sequence;
  inputs.targets.clear(), inputs.target_width = 0;
  const Predictions pa_rows = a.predict(inputs), pb_rows = b.predict(steps);
  ASSERT_EQ(pa_rows.rows, 20);
  ASSERT_EQ(pa_rows.columns, 4);
  for (std::size_t i = 0; i < pa_rows.values.size(); ++i) EXPECT_NEAR(pa_rows.values[i], pb_rows.values[i], 1e-6) << i;
  for (const Json& spec : {probabilities.json(), Json("kl_divergence")}) {
    const auto loss = registry().create_loss(Params("test", spec));
    Network fresh = tagger(run, sequence.sample_shape, 0.0);
    const auto checks = check_model_gradients(fresh.model(), *loss, sequence, GradientCheckSettings{1e-5, 20, false});
    ASSERT_EQ(checks.size(), 4u);
    // Relative errors, of gradients that soft targets leave small: a wrong one would be off by far more.
    for (const auto& c : checks) EXPECT_LT(c.worst_error, 1e-6) << spec.dump() << " " << c.layer << " " << c.parameter;
  }
}

// A tagger as a user builds one on padded token ids: an embedding whose padding_idx row is zero, a bidirectional
// LSTM that skips those steps (mask_zero: its reverse direction would read the padding first), a dense layer per
// step and -100 at the padding. Three Adam steps end with the weights PyTorch reaches with pack_padded_sequence and
// CrossEntropyLoss over the steps.
TEST(StepLabels, APaddedTaggerTrainsAsPyTorchsPackedLstm) {
  const Json& run = torch_reference()["tagger"];
  Dataset data;
  data.sample_shape = Shape{6};
  data.x = SampleValues(run["ids"].get<std::vector<double>>());
  const auto labels = run["labels"].get<std::vector<int>>();
  data.targets.assign(labels.begin(), labels.end());
  data.target_width = 6;
  data.labels.assign(4, -1);
  Network net(nn::Sequential{nn::Embedding(7, 5).set("padding_idx", 0), nn::Layer("lstm").set("units", 4).set("bidirectional", true).set("return_sequences", true).set("mask_zero", true),
                             nn::Dense(3)},
              registry());
  net.compile(nn::Adam{.lr = 0.05}, "softmax_cross_entropy", {.dtype = DType::Float64});
  net.build(data.sample_shape);
  const auto parameters = net.model().parameters(false);
  ASSERT_EQ(parameters.size(), run["initial"].size());
  for (std::size_t i = 0; i < parameters.size(); ++i) from_host(parameters[i]->value, run["initial"][i].get<std::vector<double>>());
  net.fit(data, {.epochs = 3, .batch_size = 4, .shuffle = false, .progress = false});
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const auto got = to_host<double>(parameters[i]->value), want = run["trained"][i].get<std::vector<double>>();
    ASSERT_EQ(got.size(), want.size()) << parameters[i]->name;
    for (std::size_t k = 0; k < got.size(); ++k) EXPECT_NEAR(got[k], want[k], 1e-10) << parameters[i]->name << "[" << k << "]";
  }
}

// The model's gradient check (nnplug gradcheck) scores the labelled steps as training does, the fixture's padding left
// out: every parameter's gradient agrees with centred differences of that loss.
TEST(StepLabels, TheModelGradientCheckScoresTheLabelledSteps) {
  const Json& run = torch_run();
  const Dataset data = sequences(run);
  ASSERT_NE(std::count(data.targets.begin(), data.targets.end(), -100.0f), 0) << "the fixture's labels have no padding";
  Network net = tagger(run, data.sample_shape, 0.0);
  const auto loss = registry().create_loss(Params("test", "softmax_cross_entropy"));
  const auto checks = check_model_gradients(net.model(), *loss, data, GradientCheckSettings{1e-5, 20, false});
  ASSERT_EQ(checks.size(), 4u);
  for (const auto& c : checks) EXPECT_LT(c.worst_error, 1e-7) << c.layer << " " << c.parameter << ": analytic " << c.analytic << ", numeric " << c.numeric;
  Dataset padding = data;
  std::fill(padding.targets.begin(), padding.targets.end(), -100.0f);
  EXPECT_EQ(error_of([&] { check_model_gradients(net.model(), *loss, padding, GradientCheckSettings{}); }),
            "the gradient check needs a labelled step, but every step of these samples is padding");
}

// The last batch, one sample whose every step is padding, has no loss and no gradient: plain SGD leaves the weights
// where the first four samples took them, and the padding's set scores zero.
TEST(StepLabels, ABatchOfPaddingAloneChangesNothing) {
  const Json& run = torch_run();
  Dataset padded = sequences(run);
  std::fill(padded.targets.end() - padded.target_width, padded.targets.end(), -100.0f);
  const Dataset first_four = padded.head(4);
  Network a = tagger(run, padded.sample_shape, 0.0), b = tagger(run, padded.sample_shape, 0.0);
  a.fit(padded, {.epochs = 1, .batch_size = 2, .shuffle = false, .progress = false});
  b.fit(first_four, {.epochs = 1, .batch_size = 2, .shuffle = false, .progress = false});
  const auto pa = a.model().parameters(false), pb = b.model().parameters(false);
  for (std::size_t i = 0; i < pa.size(); ++i) EXPECT_EQ(to_host<double>(pa[i]->value), to_host<double>(pb[i]->value)) << pa[i]->name;
  const Scores none = a.evaluate(padded.subset({4}), 1);
  EXPECT_EQ(none.loss, 0.0);
  EXPECT_EQ(none.score, 0.0);
}

// Batches accumulated into one update are weighed by their labelled steps, not their samples: four batches of 1
// train as one batch of 4 does, whose loss is the mean over its 10 labelled steps (3, 2, 4 and 1 of its samples).
TEST(StepLabels, AccumulatedBatchesTrainAsOneBatchOfTheirSteps) {
  const Json& run = torch_run();
  const Dataset data = sequences(run);
  Network one = tagger(run, data.sample_shape, 0.9), accumulated = tagger(run, data.sample_shape, 0.9);
  const auto a = one.fit(data, {.epochs = 2, .batch_size = 4, .shuffle = false, .progress = false});
  const auto b = accumulated.fit(data, {.epochs = 2, .batch_size = 1, .shuffle = false, .progress = false, .gradient_accumulation_steps = 4});
  const auto pa = one.model().parameters(false), pb = accumulated.model().parameters(false);
  for (std::size_t i = 0; i < pa.size(); ++i) {
    const auto wa = to_host<double>(pa[i]->value), wb = to_host<double>(pb[i]->value);
    for (std::size_t k = 0; k < wa.size(); ++k) EXPECT_NEAR(wa[k], wb[k], 1e-12) << pa[i]->name << "[" << k << "]";
  }
  for (std::size_t e = 0; e < a.size(); ++e) EXPECT_NEAR(a[e].train.loss, b[e].train.loss, 1e-12) << "epoch " << e + 1;
}

TEST(StepLabels, LabelsThatDoNotFitTheOutputAreRefusedBySampleAndStep) {
  const Json& run = torch_run();
  const Dataset data = sequences(run);
  Network net = tagger(run, data.sample_shape, 0.0);
  const Shape output = net.model().output_shape();  // [4, 4]: 4 steps of 4 classes
  const auto refusal = [&](const Dataset& d) { return error_of([&] { check_targets(*net.loss(), output, d); }); };
  EXPECT_EQ(refusal(data), "(no error)");
  Dataset outside = data;
  outside.targets[6] = 4.0f;
  EXPECT_EQ(refusal(outside), "the label of step 2 of sample 1 (its row in the data, counted from 0) is 4, but the model scores 4 classes: a label is a whole number "
                              "below that, or negative for a step that is not scored");
  outside.targets[6] = 1.5f;
  EXPECT_THAT(refusal(outside), testing::HasSubstr("step 2 of sample 1 (its row in the data, counted from 0) is 1.5"));
  outside.targets[6] = std::nanf("");
  EXPECT_THAT(refusal(outside), testing::HasSubstr("step 2 of sample 1 (its row in the data, counted from 0) is nan"));
  // After a split shuffled the samples, the message names the sample's row as given, not its place in the split.
  auto [train, validation] = split(outside, 0.5, 7);
  const Dataset& part = std::find(train.rows.begin(), train.rows.end(), 1) != train.rows.end() ? train : validation;
  const auto place = std::find(part.rows.begin(), part.rows.end(), 1) - part.rows.begin();
  ASSERT_LT(place, part.size());
  EXPECT_NE(place, 1) << "the split left sample 1 in its place: choose another seed";
  EXPECT_THAT(refusal(part), testing::HasSubstr("step 2 of sample 1 (its row in the data, counted from 0) is nan"));
  Dataset three_steps = data;
  three_steps.target_width = 3;
  three_steps.targets.resize(15);
  EXPECT_THAT(refusal(three_steps), testing::HasSubstr("the model outputs [4, 4] per sample, scores of 4 classes at each of 4 steps, but the data "
                                                       "has 3 target values per sample"));
  Dataset per_sample = data;
  per_sample.targets.clear(), per_sample.target_width = 0;
  per_sample.labels.assign(5, 1), per_sample.num_classes = 4;
  EXPECT_THAT(refusal(per_sample), testing::HasSubstr("so the data needs a label per step ((N, 4) whole numbers, data.targets)"));
  EXPECT_THAT(error_of([&] { check_targets(*net.loss(), Shape{4, 1}, data); }),
              testing::HasSubstr("a class label per step needs scores of 2 or more classes on its last axis"));
}

// The report scores the labelled steps alone: of the 2 steps of 2 samples with a label, the first is predicted right.
TEST(StepLabels, TheReportScoresTheLabelledStepsOfEachSample) {
  const Evaluation e = evaluate_labelled_rows({0.1f, 0.9f, 0.8f, 0.2f, 0.7f, 0.3f, 0.6f, 0.4f}, {1, -100, -1, 1}, 2, 0.5, 0, 2);
  EXPECT_EQ(e.samples, 2);
  EXPECT_EQ(e.steps, 2);
  EXPECT_EQ(e.confusion.accuracy(), 0.5);
  EXPECT_EQ(e.confusion.support(1), 2);
  EXPECT_THAT(format_evaluation(e), testing::HasSubstr("accuracy 0.5000  (2 steps of 2 samples)"));
  EXPECT_EQ(evaluation_json(e)["steps"], 2);
}

}  // namespace
}  // namespace nnplug::test
