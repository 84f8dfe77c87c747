#pragma once
// Model: a sequential stack of layers on one backend and dtype. build() runs shape inference from the per-sample
// input shape, allocates and initialises every parameter (seeded, on the host, then uploaded), and reports layers
// that do not fit together by naming both layers and both shapes.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nnplug/framework/registry.hpp"

namespace nnplug {

// A regularizer attached to one layer: target is a parameter's name ("weight", "bias") or "activity" (the
// layer's output).
struct Attachment {
  std::string target;
  std::shared_ptr<Regularizer> regularizer;
};

class Model {
 public:
  Model(std::shared_ptr<Backend> backend, DType dtype);

  // label names the layer in messages, e.g. "layer 2 (dense)".
  void add(std::shared_ptr<Layer> layer, std::string label, std::vector<Attachment> attachments = {});
  // Shape inference and parameter initialisation; initializers are created from the registry.
  void build(const Shape& input, const Registry& registry, std::uint64_t seed);

  // x: (N, input...) -> (N, output...). The result stays valid until the next forward().
  const Tensor& forward(const Tensor& x);
  // dy: dL/d(output) of the last forward(); fills every parameter's grad. layer_done(i), when given, is called as
  // soon as layer i's gradients are written (last layer first), so that they can be sent while backward goes on.
  void backward(const Tensor& dy, const std::function<void(std::size_t)>& layer_done = {});
  void set_training(bool training);
  // See Layer::set_sample_offset: where the next batches start within a data-parallel step's global batch.
  void set_sample_offset(std::int64_t first);
  // See Layer::set_communicator. Returns the label of the first layer that synchronises across ranks, or "".
  std::string set_communicator(Communicator* communicator);
  // After backward(): adds every parameter penalty's gradient to its parameter's grad. Reads nothing back.
  void apply_penalties();
  // The batch's total penalty: the activity penalties of the last training forward and the parameter penalties
  // of apply_penalties() since. Read back from the backend (0 without a download when there is no penalty).
  double penalty() const { return penalties().total(); }
  struct Penalties {
    double activity = 0.0, parameters = 0.0;
    double total() const { return activity + parameters; }
  };
  Penalties penalties() const;
  // This process' share of a data-parallel step's global batch (1 in one process): activity penalties, a mean
  // over the batch, are weighed by it, so that their sum over the ranks is one process' mean.
  void set_batch_share(double share) { batch_share_ = share; }
  // Whether any penalty (on a parameter or an activity) is attached.
  bool has_penalties() const;
  // After the optimizer's step: projects every constrained parameter.
  void apply_constraints();

  std::vector<Parameter*> parameters(bool trainable_only = true) const;
  std::int64_t parameter_count(bool trainable_only) const;
  const Shape& input_shape() const { return input_shape_; }
  const Shape& output_shape() const { return output_shape_; }
  Backend& backend() const { return *backend_; }
  const std::shared_ptr<Backend>& backend_ptr() const { return backend_; }
  DType dtype() const { return dtype_; }
  std::size_t size() const { return layers_.size(); }
  Layer& layer(std::size_t i) const { return *layers_[i].layer; }
  const std::string& label(std::size_t i) const { return layers_[i].label; }
  // A forward pass that shows each layer's output to visit(layer index, output) as it is computed.
  void forward_each(const Tensor& x, const std::function<void(std::size_t, const Tensor&)>& visit);
  // Where a non-finite value first appears for this batch: "layers[0] (dense) weight", "the input batch",
  // "layers[2] (dense) output", or "" when every parameter and output is finite. Runs a forward pass.
  std::string first_non_finite(const Tensor& x);
  // One line per layer: label, output shape, parameter count; then the totals.
  std::string summary() const;

 private:
  struct Bound {  // an attachment resolved to its parameter (null for an activity)
    Parameter* parameter;
    std::shared_ptr<Regularizer> regularizer;
    std::int64_t slot = -1;  // a penalty's element of penalty_values_
  };
  struct Entry {
    std::shared_ptr<Layer> layer;
    std::string label;
    Shape output;
    std::vector<Attachment> attachments;
    std::vector<Bound> bound;
    Tensor activity_grad;  // d(activity penalties)/d(output) of the last training forward
  };
  void bind_attachments(Entry& entry);
  bool training_ = true;
  double batch_share_ = 1.0;
  Tensor penalty_values_;  // one element per penalty, so that a step writes them all without reading any back
  std::shared_ptr<Backend> backend_;
  DType dtype_;
  std::vector<Entry> layers_;
  Shape input_shape_, output_shape_;
  bool built_ = false;
};

}  // namespace nnplug
