// Images in channel blocks of 16 (Tensor's Layout::ChannelBlocks16): the tensor's rules, host copies in row-major
// order whatever the layout, the refusal of blocks where an op or a backend does not take them, and whole models
// (X11's kind of chain, a residual block) whose outputs and gradients are those of the same model with every image
// row-major. The ops themselves are checked against their row-major results by the conformance suite's "in channel
// blocks" cases.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/spec.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

constexpr Layout kBlocks = Layout::ChannelBlocks16;

TEST(ChannelBlocks, ATensorInBlocksIsAnImageOfWholeBlocksWhoseValuesTheHostSeesRowMajor) {
  auto be = cpu_backend();
  EXPECT_NE(error_of([&] { be->empty(Shape{2, 24, 3, 3}, DType::Float32, kBlocks); }).find("C a multiple of 16, not [2, 24, 3, 3]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { be->empty(Shape{2, 32}, DType::Float32, kBlocks); }).find("(N, C, H, W)"), std::string::npos);

  const Shape s{2, 32, 3, 4};
  std::vector<double> values(static_cast<std::size_t>(s.numel()));
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(i);
  Tensor t = be->empty(s, DType::Float64, kBlocks);
  from_host(t, values);
  EXPECT_EQ(to_host<double>(t), values);
  // In memory, (n, c, h, w) lies at ((n, c / 16, h, w), c % 16): element 1 (channel 0, w 1) 16 places on, channel 1 next to channel 0.
  const auto memory = to_host<double>(Tensor(t.buffer(), DType::Float64, Shape{s.numel()}));
  EXPECT_EQ(memory[0], 0.0);
  EXPECT_EQ(memory[1], 12.0);   // channel 1 of pixel 0: row-major index 1 * 3 * 4
  EXPECT_EQ(memory[16], 1.0);   // channel 0 of pixel 1
  EXPECT_EQ(memory[12 * 16], 16.0 * 12.0);  // the second block starts with channel 16
  for (std::int64_t n = 0; n < 2; ++n)
    for (std::int64_t c = 0; c < 32; ++c)
      EXPECT_EQ(memory[static_cast<std::size_t>(channel_block_offset(s, n, c, 2, 3))], static_cast<double>(((n * 32 + c) * 3 + 2) * 4 + 3));

  // Samples stay outermost, so a batch's rows keep the layout; a reshape would read the elements in the wrong order.
  const Tensor second = t.rows(1, 2);
  EXPECT_EQ(second.layout(), kBlocks);
  EXPECT_EQ(to_host<double>(second), std::vector<double>(values.begin() + 384, values.end()));
  EXPECT_NE(error_of([&] { (void)t.reshape(Shape{2, 384}); }).find("float64[2, 32, 3, 4] in channel blocks of 16 to [2, 384]: its elements are not in row-major order"),
            std::string::npos);
  EXPECT_EQ(t.reshape(s).layout(), kBlocks);
}

TEST(ChannelBlocks, ABackendWithoutTheLayoutAndOpsThatDoNotTakeItRefuseIt) {
  auto be = cpu_backend();
  ForwardingBackend row_major_only("row_major_only", be);
  EXPECT_NE(error_of([&] { row_major_only.empty(Shape{2, 16, 2, 2}, DType::Float32, kBlocks); })
                .find("row_major_only backend: cannot create float32[2, 16, 2, 2] in channel blocks of 16: its ops take row-major tensors only"),
            std::string::npos);

  const Shape s{2, 16, 2, 2};
  Tensor blocked = be->empty(s, DType::Float64, kBlocks), plain = be->empty(s, DType::Float64);
  from_host(blocked, random_normal(128, 1));
  from_host(plain, random_normal(128, 2));
  Tensor alpha = be->empty(Shape{16}, DType::Float64), y = be->empty(s, DType::Float64, kBlocks);
  // PReLU reads its slope by channel in row-major order; an element-wise op needs one layout; a reorder keeps the shape.
  for (const Op& op : {Op{op::Prelu{blocked, alpha, y}}, Op{op::Axpby{blocked, plain, 1.0, 1.0}},
                       Op{op::Copy{blocked, be->empty(Shape{2, 64}, DType::Float64)}}})
    EXPECT_NE(error_of([&] { be->run(op); }).find(fmt::format("cpu backend: {}: its tensors' layouts do not fit", op_name(op))),
              std::string::npos)
        << op_name(op);
  EXPECT_EQ(to_host<double>(plain), random_normal(128, 2));  // a refused op wrote nothing
}

std::shared_ptr<Backend> cpu_backend_with(bool channel_blocks) {
  return registry().create_backend(Params("test", Params::Json{{"type", "cpu"}, {"channel_blocks", channel_blocks}}));
}

struct Pass {
  std::vector<double> output, gradients;
  std::vector<std::string> blocked;  // the nodes whose output was in channel blocks
};

// One training forward and backward of the spec's model in float32 on `backend`, from the same seed, input and
// upstream gradient each time.
Pass forward_and_backward(const std::string& layers, const Shape& input, std::shared_ptr<Backend> backend) {
  auto model = build_model(parse_spec(fmt::format(R"({{"layers": {}}})", layers), "spec.json"), registry(), backend, DType::Float32, input, 3);
  const Tensor x = tensor(*backend, input.with_batch(4), random_normal(static_cast<std::size_t>(4 * input.numel()), 7), DType::Float32);
  Pass pass;
  model->forward_each(x, [&](std::size_t i, const Tensor& h) {
    if (!h.row_major()) pass.blocked.push_back(model->label(i));
  });
  pass.output = to_host<double>(model->forward(x));
  model->backward(tensor(*backend, model->output_shape().with_batch(4), random_normal(static_cast<std::size_t>(4 * model->output_shape().numel()), 8),
                         DType::Float32));
  for (std::size_t i = 0; i < model->size(); ++i)
    for (const Parameter* p : model->layer(i).parameters())
      if (p->trainable)
        for (const double g : to_host<double>(p->grad)) pass.gradients.push_back(g);
  return pass;
}

// The same model with its convolutions writing channel blocks and writing row-major images: outputs and gradients
// agree to float32's rounding of sums taken in another order. Returns the nodes that held blocks.
std::vector<std::string> expect_layouts_agree(const std::string& layers, const Shape& input) {
  if (cpu_backend_with(true)->convolution_layout(Shape{4, 16, 6, 6}, Shape{4, 16, 6, 6}, DType::Float32) != kBlocks) {
    ADD_FAILURE() << "the CPU backend keeps images row-major here (built without oneDNN)";
    return {};
  }
  const Pass blocks = forward_and_backward(layers, input, cpu_backend_with(true));
  const Pass rows = forward_and_backward(layers, input, cpu_backend_with(false));
  EXPECT_TRUE(rows.blocked.empty());
  EXPECT_EQ(blocks.output.size(), rows.output.size());
  for (std::size_t i = 0; i < blocks.output.size(); ++i) EXPECT_NEAR(blocks.output[i], rows.output[i], 1e-4 * std::max(1.0, std::abs(rows.output[i]))) << "output " << i;
  EXPECT_EQ(blocks.gradients.size(), rows.gradients.size());
  for (std::size_t i = 0; i < std::min(blocks.gradients.size(), rows.gradients.size()); ++i)
    EXPECT_NEAR(blocks.gradients[i], rows.gradients[i], 1e-4 * std::max(1.0, std::abs(rows.gradients[i]))) << "gradient " << i;
  return blocks.blocked;
}

TEST(ChannelBlocks, X11sKindOfChainComputesWhatItDoesWithRowMajorImages) {
  // A first convolution of 3 channels (im2col on the CPU backend) into blocks; convolution, ReLU, batch norm, max
  // pooling and dropout in blocks; an activity penalty that reads the second convolution's output; PReLU and flatten,
  // which take row-major images only, between blocked layers and after them.
  const auto blocked = expect_layouts_agree(R"([
    {"type": "conv2d", "filters": 16, "kernel_size": 3, "padding": "same", "activation": "relu"},
    {"type": "batch_norm"},
    {"type": "conv2d", "filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu",
     "activity_regularizer": {"type": "l2", "lambda": 0.01}},
    {"type": "batch_norm"},
    {"type": "max_pool2d", "pool_size": 2},
    {"type": "dropout", "rate": 0.3},
    {"type": "conv2d", "filters": 16, "kernel_size": 3, "padding": "same"},
    {"type": "prelu"},
    {"type": "conv2d", "filters": 16, "kernel_size": 3, "padding": "same", "activation": "relu"},
    {"type": "flatten"},
    {"type": "dense", "units": 3}])",
                                            Shape{3, 6, 6});
  EXPECT_EQ(fmt::format("{}", fmt::join(blocked, ", ")),
            "layers[0] (conv2d), layers[0] (conv2d) relu, layers[1] (batch_norm), layers[2] (conv2d), layers[2] (conv2d) relu, "
            "layers[3] (batch_norm), layers[4] (max_pool2d), layers[5] (dropout), layers[6] (conv2d), layers[8] (conv2d), layers[8] (conv2d) relu");
}

TEST(ChannelBlocks, AResidualBlockAddsABlockedBranchToARowMajorShortcutEitherWayRound) {
  const auto blocked = expect_layouts_agree(R"([
    {"name": "conv", "type": "conv2d", "filters": 16, "kernel_size": 3, "padding": "same"},
    {"name": "bn", "type": "batch_norm"},
    {"name": "relu", "type": "relu"},
    {"name": "sum", "type": "add", "inputs": ["relu", "input"]},
    {"name": "again", "type": "add", "inputs": ["input", "sum"]},
    {"name": "pool", "type": "global_avg_pool2d"},
    {"name": "out", "type": "dense", "units": 3}])",
                                            Shape{16, 6, 6});
  EXPECT_EQ(fmt::format("{}", fmt::join(blocked, ", ")), "conv (conv2d), bn (batch_norm), relu (relu), sum (add)");
}

TEST(ChannelBlocks, AnAutoencodersTransposedConvolutionsAndNearestUpsamplingKeepBlocks) {
  // Transposed convolutions with their bias (added and summed in blocks) and without, from blocks and from row-major
  // images; nearest upsampling in blocks; bilinear upsampling, which takes row-major images only, between them.
  const auto blocked = expect_layouts_agree(R"([
    {"type": "conv2d", "filters": 16, "kernel_size": 3, "stride": 2, "padding": 1, "activation": "relu"},
    {"type": "conv2d_transpose", "filters": 32, "kernel_size": 3, "stride": 2, "padding": "same", "activation": "relu",
     "bias_init": {"type": "normal", "std": 0.1}},
    {"type": "upsample2d"},
    {"type": "conv2d", "filters": 16, "kernel_size": 3, "padding": "same"},
    {"type": "upsample2d", "mode": "bilinear", "scale_factor": [1, 2]},
    {"type": "conv2d_transpose", "filters": 16, "kernel_size": 2, "stride": 2, "bias": false},
    {"type": "conv2d_transpose", "filters": 2, "kernel_size": 3, "padding": 1}])",
                                            Shape{3, 8, 8});
  EXPECT_EQ(fmt::format("{}", fmt::join(blocked, ", ")),
            "layers[0] (conv2d), layers[0] (conv2d) relu, layers[1] (conv2d_transpose), layers[1] (conv2d_transpose) relu, "
            "layers[2] (upsample2d), layers[3] (conv2d), layers[5] (conv2d_transpose)");
}

}  // namespace
}  // namespace nnplug::test
