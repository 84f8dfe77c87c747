// Layer 'multi_head_attention': self-attention over a sequence [T, E] per sample, as PyTorch's
// MultiheadAttention(E, num_heads, batch_first=True) called as mha(x, x, x) and Keras's MultiHeadAttention called
// as mha(x, x). Each head h projects every step to a query, key and value of key_dim values, weighs the values by
// softmax(q k^T / sqrt(key_dim)) over the steps, and the heads' results, side by side, are projected back to E:
//   [q | k | v] = x W_in^T + b_in;  head_h = softmax(q_h k_h^T / sqrt(key_dim)) v_h;  y = [head_1 ..] W_out^T + b_out.
// The parameters are PyTorch's, so that state dicts load both ways: in_proj_weight [3 D, E] (the query's rows, then
// the key's and the value's; D = num_heads key_dim), in_proj_bias [3 D], out_proj.weight [E, D], out_proj.bias [E],
// initialized as PyTorch does (xavier_uniform, U(+-1/sqrt(D)) for the output projection, zero biases).
// Options: num_heads (required); key_dim (default E / num_heads, which must then divide); causal (Keras's
// use_causal_mask, PyTorch's is_causal: step t attends to steps 0 .. t only); dropout on the attention weights while
// training (PyTorch's and Keras's dropout); bias; weight_init and bias_init (for every weight, every bias);
// padding_idx: the layer then takes two inputs, the sequence and its token ids [T], and no step attends to a step
// whose id is padding_idx (PyTorch's key_padding_mask, Keras's mask from Embedding(mask_zero=True)). The ids get a
// zero gradient, as an embedding's do.
//
// The projections are one product over every step of every sample. The heads' queries, keys and values are reordered
// into (sample, head)-major blocks [T, key_dim] (op::Permute), so that each block's products with the others are
// plain 2-D products, one per sample and head.
#include <array>
#include <cmath>
#include <limits>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "nnplug/counter_random.hpp"
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

// [N, T, 3, H, k] (each step's projections) to [3, N, H, T, k] (the queries', keys' and values' blocks), and back.
constexpr std::array<std::int8_t, Shape::kMaxRank> kToBlocks{2, 0, 3, 1, 4};
constexpr std::array<std::int8_t, Shape::kMaxRank> kFromBlocks{1, 3, 0, 2, 4};
// [N, H, T, k] (each head's results) to [N, T, H, k] (each step's heads side by side), and back: its own inverse.
constexpr std::array<std::int8_t, Shape::kMaxRank> kSwapHeadsAndSteps{0, 2, 1, 3};

class MultiHeadAttention final : public Layer {
 public:
  explicit MultiHeadAttention(const Params& p)
      : heads_(p.require_integer("num_heads", 1, 1 << 16)),
        key_dim_(p.integer("key_dim", 0, 1, 1 << 20)),  // 0: E / num_heads
        causal_(p.boolean("causal", false)),
        masks_padding_(p.has("padding_idx")),
        padding_idx_(static_cast<double>(p.integer("padding_idx", 0, 0, std::int64_t{1} << 24))),
        dropout_(p.number("dropout", 0.0, 0.0, 1.0)),
        use_bias_(p.boolean("bias", true)),
        weight_init_given_(p.has("weight_init")),
        weight_init_(p.child("weight_init", "xavier_uniform")),
        bias_init_(p.child("bias_init", "zeros")) {
    if (dropout_ >= 1.0) p.fail("dropout", fmt::format("must be in [0, 1) (the probability of dropping a weight), got {}", dropout_));
    p.check_unused();
  }

  std::string type() const override { return "multi_head_attention"; }
  bool merges() const override { return masks_padding_; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() != 2)
      throw ShapeError(fmt::format("multi_head_attention expects a sequence per sample, [steps, features], got {}", input.str()));
    steps_ = input[0], embed_ = input[1];
    if (!key_dim_) {
      if (embed_ % heads_)
        throw ShapeError(fmt::format("multi_head_attention: {} heads do not divide the {} features of {} (give key_dim, each head's size)",
                                     heads_, embed_, input.str()));
      key_dim_ = embed_ / heads_;
    }
    inner_ = heads_ * key_dim_;
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    seed_ = ctx.seed;
    auto parameter = [&](const char* name, const Shape& shape, const Params& init, std::int64_t fan_in, std::int64_t fan_out) {
      return Parameter{name, ctx.backend.empty(shape, dtype_), ctx.backend.empty(shape, dtype_), true, init, fan_in, fan_out};
    };
    // PyTorch's default for a Linear's weight, U(+-1/sqrt(fan_in)), for the output projection.
    const double bound = 1.0 / std::sqrt(static_cast<double>(inner_));
    const Params output_init = weight_init_given_ ? weight_init_ : Params("", {{"type", "uniform"}, {"a", -bound}, {"b", bound}});
    in_weight_ = parameter("in_proj_weight", {3 * inner_, embed_}, weight_init_, embed_, 3 * inner_);
    out_weight_ = parameter("out_proj.weight", {embed_, inner_}, output_init, inner_, embed_);
    if (use_bias_) {
      in_bias_ = parameter("in_proj_bias", {3 * inner_}, bias_init_, embed_, 3 * inner_);
      out_bias_ = parameter("out_proj.bias", {embed_}, bias_init_, inner_, embed_);
    }
    return input;
  }

  std::vector<Parameter*> parameters() override {
    if (use_bias_) return {&in_weight_, &in_bias_, &out_weight_, &out_bias_};
    return {&in_weight_, &out_weight_};
  }

  void set_training(bool training) override { training_ = training; }
  void set_sample_offset(std::int64_t first) override { first_sample_ = first; }
  std::vector<std::uint64_t> counters() const override { return {calls_}; }
  void set_counters(const std::vector<std::uint64_t>& values) override {
    if (values.size() != 1) throw InvalidArgument(fmt::format("multi_head_attention: expected 1 counter, got {}", values.size()));
    calls_ = values[0];
  }

  // With padding_idx: the sequence, and its token ids, one per step.
  Shape build_merge(const std::vector<Shape>& inputs, const BuildContext& ctx) override {
    if (inputs.size() != 2 || inputs[0].rank() < 1 || inputs[1].numel() != inputs[0][0]) {
      std::vector<std::string> shapes;
      for (const Shape& s : inputs) shapes.push_back(s.str());
      throw ShapeError(fmt::format("multi_head_attention with padding_idx takes two inputs, a sequence [steps, features] and its token ids, "
                                   "one per step; got {}",
                                   fmt::join(shapes, " and ")));
    }
    return build(inputs[0], ctx);
  }
  const Tensor& forward_merge(const std::vector<Tensor>& inputs) override { return attend(inputs[0], &inputs[1]); }
  const std::vector<Tensor>& backward_merge(const Tensor& dy) override {
    dxs_.resize(2);
    dxs_[0] = backward(dy, true);
    backend_->run(op::Fill{ensure(ids_grad_, *backend_, ids_shape_, dtype_)});
    dxs_[1] = ids_grad_;
    return dxs_;
  }

  const Tensor& forward(const Tensor& x) override { return attend(x, nullptr); }

  // Self-attention over x; with ids, the steps whose id is padding_idx masked as keys.
  const Tensor& attend(const Tensor& x, const Tensor* ids) {
    Backend& be = *backend_;
    n_ = x.dim(0);
    blocks_ = n_ * heads_;
    x_ = x.reshape(Shape{n_ * steps_, embed_});
    ensure(projections_, be, Shape{n_ * steps_, 3 * inner_}, dtype_);
    be.run(op::Gemm{.a = x_, .b = in_weight_.value, .c = projections_, .trans_b = true, .bias = bias(in_bias_)});
    ensure(qkv_, be, Shape{3 * blocks_, steps_, key_dim_}, dtype_);
    be.run(op::Permute{projections_.reshape(Shape{n_, steps_, 3, heads_, key_dim_}), qkv_.reshape(Shape{3, n_, heads_, steps_, key_dim_}), kToBlocks});

    // Scores q k^T / sqrt(key_dim), added to the masks (the causal one's 0 and -inf, the padding one's 0 and -1e9),
    // and their softmax over each row.
    ensure(scores_, be, Shape{blocks_, steps_, steps_}, dtype_);
    if (ids) {
      padding_mask(*ids);
      if (causal_) be.run(op::Axpby{causal_mask(), scores_, 1.0, 1.0});
    } else if (causal_) {
      be.run(op::Copy{causal_mask(), scores_});
    }
    const double masked = ids || causal_ ? 1.0 : 0.0;
    for (std::int64_t b = 0; b < blocks_; ++b)
      be.run(op::Gemm{.a = query(b), .b = key(b), .c = block(scores_, b), .trans_b = true, .alpha = scale(), .beta = masked});
    ensure(weights_, be, scores_.shape(), dtype_);
    be.run(op::Softmax{rows(scores_), rows(weights_)});
    dropped_ = training_ && dropout_ > 0.0;
    if (dropped_) {
      ensure(kept_, be, weights_.shape(), dtype_);
      ensure(mask_, be, weights_.shape(), dtype_);
      const auto first = static_cast<std::uint64_t>(first_sample_ * heads_ * steps_ * steps_);
      be.run(op::Dropout{weights_, kept_, mask_, DropoutKind::Inverted, dropout_, counter_random::mix(seed_, calls_++), first});
    }

    ensure(heads_out_, be, Shape{blocks_, steps_, key_dim_}, dtype_);
    for (std::int64_t b = 0; b < blocks_; ++b) be.run(op::Gemm{.a = block(attention(), b), .b = value(b), .c = block(heads_out_, b)});
    ensure(merged_, be, Shape{n_ * steps_, inner_}, dtype_);
    be.run(op::Permute{by_head(heads_out_), by_step(merged_), kSwapHeadsAndSteps});
    ensure(y_, be, x.shape(), dtype_);
    be.run(op::Gemm{.a = merged_, .b = out_weight_.value, .c = y_.reshape(x_.shape()), .trans_b = true, .bias = bias(out_bias_)});
    return y_;
  }

  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    Backend& be = *backend_;
    const Tensor dy_rows = dy.reshape(x_.shape());
    be.run(op::Gemm{.a = dy_rows, .b = merged_, .c = out_weight_.grad, .trans_a = true});
    if (use_bias_) be.run(op::SumRows{dy_rows, out_bias_.grad});
    // dL/d(heads side by side), into merged_'s buffer (no longer needed), then back to the heads' blocks.
    be.run(op::Gemm{.a = dy_rows, .b = out_weight_.value, .c = merged_});
    be.run(op::Permute{by_step(merged_), by_head(heads_out_), kSwapHeadsAndSteps});

    // Through each block's weighted sum: dL/d(attention weights), and dL/dv into qkv_grad_.
    ensure(qkv_grad_, be, qkv_.shape(), dtype_);
    ensure(weights_grad_, be, weights_.shape(), dtype_);
    for (std::int64_t b = 0; b < blocks_; ++b) {
      be.run(op::Gemm{.a = block(heads_out_, b), .b = value(b), .c = block(weights_grad_, b), .trans_b = true});
      be.run(op::Gemm{.a = block(attention(), b), .b = block(heads_out_, b), .c = block(qkv_grad_, 2 * blocks_ + b), .trans_a = true});
    }
    if (dropped_) be.run(op::Multiply{weights_grad_, mask_, weights_grad_});
    // Through the softmax into dL/d(scores) (scores_'s buffer), and the scores' products into dL/dq and dL/dk.
    be.run(op::SoftmaxGrad{rows(weights_), rows(weights_grad_), rows(scores_)});
    for (std::int64_t b = 0; b < blocks_; ++b) {
      be.run(op::Gemm{.a = block(scores_, b), .b = key(b), .c = block(qkv_grad_, b), .alpha = scale()});
      be.run(op::Gemm{.a = block(scores_, b), .b = query(b), .c = block(qkv_grad_, blocks_ + b), .trans_a = true, .alpha = scale()});
    }
    be.run(op::Permute{qkv_grad_.reshape(Shape{3, n_, heads_, steps_, key_dim_}), projections_.reshape(Shape{n_, steps_, 3, heads_, key_dim_}),
                       kFromBlocks});
    be.run(op::Gemm{.a = projections_, .b = x_, .c = in_weight_.grad, .trans_a = true});
    if (use_bias_) be.run(op::SumRows{projections_, in_bias_.grad});
    gradients_written();
    if (!need_input_grad) {
      dx_ = Tensor();
      return dx_;
    }
    ensure(dx_, be, dy.shape(), dtype_);
    be.run(op::Gemm{.a = projections_, .b = in_weight_.value, .c = dx_.reshape(x_.shape())});
    return dx_;
  }

 private:
  std::int64_t heads_, key_dim_;
  bool causal_, masks_padding_;
  double padding_idx_, dropout_;
  bool use_bias_, weight_init_given_;
  Params weight_init_, bias_init_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  std::uint64_t seed_ = 0, calls_ = 0;
  std::int64_t first_sample_ = 0;
  bool training_ = true, dropped_ = false;
  std::int64_t steps_ = 0, embed_ = 0, inner_ = 0, n_ = 0, blocks_ = 0;
  Parameter in_weight_, in_bias_, out_weight_, out_bias_;
  // x_: the input's rows; projections_: [q | k | v] per row (dL/d of it in backward); qkv_: their blocks; scores_
  // (dL/dscores in backward), weights_ (the softmax), kept_ and mask_ (after dropout): [blocks, T, T];
  // heads_out_: each block's weighted sum (dL/d of it in backward); merged_: the heads side by side per row.
  Tensor x_, projections_, qkv_, scores_, weights_, kept_, mask_, heads_out_, merged_, y_, qkv_grad_, weights_grad_, dx_, mask_values_;
  // padding_idx: is_padding_ (N, T), 1 where a step's id is padding_idx; key_mask_ (N, T), -1e9 there; block_sample_
  // (blocks T), the sample of each row of the scores; the ids' (zero) gradient.
  Tensor is_padding_, key_mask_, block_sample_, ids_grad_;
  Shape ids_shape_;
  std::vector<Tensor> dxs_;

  double scale() const { return 1.0 / std::sqrt(static_cast<double>(key_dim_)); }
  Tensor bias(const Parameter& p) const { return use_bias_ ? p.value : Tensor(); }
  // Block b of a [blocks, T, X] tensor as a [T, X] matrix; the queries, keys and values of block b.
  static Tensor block(const Tensor& t, std::int64_t b) { return t.rows(b, b + 1).reshape(Shape{t.dim(1), t.dim(2)}); }
  Tensor query(std::int64_t b) const { return block(qkv_, b); }
  Tensor key(std::int64_t b) const { return block(qkv_, blocks_ + b); }
  Tensor value(std::int64_t b) const { return block(qkv_, 2 * blocks_ + b); }
  // The attention weights the values were summed with: after dropout where it ran.
  const Tensor& attention() const { return dropped_ ? kept_ : weights_; }
  // A [blocks, T, T] tensor as the rows the softmax runs over.
  static Tensor rows(const Tensor& t) { return t.reshape(Shape{t.dim(0) * t.dim(1), t.dim(2)}); }
  Tensor by_head(const Tensor& t) const { return t.reshape(Shape{n_, heads_, steps_, key_dim_}); }
  Tensor by_step(const Tensor& t) const { return t.reshape(Shape{n_, steps_, heads_, key_dim_}); }

  // Writes into scores_ 0 where a key's id is not padding_idx and -1e9 where it is, for every row of every block.
  // From ids alone: (id - padding_idx)^2 is 0 there and at least 1 elsewhere, so relu(1 - that) is 1 there and 0
  // elsewhere. -1e9 rather than -inf: a row whose keys are all padding then weighs them alike rather than NaN.
  void padding_mask(const Tensor& ids) {
    Backend& be = *backend_;
    ids_shape_ = ids.shape();
    const Tensor flat = ids.reshape(Shape{n_, steps_});
    ensure(is_padding_, be, flat.shape(), dtype_);
    be.run(op::Fill{ensure(key_mask_, be, flat.shape(), dtype_), padding_idx_});
    be.run(op::Axpby{flat, key_mask_, 1.0, -1.0});  // id - padding_idx
    be.run(op::Multiply{key_mask_, key_mask_, is_padding_});
    be.run(op::Fill{key_mask_, 1.0});
    be.run(op::Axpby{key_mask_, is_padding_, 1.0, -1.0});
    be.run(op::Activation{is_padding_, is_padding_, Pointwise::Relu});
    be.run(op::Axpby{is_padding_, key_mask_, -1e9, 0.0});
    // Every row of sample n's blocks reads row n of the mask.
    if (!block_sample_.defined() || block_sample_.dim(0) != blocks_ * steps_) {
      std::vector<double> sample(static_cast<std::size_t>(blocks_ * steps_));
      for (std::size_t r = 0; r < sample.size(); ++r) sample[r] = static_cast<double>(static_cast<std::int64_t>(r) / (heads_ * steps_));
      block_sample_ = be.empty(Shape{blocks_ * steps_}, dtype_);
      from_host(block_sample_, sample);
    }
    be.run(op::GatherRows{key_mask_, block_sample_, rows(scores_)});
  }

  // 0 where step t may attend to step s (s <= t), -inf where it may not, for every block: the scores add it.
  const Tensor& causal_mask() {
    if (mask_values_.defined() && mask_values_.dim(0) == blocks_) return mask_values_;
    std::vector<double> values(static_cast<std::size_t>(blocks_ * steps_ * steps_), 0.0);
    for (std::size_t i = 0; i < values.size(); ++i) {
      const auto s = static_cast<std::int64_t>(i) % steps_, t = static_cast<std::int64_t>(i) / steps_ % steps_;
      if (s > t) values[i] = -std::numeric_limits<double>::infinity();
    }
    mask_values_ = backend_->empty(Shape{blocks_, steps_, steps_}, dtype_);
    from_host(mask_values_, values);
    return mask_values_;
  }
};

}  // namespace

NNPLUG_PLUGIN("multi_head_attention", "0.1.0", "layer:multi_head_attention", 0) {
  registrar.add_layer("multi_head_attention", [](const Params& p) { return std::make_unique<MultiHeadAttention>(p); });
}
