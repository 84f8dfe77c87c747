#pragma once
// Layer: one node of a model. Tensors are batched: x is (N, in...), y is (N, out...).
// Life cycle: build() once (fixes parameter shapes from the input shape), then forward()/backward() per batch.
// A layer never touches tensor memory itself; it runs ops on the backend it was built for.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nnplug/activation.hpp"
#include "nnplug/backend.hpp"
#include "nnplug/export.hpp"
#include "nnplug/params.hpp"

namespace nnplug {

class Communicator;

// A learnable (or buffered) tensor of a layer, with its gradient and how to initialise it.
struct Parameter {
  std::string name;      // "weight", "bias"
  Tensor value;          // allocated by the layer in build()
  Tensor grad;           // same shape; written (not accumulated) by backward()
  bool trainable = true;
  Params init;           // the initializer to use, e.g. {"type": "he_normal"}
  std::int64_t fan_in = 1, fan_out = 1;
};

// What a layer needs to build itself.
struct BuildContext {
  Backend& backend;
  DType dtype;
  std::uint64_t seed = 0;  // this layer's own seed, derived from the model's (dropout masks)
};

class NNPLUG_API Layer {
 public:
  virtual ~Layer() = default;

  // The plugin name ("dense").
  virtual std::string type() const = 0;

  // Per-sample input shape in, per-sample output shape out; allocates parameters on ctx.backend.
  // Throws ShapeError when the input shape does not fit, naming the expected shape.
  virtual Shape build(const Shape& input, const BuildContext& ctx) = 0;

  // The layer's parameters (stable pointers once built).
  virtual std::vector<Parameter*> parameters() { return {}; }

  // Called once the model has drawn every parameter's initial values from its initializer: a layer that fixes part
  // of them (an embedding's padding row, zeros as in PyTorch) sets it here. Weights loaded afterwards replace them.
  virtual void initialized() {}

  // Counters a checkpoint saves beside the parameters, so that a resumed run draws what an uninterrupted one
  // would (a dropout layer's mask counter). set_counters() gets back what counters() gave.
  virtual std::vector<std::uint64_t> counters() const { return {}; }
  virtual void set_counters(const std::vector<std::uint64_t>& values) { (void)values; }

  // Training mode changes layers such as dropout and batch norm; the default layer ignores it.
  virtual void set_training(bool training) { (void)training; }

  // Where the batches that follow start within the global batch of a data-parallel step (0 in one process): a
  // layer that draws per sample (dropout) draws for sample `first + i` what one process would, so that N ranks
  // together draw the masks of one process.
  virtual void set_sample_offset(std::int64_t first) { (void)first; }

  // The ranks of data-parallel training (null: one process), before the first training pass. A layer that
  // combines batch statistics across ranks in its training passes (synchronised batch norm) keeps it and returns
  // true: every rank then runs those passes in step, so each needs samples in every batch.
  virtual bool set_communicator(Communicator* communicator) { (void)communicator; return false; }

  // y = layer(x). The returned tensor stays valid until the next forward().
  virtual const Tensor& forward(const Tensor& x) = 0;

  // Given dL/dy for the last forward(), writes dL/dparam into each parameter's grad and returns dL/dx
  // (an undefined tensor when need_input_grad is false, which lets the first layer skip that work).
  virtual const Tensor& backward(const Tensor& dy, bool need_input_grad) = 0;

  // Set by the model for each backward pass. A layer that writes all its parameters' gradients before it computes
  // dL/dx (dense: dW and db first) calls gradients_written() at that point, so that data-parallel training starts
  // sending them while the input gradient is still being computed; a layer that never calls it has its gradients
  // taken as written when backward() (or backward_merge()) returns.
  void on_gradients_written(std::function<void()> callback) { gradients_written_ = std::move(callback); }

  // After build(), the model offers a layer the activation that alone reads its output (a spec's "activation"
  // key, or the next node) unless something else watches that output (an activity penalty). A layer that returns
  // true applies it to its output itself, in its product's output pass (op::Gemm's epilogue), and takes the
  // gradient through it in backward; the activation's node then passes values and gradients on unchanged.
  virtual bool fuse_activation(const Activation& next) {
    (void)next;
    return false;
  }

  // Once a layer took in the activation f after it, the model offers the gradient through f to the one layer that
  // reads the output (X11's batch norm after a convolution and its ReLU): a layer that accepts returns dL/dz from
  // backward, z the layer before's result, in place of dL/d(its input) = dL/df(z), reading f' from its input where
  // it reads the input anyway; the layer before is then told to leave that step out of its own backward.
  virtual bool take_input_activation_gradient(const PointwiseFunction& f) {
    (void)f;
    return false;
  }
  virtual void leave_activation_gradient_to_next() {}

  // Whether forward() takes an input in any layout its backend offers (Tensor's Layout) and backward() returns dx
  // in that input's layout. The model gives any other layer row-major tensors, reordering where the layer before
  // left its output in channel blocks, and reorders that layer's dx back.
  virtual bool takes_any_layout() const { return false; }

  // Merge layers (add, concat, multiply; derive from MergeLayer in merge_layer.hpp) take two or more inputs: the
  // model calls the three methods below in place of build(), forward() and backward().
  virtual bool merges() const { return false; }
  // The per-sample shape of every input, in the order the model names them.
  virtual Shape build_merge(const std::vector<Shape>& inputs, const BuildContext& ctx);
  virtual const Tensor& forward_merge(const std::vector<Tensor>& inputs);
  // dL/d(input) for every input of the last forward_merge(), in its order; writes dL/dparam as backward() does.
  virtual const std::vector<Tensor>& backward_merge(const Tensor& dy);

 protected:
  void gradients_written() const {
    if (gradients_written_) gradients_written_();
  }

 private:
  std::function<void()> gradients_written_;
};

// A one-input layer asked to merge: the model only asks layers whose merges() is true, so this is a plugin's bug.
inline Shape Layer::build_merge(const std::vector<Shape>&, const BuildContext&) {
  throw ShapeError(fmt::format("{} takes one input", type()));
}
inline const Tensor& Layer::forward_merge(const std::vector<Tensor>&) { throw ShapeError(fmt::format("{} takes one input", type())); }
inline const std::vector<Tensor>& Layer::backward_merge(const Tensor&) { throw ShapeError(fmt::format("{} takes one input", type())); }

}  // namespace nnplug
