// The multi_head_attention layer: float64 gradient checks (centred differences), through a dropout mask too; a
// closed form (one step attends to itself alone); the causal mask (no step sees a later one); dropout in eval mode;
// its parameters' shapes and the inputs it refuses. Its parity with PyTorch's nn.MultiheadAttention is in
// torch_reference_test.cpp.
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace nnplug::test {
namespace {

std::shared_ptr<Layer> attention(const Params::Json& fields) {
  Params::Json spec = fields;
  spec["type"] = "multi_head_attention";
  return registry().create_layer(Params("test", spec));
}

// Parameters at a third of the kit's N(0, 1): scores of unit-scale weights and inputs grow with the features, and
// the O(h^2) term of so sharp a softmax reaches the tolerance on some coordinates.
void check_gradient(Layer& layer, const Shape& sample, std::int64_t batch, std::uint64_t seed) {
  const auto smaller = [](Layer& l) {
    for (Parameter* p : l.parameters()) {
      auto v = to_host<double>(p->value);
      for (double& x : v) x /= 3;
      from_host(p->value, v);
    }
  };
  const auto result = conformance::check_layer_gradient(layer, *cpu_backend(), sample, batch,
                                                        random_normal(static_cast<std::size_t>(sample.numel() * batch), seed), smaller);
  EXPECT_TRUE(result.passed) << result.check << ": " << result.detail;
}

TEST(GradientCheck, MultiHeadAttention) {
  for (const char* json : {R"({"num_heads": 2})", R"({"num_heads": 3, "causal": true})", R"({"num_heads": 2, "key_dim": 3, "bias": false})",
                           R"({"num_heads": 1, "causal": true})"}) {
    auto layer = attention(Params::Json::parse(json));
    check_gradient(*layer, Shape{4, 6}, 2, 31);
  }
}

TEST(GradientCheck, MultiHeadAttentionThroughADropoutMask) {
  FixedMask layer(attention({{"num_heads", 2}, {"dropout", 0.4}}));
  check_gradient(layer, Shape{5, 4}, 3, 37);
}

// Weights from the backend as doubles, after build.
void set_parameters(Layer& layer, std::uint64_t seed) {
  for (Parameter* p : layer.parameters()) from_host(p->value, random_normal(static_cast<std::size_t>(p->value.numel()), seed++));
}

// A sequence of one step attends to itself with weight 1: y = (x W_v^T + b_v) W_out^T + b_out, whatever the
// queries and keys.
TEST(MultiHeadAttention, OneStepIsItsProjectedValue) {
  auto be = cpu_backend();
  auto layer = attention({{"num_heads", 2}});
  ASSERT_EQ(layer->build(Shape{1, 4}, BuildContext{*be, DType::Float64}), (Shape{1, 4}));
  set_parameters(*layer, 5);
  const auto x = random_normal(12, 6);  // 3 samples
  const auto y = to_host<double>(layer->forward(tensor(*be, Shape{3, 1, 4}, x)));
  const auto in_w = to_host<double>(layer->parameters()[0]->value), in_b = to_host<double>(layer->parameters()[1]->value);
  const auto out_w = to_host<double>(layer->parameters()[2]->value), out_b = to_host<double>(layer->parameters()[3]->value);
  for (std::size_t n = 0; n < 3; ++n) {
    std::vector<double> v(4);
    for (std::size_t i = 0; i < 4; ++i) {
      v[i] = in_b[8 + i];  // the value's rows follow the query's and the key's
      for (std::size_t j = 0; j < 4; ++j) v[i] += in_w[(8 + i) * 4 + j] * x[n * 4 + j];
    }
    for (std::size_t o = 0; o < 4; ++o) {
      double want = out_b[o];
      for (std::size_t i = 0; i < 4; ++i) want += out_w[o * 4 + i] * v[i];
      EXPECT_NEAR(y[n * 4 + o], want, 1e-12) << "sample " << n << ", feature " << o;
    }
  }
}

// Changing the last step changes every step's output, unless the mask is causal: then only the last step's.
TEST(MultiHeadAttention, CausalStepsSeeNoLaterStep) {
  auto be = cpu_backend();
  for (const bool causal : {false, true}) {
    auto layer = attention({{"num_heads", 2}, {"causal", causal}});
    layer->build(Shape{4, 6}, BuildContext{*be, DType::Float64});
    set_parameters(*layer, 9);
    auto x = random_normal(24, 10);
    const auto before = to_host<double>(layer->forward(tensor(*be, Shape{1, 4, 6}, x)));
    for (std::size_t i = 18; i < 24; ++i) x[i] += 1.0;
    const auto after = to_host<double>(layer->forward(tensor(*be, Shape{1, 4, 6}, x)));
    for (std::size_t i = 0; i < 24; ++i) {
      const bool last_step = i >= 18;
      if (causal && !last_step) EXPECT_EQ(after[i], before[i]) << "value " << i;
      else EXPECT_GT(std::abs(after[i] - before[i]), 1e-9) << (causal ? "causal" : "full") << ", value " << i;
    }
  }
}

// Dropout on the attention weights while training; none in eval mode, where the output is that of the same
// weights without dropout.
TEST(MultiHeadAttention, DropoutOnlyWhileTraining) {
  auto be = cpu_backend();
  auto with_dropout = attention({{"num_heads", 2}, {"dropout", 0.5}});
  auto without = attention({{"num_heads", 2}});
  for (auto* layer : {with_dropout.get(), without.get()}) {
    layer->build(Shape{5, 4}, BuildContext{*be, DType::Float64});
    set_parameters(*layer, 3);
  }
  const Tensor x = tensor(*be, Shape{2, 5, 4}, random_normal(40, 4));
  const auto plain = to_host<double>(without->forward(x));
  EXPECT_NE(to_host<double>(with_dropout->forward(x)), plain);
  with_dropout->set_training(false);
  const auto eval = to_host<double>(with_dropout->forward(x));
  for (std::size_t i = 0; i < plain.size(); ++i) EXPECT_NEAR(eval[i], plain[i], 1e-12) << i;
}

// With padding_idx, the layer reads the token ids beside the sequence: a sample whose last steps are padding gives
// at its other steps what the same weights give on the sequence without them, and no other step sees a change at a
// padding step. Causal masking adds to it.
TEST(MultiHeadAttention, PaddingStepsAreNoKeys) {
  auto be = cpu_backend();
  for (const bool causal : {false, true}) {
    auto padded = attention({{"num_heads", 2}, {"padding_idx", 0}, {"causal", causal}});
    auto trimmed = attention({{"num_heads", 2}, {"causal", causal}});
    ASSERT_TRUE(padded->merges());
    EXPECT_EQ(padded->build_merge({Shape{5, 4}, Shape{5}}, BuildContext{*be, DType::Float64}), (Shape{5, 4}));
    trimmed->build(Shape{3, 4}, BuildContext{*be, DType::Float64});
    set_parameters(*padded, 11);
    set_parameters(*trimmed, 11);
    auto x = random_normal(40, 12);
    const Tensor ids = tensor(*be, Shape{2, 5}, {4, 7, 1, 0, 0, 0, 3, 0, 9, 0});  // sample 0: 3 tokens, then padding
    const auto y = to_host<double>(padded->forward_merge({tensor(*be, Shape{2, 5, 4}, x), ids}));
    const std::vector<double> first(x.begin(), x.begin() + 12);
    const auto want = to_host<double>(trimmed->forward(tensor(*be, Shape{1, 3, 4}, first)));
    for (std::size_t i = 0; i < 12; ++i) EXPECT_NEAR(y[i], want[i], 1e-12) << (causal ? "causal, " : "") << "value " << i;
    // Sample 1's padding steps 0, 2 and 4 changed: only their own outputs move.
    for (const std::size_t step : {0, 2, 4})
      for (std::size_t f = 0; f < 4; ++f) x[20 + step * 4 + f] += 1.0;
    const auto moved = to_host<double>(padded->forward_merge({tensor(*be, Shape{2, 5, 4}, x), ids}));
    for (std::size_t i = 20; i < 40; ++i) {
      const std::size_t step = (i - 20) / 4;
      if (step % 2) {
        EXPECT_NEAR(moved[i], y[i], 1e-12) << "sample 1, step " << step;
      } else if (!causal) {
        EXPECT_GT(std::abs(moved[i] - y[i]), 1e-9) << "sample 1, step " << step;  // its own query moved
      }
    }
    const auto dx = padded->backward_merge(tensor(*be, Shape{2, 5, 4}, random_normal(40, 13)));
    ASSERT_EQ(dx.size(), 2u);
    EXPECT_EQ(to_host<double>(dx[1]), std::vector<double>(10, 0.0));  // the ids
  }
  EXPECT_EQ(error_of([&] { attention({{"num_heads", 1}, {"padding_idx", 0}})->build_merge({Shape{5, 4}, Shape{4}}, BuildContext{*be, DType::Float64}); }),
            "multi_head_attention with padding_idx takes two inputs, a sequence [steps, features] and its token ids, one per step; got [5, 4] and [4]");
}

// The parameters' gradients through the padding mask (the ids are no variable: the mask is a step function of them).
TEST(GradientCheck, MultiHeadAttentionWithPaddingMask) {
  auto layer = attention({{"num_heads", 2}, {"padding_idx", 0}});
  const auto result = conformance::check_merge_gradient(*layer, *cpu_backend(), {Shape{4, 4}, Shape{4}}, 2,
                                                        {random_normal(32, 14), {5, 0, 2, 0, 0, 1, 3, 8}}, {},
                                                        conformance::GradientCheckOptions{.check_input = false});
  EXPECT_TRUE(result.passed) << result.check << ": " << result.detail;
}

TEST(MultiHeadAttention, ParameterShapesAndRefusedInputs) {
  auto be = cpu_backend();
  auto layer = attention({{"num_heads", 2}, {"key_dim", 3}});
  EXPECT_EQ(layer->build(Shape{7, 5}, BuildContext{*be, DType::Float32}), (Shape{7, 5}));
  std::vector<std::string> shapes;
  for (Parameter* p : layer->parameters()) shapes.push_back(p->name + " " + p->value.shape().str());
  EXPECT_EQ(shapes, (std::vector<std::string>{"in_proj_weight [18, 5]", "in_proj_bias [18]", "out_proj.weight [5, 6]", "out_proj.bias [5]"}));

  EXPECT_EQ(error_of([&] { attention({{"num_heads", 3}})->build(Shape{7, 5}, BuildContext{*be, DType::Float32}); }),
            "multi_head_attention: 3 heads do not divide the 5 features of [7, 5] (give key_dim, each head's size)");
  EXPECT_EQ(error_of([&] { attention({{"num_heads", 1}})->build(Shape{784}, BuildContext{*be, DType::Float32}); }),
            "multi_head_attention expects a sequence per sample, [steps, features], got [784]");
  EXPECT_EQ(error_of([] { attention({{"num_heads", 2}, {"dropout", 1.0}}); }),
            "test: parameter 'dropout' must be in [0, 1) (the probability of dropping a weight), got 1");
  EXPECT_EQ(error_of([] { attention({{"num_heads", 0}}); }), "test: parameter 'num_heads' must be in [1, 65536], got 0");
  EXPECT_NE(error_of([] { attention({{"num_heads", 2}, {"heads", 2}}); }).find("unknown parameter 'heads'"), std::string::npos);
}

// With cross, the queries' steps attend to another sequence's: the gradients of both inputs and of the parameters,
// causal too (query step t sees memory steps 0 .. t).
TEST(GradientCheck, MultiHeadCrossAttention) {
  for (const bool causal : {false, true}) {
    auto layer = attention({{"num_heads", 2}, {"cross", true}, {"causal", causal}});
    const auto result =
        conformance::check_merge_gradient(*layer, *cpu_backend(), {Shape{3, 4}, Shape{5, 4}}, 2, {random_normal(24, 15), random_normal(40, 16)});
    EXPECT_TRUE(result.passed) << (causal ? "causal: " : "") << result.check << ": " << result.detail;
  }
}

// A query attends to the memory alone: its output does not change when another query step does (without causal
// masking every memory step is seen), and it changes when a memory step does.
TEST(MultiHeadAttention, CrossAttentionReadsItsKeysAndValuesFromTheSecondInput) {
  auto be = cpu_backend();
  auto layer = attention({{"num_heads", 2}, {"cross", true}});
  ASSERT_TRUE(layer->merges());
  EXPECT_EQ(layer->build_merge({Shape{3, 4}, Shape{5, 4}}, BuildContext{*be, DType::Float64}), (Shape{3, 4}));
  set_parameters(*layer, 17);
  auto query = random_normal(12, 18), memory = random_normal(20, 19);
  const auto y = to_host<double>(layer->forward_merge({tensor(*be, Shape{1, 3, 4}, query), tensor(*be, Shape{1, 5, 4}, memory)}));
  query[8] += 1.0;  // query step 2
  const auto moved_query = to_host<double>(layer->forward_merge({tensor(*be, Shape{1, 3, 4}, query), tensor(*be, Shape{1, 5, 4}, memory)}));
  for (std::size_t i = 0; i < 8; ++i) EXPECT_NEAR(moved_query[i], y[i], 1e-12) << i;
  memory[4] += 1.0;  // memory step 1
  const auto moved_memory = to_host<double>(layer->forward_merge({tensor(*be, Shape{1, 3, 4}, query), tensor(*be, Shape{1, 5, 4}, memory)}));
  for (std::size_t i = 0; i < 4; ++i) EXPECT_GT(std::abs(moved_memory[i] - moved_query[i]), 1e-9) << i;
  EXPECT_EQ(error_of([&] { attention({{"num_heads", 1}, {"cross", true}})->build_merge({Shape{3, 4}, Shape{5, 6}}, BuildContext{*be, DType::Float64}); }),
            "multi_head_attention with cross takes the queries' sequence [steps, features], the sequence they attend to [steps, the same "
            "features]; got [3, 4] and [5, 6]");
  EXPECT_EQ(error_of([&] { attention({{"num_heads", 1}, {"cross", true}, {"padding_idx", 0}})->build_merge({Shape{3, 4}, Shape{5, 4}, Shape{3}},
                                                                                                          BuildContext{*be, DType::Float64}); }),
            "multi_head_attention with cross and padding_idx takes the queries' sequence [steps, features], the sequence they attend to [steps, "
            "the same features] and its token ids, one per step; got [3, 4] and [5, 4] and [3]");
}

}  // namespace
}  // namespace nnplug::test
