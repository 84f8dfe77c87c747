// Layer 'position_embedding': adds a learned vector per position to a sequence, y[t] = x[t] + weight[t], as a
// transformer's input does to tell its steps apart (attention alone is blind to their order): ViT's and BERT's
// learned position embeddings, Keras-NLP's PositionEmbedding with the sum it is used in. The weight has a sample's
// shape, [T, E] on a sequence, from "weight_init" (default truncated_normal with std 0.02, as ViT's).
#include "nnplug/plugin.hpp"

namespace {

using namespace nnplug;

class PositionEmbedding final : public Layer {
 public:
  explicit PositionEmbedding(const Params& p) : init_(p.child("weight_init", {{"type", "truncated_normal"}, {"std", 0.02}})) { p.check_unused(); }
  std::string type() const override { return "position_embedding"; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() < 1) throw ShapeError(fmt::format("position_embedding expects a sequence per sample, [steps, features], got {}", input.str()));
    backend_ = &ctx.backend;
    values_ = input.numel();
    weight_ = {"weight", ctx.backend.empty(input, ctx.dtype), ctx.backend.empty(input, ctx.dtype), true, init_, input[input.rank() - 1],
               input[input.rank() - 1]};
    return input;
  }
  std::vector<Parameter*> parameters() override { return {&weight_}; }

  // Every sample as one row, the weight as the vector added to each.
  const Tensor& forward(const Tensor& x) override {
    ensure(y_, *backend_, x.shape(), x.dtype());
    backend_->run(op::AddRowVector{rows(x), weight_.value.reshape(Shape{values_}), rows(y_)});
    return y_;
  }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) override {
    backend_->run(op::SumRows{rows(dy), weight_.grad.reshape(Shape{values_})});
    gradients_written();
    dx_ = need_input_grad ? dy : Tensor();
    return dx_;
  }

 private:
  Params init_;
  Backend* backend_ = nullptr;
  std::int64_t values_ = 0;
  Parameter weight_;
  Tensor y_, dx_;

  Tensor rows(const Tensor& t) const { return t.reshape(Shape{t.dim(0), values_}); }
};

}  // namespace

NNPLUG_PLUGIN("position_embedding", "0.1.0", "layer:position_embedding", 0) {
  registrar.add_layer("position_embedding", [](const Params& p) { return std::make_unique<PositionEmbedding>(p); });
}
