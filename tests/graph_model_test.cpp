// Models that branch and merge: the merge layers (float64 gradient checks, concat's layout by its definition),
// graph specs and blocks (PyTorch's parameter names, folded summaries, block files), a whole graph's gradient by
// centred differences, one residual block against PyTorch, and every bad graph refused with the nodes named.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "nnplug/framework/activation_layer.hpp"
#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/graph_spec.hpp"
#include "nnplug/framework/model_file.hpp"
#include "nnplug/framework/model_gradient_check.hpp"
#include "nnplug/framework/safetensors.hpp"
#include "nnplug/framework/synthetic.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

namespace fs = std::filesystem;

void expect_passes(const conformance::CheckResult& r) { EXPECT_TRUE(r.passed) << r.check << ": " << r.detail; }

std::shared_ptr<Layer> layer(const Params::Json& spec) { return registry().create_layer(Params("test", spec)); }

// A spec of these layers (and blocks), as if read from dir/spec.json.
Spec graph_spec(const std::string& layers, const std::string& blocks = "{}", const fs::path& dir = fs::temp_directory_path()) {
  return parse_spec(R"({"layers": )" + layers + R"(, "blocks": )" + blocks + "}", dir / "spec.json");
}

std::unique_ptr<Model> build(const Spec& spec, const Shape& input, DType dtype = DType::Float64) {
  return build_model(spec, registry(), cpu_backend(), dtype, input, 3);
}

std::string build_error(const std::string& layers, const Shape& input, const std::string& blocks = "{}") {
  return error_of([&] { build(graph_spec(layers, blocks), input); });
}

// The whole model's gradient of softmax cross-entropy on `data` against centred differences, 20 coordinates of each of
// its `tensors` parameter tensors: a gradient summed or routed wrongly over a node's readers is off by O(1); 1e-6
// leaves room for the rounding of the smallest gradients here (1e-3).
void expect_gradients_match_centred_differences(Model& model, const Dataset& data, std::size_t tensors) {
  auto loss = registry().create_loss(Params("test", "softmax_cross_entropy"));
  const auto checks = check_model_gradients(model, *loss, data, GradientCheckSettings{1e-5, 20, true});
  ASSERT_EQ(checks.size(), tensors);
  for (const auto& c : checks) EXPECT_LT(c.worst_error, 1e-6) << c.layer << " " << c.parameter << ": analytic " << c.analytic << ", numeric " << c.numeric;
}

// The labels of the activation nodes that pass values through, their layer before having taken them in.
std::vector<std::string> passing_through(const Model& model) {
  std::vector<std::string> passing;
  for (std::size_t i = 0; i < model.size(); ++i)
    if (const auto* a = dynamic_cast<const ActivationLayer*>(&model.layer(i)); a && a->passes_through()) passing.push_back(model.label(i));
  return passing;
}

// The line of a summary that starts with `start`, or "".
std::string summary_line(const std::string& summary, const std::string& start) {
  std::istringstream lines(summary);
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with(start)) return line;
  return "";
}

std::vector<std::string> parameter_names(const Model& model) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < model.size(); ++i)
    for (Parameter* p : model.layer(i).parameters()) names.push_back(model.parameter_name(i, *p));
  return names;
}

TEST(CopyColumns, CopiesABlockOfColumnsBothWays) {
  auto be = cpu_backend();
  Tensor part = tensor(*be, Shape{2, 2}, {1, 2, 3, 4});
  Tensor whole = tensor(*be, Shape{2, 5}, std::vector<double>(10, 0.0));
  be->run(op::CopyColumns{part, whole, 2, 1, true});
  EXPECT_EQ(to_host<double>(whole), (std::vector<double>{0, 1, 2, 0, 0, 0, 3, 4, 0, 0}));
  Tensor back = tensor(*be, Shape{2, 2}, std::vector<double>(4, 0.0));
  be->run(op::CopyColumns{back, whole, 2, 2, false});
  EXPECT_EQ(to_host<double>(back), (std::vector<double>{2, 0, 4, 0}));
  EXPECT_THROW(be->run(op::CopyColumns{part, whole, 2, 4, true}), BackendError);  // columns [4, 6) of 5
}

TEST(MergeLayers, GradientsMatchCentredDifferencesInFloat64) {
  auto be = cpu_backend();
  for (const char* type : {"add", "subtract", "average", "multiply", "concat"})
    expect_passes(conformance::check_layer_gradient(*layer(type), *be, Shape{2, 3}, 3, random_normal(18, 1)));
  // Three inputs; concat of different channel counts, and along the last axis.
  const std::vector<std::vector<double>> three{random_normal(12, 2), random_normal(12, 3), random_normal(12, 4)};
  expect_passes(conformance::check_merge_gradient(*layer("add"), *be, {Shape{4}, Shape{4}, Shape{4}}, 3, three));
  expect_passes(conformance::check_merge_gradient(*layer("multiply"), *be, {Shape{4}, Shape{4}, Shape{4}}, 3, three));
  expect_passes(conformance::check_merge_gradient(*layer("average"), *be, {Shape{4}, Shape{4}, Shape{4}}, 3, three));
  expect_passes(conformance::check_merge_gradient(*layer("concat"), *be, {Shape{1, 2, 3}, Shape{3, 2, 3}}, 2,
                                                  {random_normal(12, 5), random_normal(36, 6)}));
  expect_passes(conformance::check_merge_gradient(*layer({{"type", "concat"}, {"axis", -1}}), *be, {Shape{2, 2, 1}, Shape{2, 2, 3}}, 2,
                                                  {random_normal(8, 7), random_normal(24, 8)}));
}

// Keras's Subtract (a - b, and only two inputs) and Average ((a + b + c) / 3).
TEST(MergeLayers, SubtractAndAverageAsKeras) {
  auto be = cpu_backend();
  const std::vector<double> a = {1, 2, 3, 4}, b = {10, 20, 30, 40}, c = {-2, 4, 0.5, 8};
  const auto merged = [&](const char* type, std::vector<std::vector<double>> inputs) {
    auto merge = layer(type);
    merge->build_merge(std::vector<Shape>(inputs.size(), Shape{2}), BuildContext{*be, DType::Float64});
    std::vector<Tensor> xs;
    for (const auto& v : inputs) xs.push_back(tensor(*be, Shape{2, 2}, v));
    return to_host<double>(merge->forward_merge(xs));
  };
  EXPECT_EQ(merged("subtract", {a, b}), (std::vector<double>{-9, -18, -27, -36}));
  const auto average = merged("average", {a, b, c});
  for (std::size_t i = 0; i < 4; ++i) EXPECT_NEAR(average[i], (a[i] + b[i] + c[i]) / 3, 1e-12) << i;
  EXPECT_EQ(error_of([&] { merged("subtract", {a, b, c}); }), "subtract takes two inputs (the first minus the second), got 3");
}

// torch.cat(dim=1): y[n, c] is a[n, c] for c < Ca, else b[n, c - Ca], each (c) a plane of H x W values.
TEST(MergeLayers, ConcatJoinsChannelsAsTorchCat) {
  auto be = cpu_backend();
  auto concat = layer("concat");
  concat->build_merge({Shape{1, 2, 2}, Shape{2, 2, 2}}, BuildContext{*be, DType::Float64});
  std::vector<double> a(8), b(16);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = 100 + static_cast<double>(i);
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = 200 + static_cast<double>(i);
  const auto y = to_host<double>(concat->forward_merge({tensor(*be, Shape{2, 1, 2, 2}, a), tensor(*be, Shape{2, 2, 2, 2}, b)}));
  ASSERT_EQ(y.size(), 24u);
  for (std::size_t n = 0; n < 2; ++n)
    for (std::size_t c = 0; c < 3; ++c)
      for (std::size_t k = 0; k < 4; ++k)
        EXPECT_EQ(y[(n * 3 + c) * 4 + k], c < 1 ? a[n * 4 + k] : b[(n * 2 + c - 1) * 4 + k]) << n << " " << c << " " << k;
}

TEST(MergeLayers, ShapesThatDoNotFitNameBothBranches) {
  const std::string add = build_error(R"([{"name": "a", "type": "dense", "units": 4}, {"name": "b", "type": "dense", "units": 5, "inputs": "input"},
    {"name": "sum", "type": "add", "inputs": ["a", "b"]}])", Shape{3});
  EXPECT_NE(add.find("sum (add) cannot merge a (dense), which produces [4] and b (dense), which produces [5]: add needs inputs of one shape"),
            std::string::npos) << add;
  const std::string concat = build_error(R"([{"type": "conv2d", "name": "c", "filters": 2, "kernel_size": 3},
    {"type": "concat", "name": "cat", "inputs": ["c", "input"]}])", Shape{1, 6, 6});
  EXPECT_NE(concat.find("cat (concat) cannot merge c (conv2d), which produces [2, 4, 4] and the input [1, 6, 6]: concat along axis 0 needs"),
            std::string::npos) << concat;
  EXPECT_NE(build_error(R"([{"type": "add"}])", Shape{3}).find("layers[0] (add) cannot take the output of the input [3]: add merges two or more inputs: name them with"), std::string::npos);
  EXPECT_NE(build_error(R"([{"type": "dense", "units": 2, "inputs": ["input", "input"]}])", Shape{3}).find("dense takes one input, and reads 2"),
            std::string::npos);
}

TEST(GraphSpec, AChainSpecKeepsItsIndexNames) {
  const auto model = build(graph_spec(R"([{"type": "dense", "units": 4, "activation": "relu"}, {"type": "dense", "units": 2}])"), Shape{3});
  EXPECT_EQ(parameter_names(*model), (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  EXPECT_EQ(model->label(1), "layers[0] (dense) relu");
  EXPECT_EQ(model->summary().find("inputs"), std::string::npos);  // a chain's summary is as it was
}

// Data read twice (fan-out), merged three ways, and a gradient that must be the sum of both uses: the analytic
// gradient of the whole graph against centred differences.
TEST(GraphSpec, AGraphsGradientMatchesCentredDifferences) {
  Spec spec = graph_spec(R"([
    {"name": "h", "type": "dense", "units": 4, "activation": "tanh"},
    {"name": "left", "type": "dense", "units": 4, "inputs": "h"},
    {"name": "right", "type": "dense", "units": 4, "inputs": "h", "activation": "sigmoid"},
    {"name": "gate", "type": "multiply", "inputs": ["left", "right"]},
    {"name": "skip", "type": "add", "inputs": ["gate", "h", "h"]},
    {"name": "both", "type": "concat", "inputs": ["skip", "input"]},
    {"type": "dense", "units": 3}])");
  auto model = build(spec, Shape{5});
  expect_gradients_match_centred_differences(*model, synthetic::gaussian_blobs(6, 3, 5, 1.0, 1), 8);  // four dense layers' weights and biases
}

// add gives its output's gradient itself to both its inputs; b's activity penalty joins b's gradient in place while
// a, whose backward comes later, still has to read that tensor: the model copies it first (Model::backward).
TEST(GraphSpec, AGradientTwoInputsShareIsCopiedBeforeAPenaltyAddsToOne) {
  Spec spec = graph_spec(R"([
    {"name": "a", "type": "dense", "units": 4, "activation": "tanh"},
    {"name": "b", "type": "dense", "units": 4, "inputs": "a", "activity_regularizer": {"type": "l2", "lambda": 0.5}},
    {"name": "sum", "type": "add", "inputs": ["b", "a"]},
    {"type": "dense", "units": 3}])");
  auto model = build(spec, Shape{5});
  expect_gradients_match_centred_differences(*model, synthetic::gaussian_blobs(6, 3, 5, 1.0, 1), 6);
}

// add takes the ReLU after it: of two inputs in its op add_pair's one pass, of three after its axpby. The model's
// output, relu(a + b [+ a]) of two dense layers, is computed here from their weights, and its gradient matches
// centred differences.
TEST(GraphSpec, AnAddTakesTheReluAfterItOfTwoInputsOrThree) {
  for (const char* inputs : {R"(["a", "b"])", R"(["a", "b", "a"])"}) {
    SCOPED_TRACE(inputs);
    auto model = build(graph_spec(fmt::format(R"([{{"name": "a", "type": "dense", "units": 3}},
      {{"name": "b", "type": "dense", "units": 3, "inputs": "input"}},
      {{"name": "sum", "type": "add", "inputs": {}}}, {{"name": "act", "type": "relu"}}])", inputs)),
                       Shape{5});
    EXPECT_EQ(passing_through(*model), std::vector<std::string>{"act (relu)"});
    const Dataset data = synthetic::gaussian_blobs(6, 3, 5, 1.0, 1);
    const std::vector<double> x = data.x.doubles();
    const auto got = to_host<double>(model->forward(tensor(model->backend(), Shape{6, 5}, x)));
    const auto p = model->parameters();  // a's weight and bias, then b's
    const auto wa = to_host<double>(p[0]->value), ba = to_host<double>(p[1]->value), wb = to_host<double>(p[2]->value),
               bb = to_host<double>(p[3]->value);
    const double a_uses = std::string(inputs).find(R"("b", "a")") == std::string::npos ? 1 : 2;
    int zeros = 0;
    for (std::size_t n = 0; n < 6; ++n)
      for (std::size_t u = 0; u < 3; ++u) {
        double a = ba[u], b = bb[u];
        for (std::size_t k = 0; k < 5; ++k) a += wa[u * 5 + k] * x[n * 5 + k], b += wb[u * 5 + k] * x[n * 5 + k];
        const double want = std::max(a_uses * a + b, 0.0);
        zeros += want == 0.0;
        EXPECT_NEAR(got[n * 3 + u], want, 1e-12) << "sample " << n << ", unit " << u;
      }
    EXPECT_GT(zeros, 0) << "no value below the ReLU's kink: the check would not see a missing ReLU";
    expect_gradients_match_centred_differences(*model, data, 4);
  }
}

// Cross-attention in a graph: the pooled half of a sequence attends to the whole of it (the two inputs' shapes
// differ), and the whole graph's gradient is the sum of both uses of the sequence.
TEST(GraphSpec, CrossAttentionReadsTwoBranchesOfOneGraph) {
  Spec spec = graph_spec(R"([
    {"name": "steps", "type": "reshape", "shape": [6, 2]},
    {"name": "seq", "type": "dense", "units": 4, "activation": "tanh"},
    {"name": "half", "type": "avg_pool1d", "pool_size": 2, "data_format": "channels_last", "inputs": "seq"},
    {"name": "attend", "type": "multi_head_attention", "num_heads": 2, "cross": true, "inputs": ["half", "seq"]},
    {"type": "flatten"},
    {"type": "dense", "units": 3}])");
  auto model = build(spec, Shape{12});
  EXPECT_THAT(model->summary(), testing::HasSubstr("attend (multi_head_attention)  [3, 4]"));
  expect_gradients_match_centred_differences(*model, synthetic::gaussian_blobs(6, 3, 12, 1.0, 1), 8);  // 3 layers' weights and biases
}

// A ReLU that alone reads a dense layer's output runs in that layer's product (Layer::fuse_activation): its node
// then passes values through. Not a tanh (dense fuses only ReLU), not where a second node reads the dense output,
// not where an activity penalty watches it. The output is checked against loops written here, the gradient
// against centred differences.
TEST(ActivationFusion, AReluAfterADenseLayerRunsInItsProduct) {
  Spec spec = graph_spec(R"([
    {"name": "fused", "type": "dense", "units": 4, "activation": "relu"},
    {"name": "read_twice", "type": "dense", "units": 4},
    {"name": "relu_of_read_twice", "type": "relu", "inputs": "read_twice"},
    {"name": "sum", "type": "add", "inputs": ["relu_of_read_twice", "read_twice"]},
    {"name": "watched", "type": "dense", "units": 4, "activation": "relu", "activity_regularizer": {"type": "l2", "lambda": 0.01}},
    {"name": "tanh", "type": "dense", "units": 4, "activation": "tanh"},
    {"type": "dense", "units": 3}])");
  auto model = build(spec, Shape{5});
  const auto passing = passing_through(*model);
  EXPECT_EQ(passing, std::vector<std::string>{"fused (dense) relu"}) << fmt::format("{}", fmt::join(passing, ", "));

  // The first node's output, relu(x W^T + b), from its parameters.
  const auto xs = random_normal(30, 4);
  std::vector<double> got;
  model->forward_each(tensor(*cpu_backend(), Shape{6, 5}, xs), [&](std::size_t node, const Tensor& y) {
    if (node == 1) got = to_host<double>(y);
  });
  const auto w = to_host<double>(model->layer(0).parameters()[0]->value), b = to_host<double>(model->layer(0).parameters()[1]->value);
  int negative_before_relu = 0;
  for (std::size_t n = 0; n < 6; ++n)
    for (std::size_t j = 0; j < 4; ++j) {
      double z = b[j];
      for (std::size_t i = 0; i < 5; ++i) z += xs[n * 5 + i] * w[j * 5 + i];
      negative_before_relu += z < 0;
      EXPECT_NEAR(got[n * 4 + j], std::max(z, 0.0), 1e-12) << "sample " << n << " unit " << j;
    }
  EXPECT_GT(negative_before_relu, 0) << "no value for the ReLU to cut";

  expect_gradients_match_centred_differences(*model, synthetic::gaussian_blobs(6, 3, 5, 1.0, 1), 10);  // five dense layers' weights and biases
}

// A ReLU after a convolution (X11's conv, ReLU, batch norm) or after a batch norm (ResNet's) runs in that layer's
// output pass too, and the batch norm or max pooling after a fused ReLU takes its gradient. The same model with
// each ReLU watched by an activity penalty of weight 0, which keeps it a node of its own, computes the same
// outputs and gradients, and both match centred differences.
TEST(ActivationFusion, AReluAfterAConvolutionOrABatchNormRunsInItsOutputPass) {
  const auto layers = [](const std::string& watch) {
    return fmt::format(R"([
      {{"name": "conv", "type": "conv2d", "filters": 3, "kernel_size": 3, "padding": "same", "activation": "relu"{0}}},
      {{"name": "bn", "type": "batch_norm"{0}}},
      {{"name": "relu", "type": "relu"}},
      {{"name": "conv_pool", "type": "conv2d", "filters": 3, "kernel_size": 3, "padding": "same", "activation": "relu"{0}}},
      {{"name": "pool", "type": "max_pool2d", "pool_size": 2}},
      {{"name": "conv_tanh", "type": "conv2d", "filters": 2, "kernel_size": 3, "activation": "tanh"}},
      {{"type": "flatten"}},
      {{"type": "dense", "units": 3}}])", watch);
  };
  auto fused = build(graph_spec(layers("")), Shape{1, 6, 6});
  auto separate = build(graph_spec(layers(R"(, "activity_regularizer": {"type": "l2", "lambda": 0})")), Shape{1, 6, 6});
  for (const auto* model : {fused.get(), separate.get()}) {
    const auto passing = passing_through(*model);
    EXPECT_EQ(passing.size(), model == fused.get() ? 3u : 0u) << fmt::format("{}", fmt::join(passing, ", "));
  }
  Dataset data = synthetic::gaussian_blobs(6, 3, 36, 1.0, 2);
  data.sample_shape = Shape{1, 6, 6};
  const Tensor x = tensor(*cpu_backend(), Shape{6, 1, 6, 6}, data.x.doubles());
  const Tensor upstream = tensor(*cpu_backend(), Shape{6, 3}, random_normal(18, 5));
  std::vector<std::vector<double>> outputs, gradients;
  for (auto* model : {fused.get(), separate.get()}) {
    outputs.push_back(to_host<double>(model->forward(x)));
    model->backward(upstream);
    gradients.emplace_back();
    for (std::size_t i = 0; i < model->size(); ++i)
      for (const Parameter* p : model->layer(i).parameters())
        if (p->trainable)
          for (const double g : to_host<double>(p->grad)) gradients.back().push_back(g);
  }
  for (std::size_t i = 0; i < outputs[0].size(); ++i) EXPECT_NEAR(outputs[0][i], outputs[1][i], 1e-12) << "output " << i;
  ASSERT_EQ(gradients[0].size(), gradients[1].size());
  for (std::size_t i = 0; i < gradients[0].size(); ++i) EXPECT_NEAR(gradients[0][i], gradients[1][i], 1e-12) << "gradient " << i;
  expect_gradients_match_centred_differences(*fused, data, 10);  // three convolutions' and the dense layer's weights and biases, gamma and beta
}

// The example's ResNet: PyTorch's module paths, "rest" for the repeats, a projection only where "when" says.
TEST(GraphSpec, BlocksNameParametersAsPyTorchModules) {
  const Spec spec = load_spec(std::string(EXAMPLES_DIR) + "/fashion_resnet.json");
  const auto model = build(spec, Shape{1, 28, 28}, DType::Float32);
  const auto names = parameter_names(*model);
  auto has = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  for (const char* n : {"conv1.weight", "bn1.running_var", "layer1.0.conv1.weight", "layer1.1.bn2.bias", "layer2.0.downsample.0.weight",
                        "layer2.0.downsample.1.running_mean", "layer3.1.conv2.weight", "fc.weight", "fc.bias"})
    EXPECT_TRUE(has(n)) << n;
  for (const char* n : {"layer1.0.downsample.0.weight", "layer2.1.downsample.0.weight", "layer2.0.conv1.bias"}) EXPECT_FALSE(has(n)) << n;
  EXPECT_EQ(model->output_shape(), Shape{10});
  // torchvision's count for these widths: 16 * 9 stem, 2 * (2 * 16 * 16 * 9) stage 1, 32 * 16 * 9 + 3 * 32 * 32 * 9 + 32 * 16 stage 2,
  // 64 * 32 * 9 + 3 * 64 * 64 * 9 + 64 * 32 stage 3, batch norms 2 * (16 + 4 * 16 + 5 * 32 + 5 * 64), dense 64 * 10 + 10.
  EXPECT_EQ(model->parameter_count(true), 144 + 9216 + 4608 + 27648 + 512 + 18432 + 110592 + 2048 + 2 * (16 + 64 + 160 + 320) + 650);
  // Folded: one line per block instance; expanded: every node, with its inputs.
  const std::string folded = model->summary(), expanded = model->summary(true);
  EXPECT_NE(folded.find("layer2.0 (basic)"), std::string::npos) << folded;
  EXPECT_EQ(folded.find("layer2.0.conv1"), std::string::npos) << folded;
  EXPECT_NE(expanded.find("layer2.0.sum (add)"), std::string::npos) << expanded;
  EXPECT_NE(expanded.find("layer2.0.bn2, layer2.0.downsample.1"), std::string::npos) << expanded;
  EXPECT_NE(expanded.find("layer1.0.bn2, relu"), std::string::npos) << expanded;  // the identity shortcut reads the block's input
  // An input inside a folded block is named by its instance's row; one without a name by its row's label; a folded
  // block's line names what its nodes read from outside it, once.
  EXPECT_TRUE(summary_line(folded, "avgpool").ends_with(" layer3.1 (basic)")) << folded;
  EXPECT_TRUE(summary_line(folded, "layer1.0 (basic)").ends_with(" relu")) << folded;  // what the folded block reads
  EXPECT_TRUE(summary_line(folded, "layer2.0 (basic)").ends_with(" layer1.1 (basic)")) << folded;
  EXPECT_TRUE(summary_line(expanded, "avgpool").ends_with(" layer3.1.relu_out")) << expanded;
}

// The example's MobileNet: each depthwise convolution holds one input channel per filter, as PyTorch's groups =
// channels stores it, and the pointwise one all of them.
TEST(GraphSpec, TheMobileNetExampleHasDepthwiseSeparableBlocks) {
  const Spec spec = load_spec(std::string(EXAMPLES_DIR) + "/fashion_mobilenet.json");
  const auto model = build(spec, Shape{1, 28, 28}, DType::Float32);
  std::map<std::string, Shape> shapes;
  for (std::size_t i = 0; i < model->size(); ++i)
    for (Parameter* p : model->layer(i).parameters()) shapes[model->parameter_name(i, *p)] = p->value.shape();
  EXPECT_EQ(shapes["block2.depthwise.weight"], (Shape{64, 1, 3, 3}));
  EXPECT_EQ(shapes["block2.pointwise.weight"], (Shape{128, 64, 1, 1}));
  EXPECT_EQ(shapes["block5.bn2.weight"], (Shape{256}));
  EXPECT_EQ(model->output_shape(), Shape{10});
  // A block of c channels into f filters holds 9c + c f convolution weights and 2c + 2f of batch norm; with the stem
  // (9 * 32 + 2 * 32) and the dense layer (256 * 10 + 10).
  std::int64_t blocks = 0;
  for (const auto& [c, f] : {std::pair<std::int64_t, std::int64_t>{32, 64}, {64, 128}, {128, 128}, {128, 256}, {256, 256}}) blocks += 9 * c + c * f + 2 * c + 2 * f;
  EXPECT_EQ(model->parameter_count(true), 288 + 64 + blocks + 2570);
}

TEST(GraphSpec, TheSummaryNamesAnUnnamedInputByItsRow) {
  auto model = build(graph_spec(R"([{"name": "h", "type": "dense", "units": 4, "activation": "relu"}, {"name": "g", "type": "dense", "units": 4},
                                    {"name": "sum", "type": "add", "inputs": ["h", "g"]}, {"type": "dense", "units": 4}, {"type": "dense", "units": 2}])"),
                     Shape{3});
  const std::string summary = model->summary();
  EXPECT_TRUE(summary_line(summary, "g (dense)").ends_with(" h (dense) relu")) << summary;
  EXPECT_TRUE(summary_line(summary, "sum (add)").ends_with(" h (dense) relu, g")) << summary;
  EXPECT_TRUE(summary_line(summary, "layers[3] (dense)").ends_with(" sum")) << summary;
  EXPECT_TRUE(summary_line(summary, "layers[4] (dense)").ends_with(" layers[3] (dense)")) << summary;
}

// A model initialised from a PyTorch fixture's state_dict, run forward on its inputs (of `batch`'s shape) and back
// from its upstream gradient: its output, every trainable parameter's gradient and every buffer (batch norm's
// running statistics) must be PyTorch's to 1e-10. Returns how many tensors were compared.
std::size_t compare_with_torch(Model& model, const nlohmann::json& expected, const Shape& batch) {
  const auto y = to_host<double>(model.forward(tensor(model.backend(), batch, expected["inputs"].get<std::vector<double>>())));
  const auto outputs = expected["outputs"].get<std::vector<double>>();
  EXPECT_EQ(y.size(), outputs.size());
  for (std::size_t i = 0; i < std::min(y.size(), outputs.size()); ++i) EXPECT_NEAR(y[i], outputs[i], 1e-10) << i;
  model.backward(tensor(model.backend(), model.output_shape().with_batch(batch[0]), expected["upstream"].get<std::vector<double>>()));
  std::size_t compared = 0;
  for (std::size_t i = 0; i < model.size(); ++i)
    for (Parameter* p : model.layer(i).parameters()) {
      const std::string name = model.parameter_name(i, *p);
      const auto& want = p->trainable ? expected["gradients"] : expected["running"];
      if (!want.contains(name)) {
        ADD_FAILURE() << name << " is not in the fixture";
        continue;
      }
      const auto got = to_host<double>(p->trainable ? p->grad : p->value), values = want[name].get<std::vector<double>>();
      EXPECT_EQ(got.size(), values.size()) << name;
      for (std::size_t k = 0; k < std::min(got.size(), values.size()); ++k) EXPECT_NEAR(got[k], values[k], 1e-10) << name << " [" << k << "]";
      ++compared;
    }
  return compared;
}

// One basic block with a projection shortcut, in float64 and training mode, initialised from PyTorch's state_dict:
// PyTorch's output, parameter gradients and running statistics (tests/fixtures/make_torch_resnet_block.py).
TEST(GraphSpec, AResidualBlockComputesWhatPyTorchComputes) {
  const auto expected = nlohmann::json::parse(std::ifstream(std::string(TORCH_FIXTURE_DIR) + "/torch_resnet_block_expected.json"));
  const Spec spec = graph_spec(R"([{"name": "block", "block": "basic", "filters": 4, "stride": 2, "downsample": true}])",
                               R"({"basic": "../../examples/blocks/resnet_basic_block.json"})", TORCH_FIXTURE_DIR);
  auto built = build(spec, Shape{3, 6, 6});
  Model& model = *built;
  WeightImport import;
  import.path = std::string(TORCH_FIXTURE_DIR) + "/torch_resnet_block.safetensors";
  EXPECT_EQ(import_weights(import, model), 15u);
  // 3 convolutions' weights; 3 batch norms' weight, bias, running mean and variance.
  EXPECT_EQ(compare_with_torch(model, expected, Shape{2, 3, 6, 6}), 15u);
}

// Two transformer encoder blocks, post-norm with ReLU and norm_first with GELU, in float64 and training mode
// (dropout 0), initialised from PyTorch's state_dict: its TransformerEncoderLayer's output and parameter gradients
// (tests/fixtures/make_torch_transformer_blocks.py).
TEST(GraphSpec, TransformerBlocksComputeWhatPyTorchsEncoderLayersCompute) {
  const auto expected = nlohmann::json::parse(std::ifstream(std::string(TORCH_FIXTURE_DIR) + "/torch_transformer_blocks_expected.json"));
  const std::string sizes = R"("d_model": 8, "nhead": 2, "dim_feedforward": 16, "dropout": 0)";
  const Spec spec = graph_spec(fmt::format(R"([{{"name": "post", "block": "post", {0}}}, {{"name": "pre", "block": "pre", "activation": "gelu", {0}}}])", sizes),
                               R"({"post": "../../examples/blocks/transformer_encoder_block.json",
                                   "pre": "../../examples/blocks/transformer_encoder_block_norm_first.json"})",
                               TORCH_FIXTURE_DIR);
  auto built = build(spec, Shape{5, 8});
  Model& model = *built;
  WeightImport import;
  import.path = std::string(TORCH_FIXTURE_DIR) + "/torch_transformer_blocks.safetensors";
  EXPECT_EQ(import_weights(import, model), 24u);
  EXPECT_EQ(compare_with_torch(model, expected, Shape{2, 5, 8}), 24u);
}

// A block of two inputs: the first names "input" as well and starts its chain, and a repeated block's instances each
// read the one before and the use's second input, as nn.TransformerDecoder's layers read one memory.
TEST(GraphSpec, ABlockOfTwoInputsReadsBothAndRepeatsOnTheFirst) {
  const std::string blocks = R"({"gate": {"inputs": ["x", "side"], "params": {"units": 3}, "layers": [
    {"name": "fc", "type": "dense", "units": "$units"}, {"name": "mix", "type": "multiply", "inputs": ["fc", "side"]},
    {"name": "out", "type": "add", "inputs": ["mix", "input"]}]}})";
  auto model = build(graph_spec(R"([{"name": "s", "type": "dense", "units": 3}, {"name": "g", "block": "gate", "inputs": ["input", "s"], "repeat": 2}])", blocks),
                     Shape{3});
  ASSERT_EQ(model->size(), 7u);
  std::map<std::string, std::vector<std::string>> reads;
  for (std::size_t i = 0; i < model->size(); ++i)
    for (const std::size_t in : model->inputs(i)) reads[model->label(i)].push_back(in == Model::kInput ? "input" : model->label(in));
  EXPECT_EQ(reads["g.0.fc (dense)"], (std::vector<std::string>{"input"}));
  EXPECT_EQ(reads["g.0.mix (multiply)"], (std::vector<std::string>{"g.0.fc (dense)", "s (dense)"}));
  EXPECT_EQ(reads["g.0.out (add)"], (std::vector<std::string>{"g.0.mix (multiply)", "input"}));
  EXPECT_EQ(reads["g.1.fc (dense)"], (std::vector<std::string>{"g.0.out (add)"}));
  EXPECT_EQ(reads["g.1.mix (multiply)"], (std::vector<std::string>{"g.1.fc (dense)", "s (dense)"}));
  EXPECT_EQ(reads["g.1.out (add)"], (std::vector<std::string>{"g.1.mix (multiply)", "g.0.out (add)"}));
  // The folded summary shows each instance reading both.
  const std::string summary = model->summary();
  EXPECT_TRUE(summary_line(summary, "g.0 (gate)").ends_with(" input, s")) << summary;
  EXPECT_TRUE(summary_line(summary, "g.1 (gate)").ends_with(" g.0 (gate), s")) << summary;
}

// Two transformer decoder blocks, post-norm with ReLU and the causal mask, then norm_first with GELU and none, both
// reading one memory, in float64 and training mode (dropout 0), initialised from PyTorch's state_dict: its
// TransformerDecoderLayer's outputs and parameter gradients (tests/fixtures/make_torch_transformer_blocks.py). One
// input row holds the target's 4 steps, then the source's 5, which cropping1d takes apart; the memory passes a dense
// layer whose gradient shows the one that reaches the memory.
TEST(GraphSpec, TransformerDecoderBlocksComputeWhatPyTorchsDecoderLayersCompute) {
  const auto expected = nlohmann::json::parse(std::ifstream(std::string(TORCH_FIXTURE_DIR) + "/torch_transformer_decoder_blocks_expected.json"));
  const std::string sizes = R"("d_model": 8, "nhead": 2, "dim_feedforward": 16, "dropout": 0)";
  const Spec spec = graph_spec(fmt::format(R"([{{"name": "tgt", "type": "cropping1d", "cropping": [0, 5]}},
    {{"name": "source", "type": "cropping1d", "cropping": [4, 0], "inputs": "input"}}, {{"name": "memory_proj", "type": "dense", "units": 8}},
    {{"name": "post", "block": "post", "inputs": ["tgt", "memory_proj"], {0}}},
    {{"name": "pre", "block": "pre", "activation": "gelu", "causal": false, "inputs": ["post", "memory_proj"], {0}}}])", sizes),
                               R"({"post": "../../examples/blocks/transformer_decoder_block.json",
                                   "pre": "../../examples/blocks/transformer_decoder_block_norm_first.json"})",
                               TORCH_FIXTURE_DIR);
  auto built = build(spec, Shape{9, 8});
  Model& model = *built;
  EXPECT_EQ(model.output_shape(), (Shape{4, 8}));
  WeightImport import;
  import.path = std::string(TORCH_FIXTURE_DIR) + "/torch_transformer_decoder_blocks.safetensors";
  // The memory's projection, and per block two attentions of 4 tensors, two linear layers and three norms.
  EXPECT_EQ(import_weights(import, model), 38u);
  EXPECT_EQ(compare_with_torch(model, expected, Shape{2, 9, 8}), 38u);
}

// The padded blocks on token ids whose source is padded with 0 at the end, initialised from PyTorch's state_dict:
// its TransformerEncoderLayer with src_key_padding_mask and TransformerDecoderLayer with the causal mask and
// memory_key_padding_mask, the source's ids read by both (make_torch_transformer_blocks.py). Output and every
// gradient, the embeddings' included, to 1e-10: post-norm with ReLU, then norm_first with GELU.
void check_padded_blocks(const std::string& fixture, const std::string& variant, const std::string& activation) {
  SCOPED_TRACE(fixture);
  const auto expected = nlohmann::json::parse(std::ifstream(fmt::format("{}/{}_expected.json", TORCH_FIXTURE_DIR, fixture)));
  const std::string sizes = fmt::format(R"("d_model": 8, "nhead": 2, "dim_feedforward": 16, "dropout": 0, "activation": "{}")", activation);
  const Spec spec = graph_spec(fmt::format(R"([{{"name": "source", "type": "cropping1d", "cropping": [0, 4]}},
    {{"name": "source_embedding", "type": "embedding", "input_dim": 7, "output_dim": 8}},
    {{"name": "encoder", "block": "encoder", "inputs": ["source_embedding", "source"], {0}}},
    {{"name": "target", "type": "cropping1d", "cropping": [5, 0], "inputs": "input"}},
    {{"name": "target_embedding", "type": "embedding", "input_dim": 7, "output_dim": 8}},
    {{"name": "decoder", "block": "decoder", "inputs": ["target_embedding", "encoder", "source"], {0}}}])", sizes),
                               fmt::format(R"({{"encoder": "../../examples/blocks/transformer_encoder_block{0}_padded.json",
                                   "decoder": "../../examples/blocks/transformer_decoder_block{0}_padded.json"}})", variant),
                               TORCH_FIXTURE_DIR);
  auto built = build(spec, Shape{9});
  Model& model = *built;
  WeightImport import;
  import.path = fmt::format("{}/{}.safetensors", TORCH_FIXTURE_DIR, fixture);
  // Two embeddings; the encoder's attention (4 tensors), linear layers and norms; the decoder's two attentions.
  EXPECT_EQ(import_weights(import, model), 32u);
  EXPECT_EQ(compare_with_torch(model, expected, Shape{2, 9}), 32u);
}

TEST(GraphSpec, PaddedTransformerBlocksMaskThePaddingAsPyTorchDoes) {
  check_padded_blocks("torch_transformer_padded_blocks", "", "relu");
  check_padded_blocks("torch_transformer_padded_norm_first_blocks", "_norm_first", "gelu");
}

// A block in a file of its own, used by two specs; a saved model carries the block in its spec.
TEST(GraphSpec, ABlockFileIsSharedAndASavedModelNeedsItNoMore) {
  const fs::path dir = fs::temp_directory_path() / fmt::format("nnplug_graph_{}", ::getpid());
  fs::create_directories(dir / "blocks");
  std::ofstream(dir / "blocks" / "mlp_block.json") << R"({"params": {"units": null}, "layers": [
    {"name": "fc", "type": "dense", "units": "$units", "activation": "tanh"}, {"name": "out", "type": "add", "inputs": ["fc", "input"]}]})";
  const Spec spec = graph_spec(R"([{"type": "dense", "units": 4}, {"name": "res", "block": "mlp", "units": 4, "repeat": 3}, {"type": "dense", "units": 2}])",
                               R"({"mlp": "blocks/mlp_block.json"})", dir);
  auto model = build(spec, Shape{3}, DType::Float32);  // the spec's dtype, which loading uses
  EXPECT_EQ(parameter_names(*model)[4], "res.1.fc.weight");
  Tensor x = tensor(model->backend(), Shape{2, 3}, random_normal(6, 4), DType::Float32);
  const auto before = to_host<double>(model->forward(x));
  save_model(dir / "model.safetensors", spec, *model, registry());
  // The plugins the block file names are among those the model needs.
  EXPECT_NE(read_safetensors(dir / "model.safetensors").metadata.at("nnplug.plugins").find(R"("name":"add")"), std::string::npos);
  fs::remove_all(dir / "blocks");
  LoadedModel loaded = load_model(dir / "model.safetensors", registry(), cpu_backend());
  EXPECT_EQ(to_host<double>(loaded.model->forward(x)), before);
  fs::remove_all(dir);
}

TEST(GraphSpec, WhenFalseLeavesALayerOutAndItsNameStandsForItsInput) {
  const std::string blocks = R"({"b": {"params": {"project": false}, "layers": [{"name": "p", "type": "dense", "units": 3, "when": "$project"},
    {"name": "sum", "type": "add", "inputs": ["p", "input"]}]}})";
  auto plain = build(graph_spec(R"([{"block": "b"}])", blocks), Shape{3});
  EXPECT_EQ(plain->size(), 1u);
  EXPECT_EQ(plain->inputs(0), (std::vector<std::size_t>{Model::kInput, Model::kInput}));
  auto projected = build(graph_spec(R"([{"block": "b", "project": true}])", blocks), Shape{3});
  EXPECT_EQ(parameter_names(*projected), (std::vector<std::string>{"0.p.weight", "0.p.bias"}));
}

TEST(GraphSpec, ALayerNothingUsesIsLeftOutWithAWarning) {
  const SpecGraph graph = expand_layers(graph_spec(R"([{"name": "unused", "type": "dense", "units": 2}, {"type": "dense", "units": 3, "inputs": "input"}])"));
  ASSERT_EQ(graph.nodes.size(), 1u);
  ASSERT_EQ(graph.warnings.size(), 1u);
  EXPECT_NE(graph.warnings[0].find("spec.json: unused (dense): nothing uses its output, so it is left out of the model"), std::string::npos);
}

// A block input that none of its layers reads (here "side", the layers reading "x" twice) is named once for the
// block, however often it is used; reading the first input by its own name or as "input" both count.
TEST(GraphSpec, ABlockInputNoLayerReadsIsNamedInAWarning) {
  const std::string blocks = R"({"gate": {"inputs": ["x", "side"], "layers": [{"name": "fc", "type": "dense", "units": 3},
    {"name": "out", "type": "add", "inputs": ["fc", "x"]}]},
    "both": {"inputs": ["x", "side"], "layers": [{"name": "out", "type": "add", "inputs": ["input", "side"]}]}})";
  const SpecGraph unread = expand_layers(graph_spec(R"([{"name": "s", "type": "dense", "units": 3}, {"name": "g", "block": "gate", "inputs": ["input", "s"], "repeat": 2}])", blocks));
  ASSERT_EQ(unread.warnings.size(), 2u);  // first, then "s", which nothing reads as a result
  EXPECT_TRUE(unread.warnings[0].ends_with("/spec.json: block 'gate' at g.0 never reads its input 'side' (its inputs: x, side)")) << unread.warnings[0];
  const SpecGraph read = expand_layers(graph_spec(R"([{"name": "s", "type": "dense", "units": 3}, {"block": "both", "inputs": ["input", "s"]}])", blocks));
  EXPECT_TRUE(read.warnings.empty()) << read.warnings[0];
}

// A name written later may be read earlier: the order is the graph's, and the nodes still run inputs first.
TEST(GraphSpec, InputsMayNameLaterLayers) {
  auto model = build(graph_spec(R"([{"name": "sum", "type": "add", "inputs": ["a", "b"]}, {"name": "a", "type": "dense", "units": 2, "inputs": "input"},
    {"name": "b", "type": "dense", "units": 2, "inputs": "input"}, {"type": "relu", "inputs": "sum"}])"), Shape{3});
  EXPECT_EQ(model->label(2), "sum (add)");
  EXPECT_EQ(model->inputs(2), (std::vector<std::size_t>{0, 1}));
}

TEST(GraphSpec, BadGraphsAreRefusedNamingTheNodes) {
  const Shape in{3};
  auto error_has = [&](const std::string& layers, const std::string& text, const std::string& blocks = "{}") {
    const std::string e = build_error(layers, in, blocks);
    EXPECT_NE(e.find(text), std::string::npos) << e;
  };
  error_has(R"([{"name": "a", "type": "add", "inputs": ["input", "b"]}, {"name": "b", "type": "dense", "units": 3, "inputs": "a"}, {"type": "relu", "inputs": "b"}])",
            "spec.json: the layers form a cycle: a (add) -> b (dense) -> a (add)");
  error_has(R"([{"name": "a", "type": "relu"}, {"name": "a", "type": "tanh"}])", "layers[1]: name 'a' is used twice, by layers[0] and layers[1]");
  error_has(R"([{"type": "relu"}, {"name": "s", "type": "add", "inputs": ["input", "nope"]}])",
            "s (add): input 'nope' names no layer at the top level (names there: input, s)");
  error_has(R"([{"name": "input", "type": "relu"}])", "\"input\" names the model's (or the block's) input");
  error_has(R"([{"name": "a.b", "type": "relu"}])", "holds a '.'");
  error_has(R"([{"block": "x"}])", "block 'x' uses itself: x -> y -> x",
            R"({"x": {"layers": [{"block": "y"}]}, "y": {"layers": [{"type": "relu"}, {"block": "x"}]}})");
  error_has(R"([{"block": "x", "units": 2}])", "block 'x' has no parameter 'units' (its parameters: none)", R"({"x": {"layers": ["relu"]}})");
  error_has(R"([{"block": "x"}])", "block 'x' needs parameter 'units'", R"({"x": {"params": {"units": null}, "layers": [{"type": "dense", "units": "$units"}]}})");
  error_has(R"([{"block": "x"}])", "'$unit' names no parameter of the block (its parameters: units)",
            R"({"x": {"params": {"units": 2}, "layers": [{"type": "dense", "units": "$unit"}]}})");
  error_has(R"([{"block": "nope"}])", "unknown block 'nope' (blocks defined: x)", R"({"x": {"layers": ["relu"]}})");
  error_has(R"([{"block": "x", "repeat": 0}])", "\"repeat\" must be a whole number in [1, 10000], got 0", R"({"x": {"layers": ["relu"]}})");
  error_has(R"([{"type": "relu", "when": "yes"}])", "\"when\" must be true or false");
  error_has(R"([{"type": "relu", "when": false}])", "every layer is left out");
  error_has(R"([{"type": "relu", "inputs": []}])", "\"inputs\" must be a layer name or a non-empty list of them, got []");
  // Blocks of more than one input.
  const std::string two = R"({"x": {"inputs": ["a", "b"], "layers": [{"type": "add", "inputs": ["a", "b"]}]}})";
  error_has(R"([{"block": "x"}])", "layers[0]: block 'x' takes 2 inputs (a, b), got 1; list them in \"inputs\"", two);
  error_has(R"([{"block": "x", "inputs": ["input", "input", "input"]}])", "block 'x' takes 2 inputs (a, b), got 3", two);
  error_has(R"([{"block": "x", "inputs": ["input", "input"]}])", "block 'x' takes one input, got 2", R"({"x": {"layers": ["relu"]}})");
  error_has(R"([{"block": "x", "inputs": ["input", "input"]}])", "block 'x': \"inputs\" must list the names of the block's inputs, distinct",
            R"({"x": {"inputs": ["a", "a"], "layers": ["relu"]}})");
  for (const std::string bad : {R"([])", R"("a")", R"(["a", "input"])", R"(["a", "b.c"])", R"(["a", 2])", R"(["a", ""])"})
    error_has(R"([{"block": "x", "inputs": ["input", "input"]}])", fmt::format("got {}", nlohmann::json::parse(bad).dump()),
              fmt::format(R"({{"x": {{"inputs": {}, "layers": ["relu"]}}}})", bad));
  error_has(R"([{"block": "x", "inputs": ["input", "input"]}])", "layers[0]: name 'b' names one of the block's inputs (a, b); choose another name",
            R"({"x": {"inputs": ["a", "b"], "layers": [{"name": "b", "type": "relu"}]}})");
  error_has(R"([{"block": "x", "inputs": ["input", "input"]}])", "input 'c' names no layer in block 'x' at 0 (names there: input, a, b, sum)",
            R"({"x": {"inputs": ["a", "b"], "layers": [{"name": "sum", "type": "add", "inputs": ["a", "c"]}]}})");
  // Blocks that expand without bound are stopped.
  error_has(R"([{"block": "x", "repeat": 10000}])", "expand to more than 100000 layers", R"({"x": {"layers": [{"block": "y", "repeat": 100}]}, "y": {"layers": ["relu"]}})");
}

}  // namespace
}  // namespace nnplug::test
