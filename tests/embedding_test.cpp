// The embedding layer: rows picked by token id (closed form), the table's gradient in float64 by centred differences,
// the padding row, ids that are no row, its parameters' limits, and a model that learns from token ids. Its
// parity with PyTorch's nn.Embedding is in torch_reference_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "nnplug/framework/network.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

std::shared_ptr<Layer> embedding(const Params::Json& fields) {
  Params::Json spec = fields;
  spec["type"] = "embedding";
  return registry().create_layer(Params("test", spec));
}

TEST(Embedding, EachIdPicksItsRowOfTheTable) {
  auto be = cpu_backend();
  auto layer = embedding({{"input_dim", 4}, {"output_dim", 3}});
  EXPECT_EQ(layer->build(Shape{2, 3}, BuildContext{*be, DType::Float64}), (Shape{2, 3, 3}));
  const std::vector<double> table = {0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32};
  from_host(layer->parameters()[0]->value, table);
  const std::vector<double> ids = {3, 0, 0, 2, 1, 3};  // one sample of 2 x 3 ids
  const auto y = to_host<double>(layer->forward(tensor(*be, {1, 2, 3}, ids)));
  ASSERT_EQ(y.size(), 18u);
  for (std::size_t i = 0; i < ids.size(); ++i)
    for (std::size_t j = 0; j < 3; ++j) EXPECT_EQ(y[i * 3 + j], 10 * ids[i] + static_cast<double>(j)) << "id " << i << ", column " << j;
}

// Ids are no variable (a step off a whole number is no id): the table's gradient is checked, where rows picked
// several times sum their outputs' gradients and rows never picked get none.
TEST(GradientCheck, Embedding) {
  for (const char* json : {R"({"input_dim": 5, "output_dim": 3})", R"({"input_dim": 7, "output_dim": 2})"}) {
    auto layer = embedding(Params::Json::parse(json));
    std::vector<double> ids(24);
    for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<double>((3 * i + i / 4) % 5);
    conformance::GradientCheckOptions options;
    options.check_input = false;
    const auto result = conformance::check_layer_gradient(*layer, *cpu_backend(), Shape{2, 3}, 4, ids, {}, options);
    EXPECT_TRUE(result.passed) << result.check << ": " << result.detail;
  }
}

// The padding row, as PyTorch's padding_idx: zeros once the model has drawn its weights, no gradient, and so still
// zeros after training with weight decay (the PyTorch fixtures check that its ids give that row, and no gradient to
// it). The layer passes back a zero gradient.
TEST(Embedding, ThePaddingRowStartsAtZeroAndStaysThere) {
  Network net(nn::Sequential{nn::Embedding(6, 4).set("padding_idx", -1), nn::Flatten(), nn::Dense(2)}, registry());
  net.compile(nn::Adam{.lr = 0.05, .weight_decay = 0.1}, "softmax_cross_entropy", {.dtype = DType::Float64, .seed = 3});
  Dataset data{Shape{3}, SampleValues(std::vector<double>{5, 1, 2, 0, 5, 5, 3, 4, 5, 2, 2, 1}), {0, 1, 0, 1}, 2};
  net.build(data.sample_shape);
  const auto row_of = [&](std::int64_t r) {
    const auto table = to_host<double>(net.model().layer(0).parameters()[0]->value);
    return std::vector<double>(table.begin() + r * 4, table.begin() + r * 4 + 4);
  };
  EXPECT_EQ(row_of(5), std::vector<double>(4, 0.0));
  EXPECT_NE(row_of(4), std::vector<double>(4, 0.0));
  const auto before = row_of(1);
  net.fit(data, {.epochs = 3, .batch_size = 2, .progress = false});
  EXPECT_EQ(row_of(5), std::vector<double>(4, 0.0));
  EXPECT_NE(row_of(1), before);  // the other rows did train

  auto be = cpu_backend();
  auto layer = embedding({{"input_dim", 3}, {"output_dim", 2}});
  layer->build(Shape{2}, BuildContext{*be, DType::Float64});
  Tensor ids = tensor(*be, {1, 2}, {2, 0});
  layer->forward(ids);
  EXPECT_EQ(to_host<double>(layer->backward(tensor(*be, {1, 2, 2}, {1, 2, 3, 4}), true)), (std::vector<double>{0, 0}));
}

// Saved and loaded, the table comes back: the same ids give the same rows.
TEST(Embedding, ASavedModelLoadsWithItsTable) {
  Network net(nn::Sequential{nn::Embedding(9, 3).set("padding_idx", 0)}, registry());
  net.compile(nn::Adam{}, "mse", {.seed = 4});
  const Dataset ids{Shape{4}, SampleValues(std::vector<double>{8, 0, 3, 3, 1, 2, 7, 5}), {-1, -1}, 0};
  net.build(ids.sample_shape);
  const auto path = std::filesystem::temp_directory_path() / fmt::format("nnplug_embedding_{}.safetensors", ::getpid());
  net.save(path);
  Network loaded = Network::load(path, registry());
  std::filesystem::remove(path);
  EXPECT_EQ(loaded.predict(ids).values, net.predict(ids).values);
}

TEST(Embedding, AnIdThatIsNoRowIsRefusedNamingItsValueAndPlace) {
  auto be = cpu_backend();
  auto layer = embedding({{"input_dim", 5}, {"output_dim", 2}});
  layer->build(Shape{3}, BuildContext{*be, DType::Float32});
  const auto message = [&](double bad) {
    return error_of([&] { layer->forward(tensor(*be, {1, 3}, {1, 4, bad}, DType::Float32)); });
  };
  EXPECT_EQ(message(5), "cpu backend: gather_rows: index 5 at position 2 is not a whole number in [0, 5), the table's rows");
  EXPECT_EQ(message(-1), "cpu backend: gather_rows: index -1 at position 2 is not a whole number in [0, 5), the table's rows");
  EXPECT_EQ(message(2.5), "cpu backend: gather_rows: index 2.5 at position 2 is not a whole number in [0, 5), the table's rows");
  EXPECT_NE(message(std::numeric_limits<double>::quiet_NaN()).find("index nan at position 2"), std::string::npos);
}

TEST(Embedding, ItsParametersAreCheckedWhenItIsMade) {
  EXPECT_NE(error_of([] { embedding({{"output_dim", 2}}); }).find("'input_dim'"), std::string::npos);
  EXPECT_NE(error_of([] { embedding({{"input_dim", 4}, {"output_dim", 2}, {"padding_idx", 4}}); }).find("parameter 'padding_idx' must be"),
            std::string::npos);
  EXPECT_NE(error_of([] { embedding({{"input_dim", 4}, {"output_dim", 2}, {"padding_idx", -5}}); }).find("parameter 'padding_idx' must be"),
            std::string::npos);
  EXPECT_NE(error_of([] { embedding({{"input_dim", 4}, {"output_dim", 2}, {"mask_zero", true}}); })
                .find("unknown parameter 'mask_zero' (it takes: input_dim, output_dim, padding_idx, type, weight_init)"),
            std::string::npos);
  EXPECT_NE(error_of([] { embedding({{"input_dim", std::int64_t{1} << 40}, {"output_dim", std::int64_t{1} << 40}}); })
                .find("more than 64 bits count"),
            std::string::npos);
  // Float32 holds every whole number up to 2^24 only: a larger vocabulary needs float64 inputs.
  auto be = cpu_backend();
  auto big = embedding({{"input_dim", (std::int64_t{1} << 24) + 1}, {"output_dim", 1}});
  EXPECT_NE(error_of([&] { big->build(Shape{3}, BuildContext{*be, DType::Float32}); }).find("use float64"), std::string::npos);
}

// Sequences of 5 ids from a vocabulary of 12; the class is whether id 7 occurs. Only the table can tell id 7 from
// the others (the ids' values mean nothing to the dense layer after it).
TEST(Embedding, AModelLearnsWhichIdMattersFromTokenIds) {
  Dataset data{Shape{5}, {}, std::vector<std::int32_t>(2000), 2};
  Random random(11);
  std::vector<double> ids(2000 * 5);
  for (std::size_t s = 0; s < 2000; ++s) {
    const bool has_seven = s % 2 == 0;
    for (std::size_t t = 0; t < 5; ++t) {
      const auto id = static_cast<double>(random.below(11));
      ids[s * 5 + t] = id >= 7 ? id + 1 : id;  // anything but 7
    }
    if (has_seven) ids[s * 5 + random.below(5)] = 7;
    data.labels[s] = has_seven ? 1 : 0;
  }
  data.x = SampleValues(ids);
  const auto [train, test] = split(data, 0.25, 5);
  Network net(nn::Sequential{nn::Embedding(12, 8), nn::Flatten(), nn::Dense(16).activation("relu"), nn::Dense(2)}, registry());
  net.compile(nn::Adam{.lr = 0.01}, "softmax_cross_entropy", {.seed = 1});
  net.fit(train, {.epochs = 8, .batch_size = 32, .progress = false});
  EXPECT_GT(net.evaluate(test).score, 0.97);
}

}  // namespace
}  // namespace nnplug::test
