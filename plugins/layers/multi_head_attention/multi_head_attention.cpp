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
// cross: the layer then takes two inputs, the queries' sequence [Tq, E] and the sequence they attend to [Tk, E] (a
// decoder's and the encoder's output), as PyTorch's mha(query, memory, memory) with kdim = vdim = E and Keras's
// mha(query, value); its output is [Tq, E], and causal lets query step t attend to memory steps 0 .. t;
// padding_idx: the layer then takes one input more, the token ids of the keys' sequence [T] (the sequence itself, or
// with cross the memory), and no step attends to a step whose id is padding_idx (PyTorch's key_padding_mask, Keras's
// mask from Embedding(mask_zero=True)). The ids get a zero gradient, as an embedding's do.
//
// The projections are one product over every step of every sample (two with cross: the queries', and the keys' and
// values'). The heads' queries, keys and values are reordered into (sample, head)-major blocks [T, key_dim]
// (op::Permute), so that each product of theirs is one product of all the blocks, block by block (batched_products.hpp).
#include <array>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "batched_products.hpp"
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
  MultiHeadAttention(OpHandle products, const Params& p)
      : products_(std::move(products)),
        heads_(p.require_integer("num_heads", 1, 1 << 16)),
        key_dim_(p.integer("key_dim", 0, 1, 1 << 20)),  // 0: E / num_heads
        causal_(p.boolean("causal", false)),
        cross_(p.boolean("cross", false)),
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
  bool merges() const override { return cross_ || masks_padding_; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() != 2)
      throw ShapeError(fmt::format("multi_head_attention expects a sequence per sample, [steps, features], got {}", input.str()));
    steps_ = memory_steps_ = input[0], embed_ = input[1];
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
    products_.on(ctx.backend, dtype_);  // refuses a backend that runs none of its kernels now
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

  // The queries' sequence; with cross, the sequence they attend to; with padding_idx, the keys' token ids.
  Shape build_merge(const std::vector<Shape>& inputs, const BuildContext& ctx) override {
    const std::size_t count = 1 + cross_ + masks_padding_;
    const Shape& keys = inputs[cross_ ? 1 : 0];
    const bool fit = inputs.size() == count && inputs[0].rank() == 2 && keys.rank() == 2 && (!cross_ || keys[1] == inputs[0][1]) &&
                     (!masks_padding_ || inputs.back().numel() == keys[0]);
    if (!fit) {
      std::vector<std::string> shapes;
      for (const Shape& s : inputs) shapes.push_back(s.str());
      throw ShapeError(fmt::format("multi_head_attention with {} takes {}; got {}",
                                   cross_ && masks_padding_ ? "cross and padding_idx" : cross_ ? "cross" : "padding_idx",
                                   cross_ ? fmt::format("the queries' sequence [steps, features], the sequence they attend to [steps, the same "
                                                        "features]{}", masks_padding_ ? " and its token ids, one per step" : "")
                                          : std::string("two inputs, a sequence [steps, features] and its token ids, one per step"),
                                   fmt::join(shapes, " and ")));
    }
    const Shape out = build(inputs[0], ctx);
    memory_steps_ = keys[0];
    return out;
  }
  const Tensor& forward_merge(const std::vector<Tensor>& inputs) override {
    return attend(inputs[0], cross_ ? &inputs[1] : nullptr, masks_padding_ ? &inputs.back() : nullptr);
  }
  const std::vector<Tensor>& backward_merge(const Tensor& dy) override {
    dxs_.resize(1 + cross_ + masks_padding_);
    dxs_[0] = backward(dy, true);
    if (cross_) dxs_[1] = memory_grad_;
    if (masks_padding_) {
      backend_->run(op::Fill{ensure(ids_grad_, *backend_, ids_shape_, dtype_)});
      dxs_.back() = ids_grad_;
    }
    return dxs_;
  }

  const Tensor& forward(const Tensor& x) override { return attend(x, nullptr, nullptr); }

  // x's steps attending to the memory's (cross), else to its own; with ids, the keys whose id is padding_idx masked.
  const Tensor& attend(const Tensor& x, const Tensor* memory, const Tensor* ids) {
    Backend& be = *backend_;
    n_ = x.dim(0);
    blocks_ = n_ * heads_;
    x_ = x.reshape(Shape{n_ * steps_, embed_});
    if (memory) {
      // The queries from x, the keys and values from the memory: [q] and [k | v] per row, each into its blocks.
      memory_ = memory->reshape(Shape{n_ * memory_steps_, embed_});
      ensure(projections_, be, Shape{n_ * steps_, inner_}, dtype_);
      be.run(op::Gemm{.a = x_, .b = in_rows(in_weight_.value, 0, 1), .c = projections_, .trans_b = true, .bias = in_bias_rows(0, 1)});
      ensure(memory_projections_, be, Shape{n_ * memory_steps_, 2 * inner_}, dtype_);
      be.run(op::Gemm{.a = memory_, .b = in_rows(in_weight_.value, 1, 3), .c = memory_projections_, .trans_b = true, .bias = in_bias_rows(1, 3)});
      ensure(queries_, be, Shape{blocks_, steps_, key_dim_}, dtype_);
      be.run(op::Permute{by_step(projections_, steps_), by_head(queries_, steps_), kSwapHeadsAndSteps});
      ensure(keys_values_, be, Shape{2 * blocks_, memory_steps_, key_dim_}, dtype_);
      be.run(op::Permute{memory_projections_.reshape(Shape{n_, memory_steps_, 2, heads_, key_dim_}),
                         keys_values_.reshape(Shape{2, n_, heads_, memory_steps_, key_dim_}), kToBlocks});
    } else {
      ensure(projections_, be, Shape{n_ * steps_, 3 * inner_}, dtype_);
      be.run(op::Gemm{.a = x_, .b = in_weight_.value, .c = projections_, .trans_b = true, .bias = bias(in_bias_)});
      ensure(qkv_, be, Shape{3 * blocks_, steps_, key_dim_}, dtype_);
      be.run(op::Permute{projections_.reshape(Shape{n_, steps_, 3, heads_, key_dim_}), qkv_.reshape(Shape{3, n_, heads_, steps_, key_dim_}), kToBlocks});
      queries_ = qkv_.rows(0, blocks_), keys_values_ = qkv_.rows(blocks_, 3 * blocks_);
    }

    // Scores q k^T / sqrt(key_dim), added to the masks (the causal one's 0 and -inf, the padding one's 0 and -1e9),
    // and their softmax over each row.
    ensure(scores_, be, Shape{blocks_, steps_, memory_steps_}, dtype_);
    if (ids) {
      padding_mask(*ids);
      if (causal_) be.run(op::Axpby{causal_mask(), scores_, 1.0, 1.0});
    } else if (causal_) {
      be.run(op::Copy{causal_mask(), scores_});
    }
    const double masked = ids || causal_ ? 1.0 : 0.0;
    multiply(queries_, keys(keys_values_), scores_, false, true, scale(), masked);
    ensure(weights_, be, scores_.shape(), dtype_);
    be.run(op::Softmax{rows(scores_), rows(weights_)});
    dropped_ = training_ && dropout_ > 0.0;
    if (dropped_) {
      ensure(kept_, be, weights_.shape(), dtype_);
      ensure(mask_, be, weights_.shape(), dtype_);
      const auto first = static_cast<std::uint64_t>(first_sample_ * heads_ * steps_ * memory_steps_);
      be.run(op::Dropout{weights_, kept_, mask_, DropoutKind::Inverted, dropout_, counter_random::mix(seed_, calls_++), first});
    }

    ensure(heads_out_, be, Shape{blocks_, steps_, key_dim_}, dtype_);
    multiply(attention(), values(keys_values_), heads_out_, false, false);
    ensure(merged_, be, Shape{n_ * steps_, inner_}, dtype_);
    be.run(op::Permute{by_head(heads_out_, steps_), by_step(merged_, steps_), kSwapHeadsAndSteps});
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
    be.run(op::Permute{by_step(merged_, steps_), by_head(heads_out_, steps_), kSwapHeadsAndSteps});

    // Through each block's weighted sum: dL/d(attention weights), and dL/dv.
    const bool cross = memory_.defined();
    if (cross) {
      ensure(queries_grad_, be, queries_.shape(), dtype_);
      ensure(keys_values_grad_, be, keys_values_.shape(), dtype_);
    } else {
      ensure(qkv_grad_, be, qkv_.shape(), dtype_);
      queries_grad_ = qkv_grad_.rows(0, blocks_), keys_values_grad_ = qkv_grad_.rows(blocks_, 3 * blocks_);
    }
    ensure(weights_grad_, be, weights_.shape(), dtype_);
    multiply(heads_out_, values(keys_values_), weights_grad_, false, true);
    multiply(attention(), heads_out_, values(keys_values_grad_), true, false);
    if (dropped_) be.run(op::Multiply{weights_grad_, mask_, weights_grad_});
    // Through the softmax into dL/d(scores) (scores_'s buffer), and the scores' products into dL/dq and dL/dk.
    be.run(op::SoftmaxGrad{rows(weights_), rows(weights_grad_), rows(scores_)});
    multiply(scores_, keys(keys_values_), queries_grad_, false, false, scale());
    multiply(scores_, queries_, keys(keys_values_grad_), true, false, scale());
    if (cross) return projection_backward_cross(dy, need_input_grad);
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
  OpHandle products_;  // batched_matmul
  std::int64_t heads_, key_dim_;
  bool causal_, cross_, masks_padding_;
  double padding_idx_, dropout_;
  bool use_bias_, weight_init_given_;
  Params weight_init_, bias_init_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  std::uint64_t seed_ = 0, calls_ = 0;
  std::int64_t first_sample_ = 0;
  bool training_ = true, dropped_ = false;
  std::int64_t steps_ = 0, memory_steps_ = 0, embed_ = 0, inner_ = 0, n_ = 0, blocks_ = 0;  // memory_steps_: the keys' (steps_ but with cross)
  Parameter in_weight_, in_bias_, out_weight_, out_bias_;
  // x_: the input's rows; projections_: [q | k | v] per row (dL/d of it in backward); qkv_: their blocks, queries_
  // and keys_values_ their queries' and the keys' and values' (views of qkv_, as the _grad_ ones of qkv_grad_);
  // scores_ (dL/dscores in backward), weights_ (the softmax), kept_ and mask_ (after dropout): [blocks, T, Tk];
  // heads_out_: each block's weighted sum (dL/d of it in backward); merged_: the heads side by side per row.
  // With cross, projections_ holds [q] per row of x_, memory_projections_ [k | v] per row of memory_, each with
  // blocks of their own (queries_, keys_values_).
  Tensor x_, projections_, qkv_, queries_, keys_values_, scores_, weights_, kept_, mask_, heads_out_, merged_, y_, qkv_grad_, queries_grad_,
      keys_values_grad_, weights_grad_, dx_, mask_values_;
  Tensor memory_, memory_projections_, memory_grad_;
  // padding_idx: is_padding_ (N, T), 1 where a step's id is padding_idx; key_mask_ (N, T), -1e9 there; block_sample_
  // (blocks T), the sample of each row of the scores; the ids' (zero) gradient.
  Tensor is_padding_, key_mask_, block_sample_, ids_grad_;
  Shape ids_shape_;
  std::vector<Tensor> dxs_;

  double scale() const { return 1.0 / std::sqrt(static_cast<double>(key_dim_)); }
  Tensor bias(const Parameter& p) const { return use_bias_ ? p.value : Tensor(); }
  // The keys' blocks and the values' of keys_values_ (or of its gradient).
  Tensor keys(const Tensor& keys_values) const { return keys_values.rows(0, blocks_); }
  Tensor values(const Tensor& keys_values) const { return keys_values.rows(blocks_, 2 * blocks_); }
  // c = alpha op(a) op(b) + beta c for every block of [blocks, rows, columns] tensors, op a transpose where asked.
  void multiply(const Tensor& a, const Tensor& b, const Tensor& c, bool trans_a, bool trans_b, double alpha = 1.0, double beta = 0.0) {
    products_.on(*backend_, dtype_)({a, b}, {c}, {{"trans_a", trans_a}, {"trans_b", trans_b}, {"alpha", alpha}, {"beta", beta}});
  }
  // The in-projection's parts [from, to) of the three (0 the query's, 1 the key's, 2 the value's), weight rows or bias.
  Tensor in_rows(const Tensor& t, std::int64_t from, std::int64_t to) const { return t.rows(from * inner_, to * inner_); }
  Tensor in_bias_rows(std::int64_t from, std::int64_t to) const { return use_bias_ ? in_rows(in_bias_.value, from, to) : Tensor(); }
  // The attention weights the values were summed with: after dropout where it ran.
  const Tensor& attention() const { return dropped_ ? kept_ : weights_; }
  // A [blocks, T, T] tensor as the rows the softmax runs over.
  static Tensor rows(const Tensor& t) { return t.reshape(Shape{t.dim(0) * t.dim(1), t.dim(2)}); }
  Tensor by_head(const Tensor& t, std::int64_t steps) const { return t.reshape(Shape{n_, heads_, steps, key_dim_}); }
  Tensor by_step(const Tensor& t, std::int64_t steps) const { return t.reshape(Shape{n_, steps, heads_, key_dim_}); }

  // With cross, from dL/dq and dL/d[k | v] in their blocks: the in-projection's gradients, and dL/dx and dL/dmemory.
  const Tensor& projection_backward_cross(const Tensor& dy, bool need_input_grad) {
    Backend& be = *backend_;
    be.run(op::Permute{by_head(queries_grad_, steps_), by_step(projections_, steps_), kSwapHeadsAndSteps});
    be.run(op::Permute{keys_values_grad_.reshape(Shape{2, n_, heads_, memory_steps_, key_dim_}),
                       memory_projections_.reshape(Shape{n_, memory_steps_, 2, heads_, key_dim_}), kFromBlocks});
    be.run(op::Gemm{.a = projections_, .b = x_, .c = in_rows(in_weight_.grad, 0, 1), .trans_a = true});
    be.run(op::Gemm{.a = memory_projections_, .b = memory_, .c = in_rows(in_weight_.grad, 1, 3), .trans_a = true});
    if (use_bias_) {
      be.run(op::SumRows{projections_, in_rows(in_bias_.grad, 0, 1)});
      be.run(op::SumRows{memory_projections_, in_rows(in_bias_.grad, 1, 3)});
    }
    gradients_written();
    ensure(memory_grad_, be, Shape{n_, memory_steps_, embed_}, dtype_);
    be.run(op::Gemm{.a = memory_projections_, .b = in_rows(in_weight_.value, 1, 3), .c = memory_grad_.reshape(memory_.shape())});
    if (!need_input_grad) {
      dx_ = Tensor();
      return dx_;
    }
    ensure(dx_, be, dy.shape(), dtype_);
    be.run(op::Gemm{.a = projections_, .b = in_rows(in_weight_.value, 0, 1), .c = dx_.reshape(x_.shape())});
    return dx_;
  }

  // Writes into scores_ 0 where a key's id is not padding_idx and -1e9 where it is, for every row of every block.
  // From ids alone: (id - padding_idx)^2 is 0 there and at least 1 elsewhere, so relu(1 - that) is 1 there and 0
  // elsewhere. -1e9 rather than -inf: a row whose keys are all padding then weighs them alike rather than NaN.
  void padding_mask(const Tensor& ids) {
    Backend& be = *backend_;
    ids_shape_ = ids.shape();
    const Tensor flat = ids.reshape(Shape{n_, memory_steps_});
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
    std::vector<double> values(static_cast<std::size_t>(blocks_ * steps_ * memory_steps_), 0.0);
    for (std::size_t i = 0; i < values.size(); ++i) {
      const auto s = static_cast<std::int64_t>(i) % memory_steps_, t = static_cast<std::int64_t>(i) / memory_steps_ % steps_;
      if (s > t) values[i] = -std::numeric_limits<double>::infinity();
    }
    mask_values_ = backend_->empty(Shape{blocks_, steps_, memory_steps_}, dtype_);
    from_host(mask_values_, values);
    return mask_values_;
  }
};

}  // namespace

NNPLUG_PLUGIN("multi_head_attention", "0.1.0", "op:batched_matmul layer:multi_head_attention", 0) {
  OpHandle products = layers::add_batched_matmul(registrar);
  registrar.add_layer("multi_head_attention", [products](const Params& p) { return std::make_unique<MultiHeadAttention>(products, p); });
}
