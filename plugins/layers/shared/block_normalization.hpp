#pragma once
// What layer_norm and rms_norm share: PyTorch's normalized_shape (the sample's last sizes, normalised together), and
// the layer that normalises each such block of a sample through its plugin's op
//   (x, weight[, bias]) -> (y), and its gradient (x, weight[, bias], y, dy) -> (dx, dweight[, dbias]),
// on (blocks, block values) views, with a weight (ones) and, where it has one, a bias (zeros) shaped as the block, as
// PyTorch keeps them, so that state dicts load both ways.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "nnplug/custom_op.hpp"
#include "nnplug/plugin.hpp"

namespace nnplug {

// The spec's "normalized_shape" (a size, or a list of them), or [] when it gives none: the whole sample.
inline std::vector<std::int64_t> read_normalized_shape(const Params& p) {
  std::vector<std::int64_t> normalized;
  if (!p.has("normalized_shape")) return normalized;
  const Params::Json& given = p.json()["normalized_shape"];
  const auto sizes = given.is_number() ? std::vector<double>{p.require_number("normalized_shape")} : p.numbers("normalized_shape", {});
  if (sizes.empty() || sizes.size() > static_cast<std::size_t>(Shape::kMaxRank - 1))
    p.fail("normalized_shape", fmt::format("must be a size or a list of 1 to {} sizes, got {}", Shape::kMaxRank - 1, Params::shortened(given.dump())));
  for (double size : sizes) {
    if (!(size >= 1 && size <= 1e15 && size == std::floor(size)))
      p.fail("normalized_shape", fmt::format("must hold whole sizes of at least 1, got {}", Params::shortened(given.dump())));
    normalized.push_back(static_cast<std::int64_t>(size));
  }
  return normalized;
}

// The shape normalised together on samples of `input`: `normalized`, or the whole sample where it is []. Throws
// ShapeError, naming the layer, unless those are the sample's last sizes.
inline Shape normalized_block(const std::string& layer, const std::vector<std::int64_t>& normalized, const Shape& input) {
  const Shape block = normalized.empty() ? input : Shape(normalized);
  const int first = input.rank() - block.rank();
  bool trailing = first >= 0;
  for (int i = 0; trailing && i < block.rank(); ++i) trailing = input[first + i] == block[i];
  if (!trailing) throw ShapeError(fmt::format("{}: normalized_shape {} is not the last sizes of a sample {}", layer, block.str(), input.str()));
  return block;
}

class BlockNormalization final : public Layer {
 public:
  // normalized: the sizes normalised together, [] for the whole sample; eps: NaN for the machine epsilon of the
  // model's dtype (PyTorch's RMSNorm default).
  BlockNormalization(std::string type, OpHandle op, double eps, std::vector<std::int64_t> normalized, bool bias)
      : type_(std::move(type)), op_(std::move(op)), eps_(eps), normalized_(std::move(normalized)), has_bias_(bias) {}
  std::string type() const override { return type_; }
  Shape build(const Shape& input, const BuildContext& ctx) override {
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    const Shape normalized = normalized_block(type_, normalized_, input);
    values_ = normalized.numel();
    if (std::isnan(eps_))
      eps_ = dtype_ == DType::Float64 ? std::numeric_limits<double>::epsilon() : static_cast<double>(std::numeric_limits<float>::epsilon());
    op_.on(ctx.backend, ctx.dtype);  // refused now where no kernel runs
    weight_ = {"weight", ctx.backend.empty(normalized, dtype_), ctx.backend.empty(normalized, dtype_), true,
               Params("", {{"type", "constant"}, {"value", 1.0}}), 1, 1};
    if (has_bias_)
      bias_ = {"bias", ctx.backend.empty(normalized, dtype_), ctx.backend.empty(normalized, dtype_), true, Params("", "zeros"), 1, 1};
    return input;
  }
  std::vector<Parameter*> parameters() override {
    if (has_bias_) return {&weight_, &bias_};
    return {&weight_};
  }

  const Tensor& forward(const Tensor& x) override {
    x_ = x;
    ensure(y_, *backend_, x.shape(), dtype_);
    op_.on(x)(with_parameters({rows(x)}, &Parameter::value), {rows(y_)}, {{"eps", eps_}});
    return y_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    // The op writes dx whether or not it is needed: one pass computes it with the parameters' gradients.
    ensure(dx_, *backend_, x_.shape(), dtype_);
    std::vector<Tensor> inputs = with_parameters({rows(x_)}, &Parameter::value);
    inputs.push_back(rows(y_)), inputs.push_back(rows(dy));
    op_.on(x_).gradient()(inputs, with_parameters({rows(dx_)}, &Parameter::grad), {{"eps", eps_}});
    return need_input_grad ? dx_ : no_dx_;
  }

 private:
  std::string type_;
  OpHandle op_;
  double eps_;
  std::vector<std::int64_t> normalized_;
  bool has_bias_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  std::int64_t values_ = 0;
  Parameter weight_, bias_;
  Tensor x_, y_, dx_, no_dx_;

  // Each normalised block as a row.
  Tensor rows(const Tensor& t) const { return t.reshape(Shape{t.numel() / values_, values_}); }
  // `first`, then the weight's and the bias's `member` (value or grad).
  std::vector<Tensor> with_parameters(std::vector<Tensor> first, Tensor Parameter::*member) {
    first.push_back(weight_.*member);
    if (has_bias_) first.push_back(bias_.*member);
    return first;
  }
};

}  // namespace nnplug
