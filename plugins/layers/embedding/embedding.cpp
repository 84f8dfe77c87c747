// Layer 'embedding' (PyTorch's nn.Embedding, Keras's Embedding): a table of `input_dim` rows of `output_dim` values
// whose rows the input picks. The input holds token ids, whole numbers in [0, input_dim), in any per-sample shape
// [T...] (a model's inputs are floating point: an id must be a whole number there, and float32 holds every whole
// number up to 2^24 only); the output is [T..., output_dim]. Parameter "weight" [input_dim, output_dim], drawn from
// N(0, 1) as PyTorch draws it (weight_init). padding_idx (none by default; negative counts from the end, as in
// PyTorch): that row starts at zero and gets no gradient, so an id that stands for "no token" adds nothing.
// The ids are no variable: the gradient passed back to a layer before this one is zero.
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

constexpr std::int64_t kFloat32WholeNumbers = std::int64_t{1} << 24;

class Embedding final : public Layer {
 public:
  explicit Embedding(const Params& p)
      : rows_(p.require_integer("input_dim", 1)),
        width_(p.require_integer("output_dim", 1)),
        padding_(padding_row(p, rows_)),
        weight_init_(p.child("weight_init", Params::Json{{"type", "normal"}, {"std", 1.0}})) {
    if (std::int64_t elements = 0; __builtin_mul_overflow(rows_, width_, &elements))
      p.fail("output_dim", fmt::format("gives a table of {} x {} values, more than 64 bits count", rows_, width_));
    p.check_unused();
  }
  std::string type() const override { return "embedding"; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() < 1) throw ShapeError(fmt::format("embedding expects token ids per sample, [steps], got {}", input.str()));
    if (ctx.dtype == DType::Float32 && rows_ > kFloat32WholeNumbers)
      throw ShapeError(fmt::format("embedding: input_dim {} is more ids than float32 inputs hold exactly (2^24 = {}): use float64",
                                   rows_, kFloat32WholeNumbers));
    backend_ = &ctx.backend;
    dtype_ = ctx.dtype;
    weight_ = {"weight", ctx.backend.empty({rows_, width_}, dtype_), ctx.backend.empty({rows_, width_}, dtype_), true, weight_init_,
               rows_, width_};
    Shape output = input;
    output.push_back(width_);
    return output;
  }
  std::vector<Parameter*> parameters() override { return {&weight_}; }

  void initialized() override {
    if (padding_ >= 0) backend_->run(op::Fill{weight_.value.rows(padding_, padding_ + 1)});
  }

  const Tensor& forward(const Tensor& x) override {
    x_ = x;
    Shape rows = x.shape();
    rows.push_back(width_);
    backend_->run(op::GatherRows{weight_.value, x, ensure(y_, *backend_, rows, dtype_)});
    return y_;
  }

  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    backend_->run(op::ScatterAddRows{dy, x_, weight_.grad, padding_});
    if (!need_input_grad) {
      dx_ = Tensor();
      return dx_;
    }
    gradients_written();
    backend_->run(op::Fill{ensure(dx_, *backend_, x_.shape(), dtype_)});
    return dx_;
  }

 private:
  std::int64_t rows_, width_, padding_;
  Params weight_init_;
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  Parameter weight_;
  Tensor x_, y_, dx_;

  // padding_idx as a row of the table, negative counting from the end as in PyTorch; -1: none.
  static std::int64_t padding_row(const Params& p, std::int64_t rows) {
    const std::int64_t row = p.integer("padding_idx", rows, -rows, rows - 1);  // rows: not given
    return row == rows ? -1 : row < 0 ? row + rows : row;
  }
};

}  // namespace

NNPLUG_PLUGIN("embedding", "0.1.0", "layer:embedding", 0) {
  registrar.add_layer("embedding", [](const Params& p) { return std::make_unique<Embedding>(p); });
}
