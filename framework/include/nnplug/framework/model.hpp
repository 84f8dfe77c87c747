#pragma once
// Model: a directed acyclic graph of layers on one backend and dtype, one input and one output (the last node);
// a chain is the graph where each node reads the one before. build() runs shape inference from the per-sample
// input shape, allocates and initialises every parameter (seeded, on the host, then uploaded), and reports nodes
// that do not fit together by naming them and their shapes. backward() sums the gradients that reach a node
// whose output feeds several.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "nnplug/framework/preprocessing.hpp"
#include "nnplug/framework/text_vectorization.hpp"
#include "nnplug/framework/target_scaling.hpp"
#include "nnplug/framework/registry.hpp"

namespace nnplug {

// A regularizer attached to one layer: target is a parameter's name ("weight", "bias") or "activity" (the
// layer's output).
struct Attachment {
  std::string target;
  std::shared_ptr<Regularizer> regularizer;
};

// One node of a model: a layer, what it reads, and how messages, checkpoints and summaries name it.
struct ModelNode {
  std::shared_ptr<Layer> layer;
  std::string label;  // in messages: "layers[2] (dense)", "layer1.0.conv1 (conv2d)"
  // Its module path, which names its parameters as PyTorch does ("layer1.0.conv1" -> "layer1.0.conv1.weight");
  // empty: its index in the model.
  std::string name;
  // The nodes it reads, by index (each before it), Model::kInput for the model's input; empty: the node before it,
  // or the input for the first. A merge layer reads two or more.
  std::vector<std::size_t> inputs;
  std::vector<Attachment> attachments;
  std::string group;  // the block instance it belongs to, which the folded summary shows as one line; empty: none
};

// Where a sample shape looks like a channels-last image ([28, 28, 1], [32, 32, 3]: a few channels last, many
// first), the way to nnplug's channels-first images ([channels, height, width], as PyTorch's); "" otherwise.
std::string channels_last_hint(const Shape& sample);

class Model {
 public:
  static constexpr std::size_t kInput = static_cast<std::size_t>(-1);
  // The most sizes a sample's shape may have: a batch's size goes before them, in a Shape of at most kMaxRank.
  static constexpr std::size_t kMaxSampleSizes = Shape::kMaxRank - 1;
  // The most values a sample may hold (build refuses more, as does a model file's reader), so that no product of
  // a sample's sizes overflows.
  static constexpr std::int64_t kMaxSampleValues = std::int64_t{1} << 30;

  Model(std::shared_ptr<Backend> backend, DType dtype);

  void add(ModelNode node);
  // A node that reads the one before it; label names it in messages, e.g. "layers[2] (dense)".
  void add(std::shared_ptr<Layer> layer, std::string label, std::vector<Attachment> attachments = {}) {
    add(ModelNode{std::move(layer), std::move(label), {}, {}, std::move(attachments), {}});
  }
  // Shape inference and parameter initialisation; initializers are created from the registry.
  void build(const Shape& input, const Registry& registry, std::uint64_t seed);

  // x: (N, input...) -> (N, output...). The result stays valid until the next forward().
  const Tensor& forward(const Tensor& x);
  // dy: dL/d(output) of the last forward(); fills every parameter's grad. gradients_written(i), when given, is
  // called once for every node, last node first, as soon as node i's parameter gradients are written: from within
  // its backward where the layer says so (Layer::gradients_written, before its input gradient), else after it; so
  // that they can be sent while backward goes on. layer_done(i), when given, is called after node i's backward.
  void backward(const Tensor& dy, const std::function<void(std::size_t)>& gradients_written = {},
                const std::function<void(std::size_t)>& layer_done = {});
  void set_training(bool training);
  // Every node's counters (Layer::counters: a dropout's mask counter), in node order; and setting them back.
  std::vector<std::vector<std::uint64_t>> counters() const;
  void set_counters(const std::vector<std::vector<std::uint64_t>>& counters);
  // See Layer::set_sample_offset: where the next batches start within a data-parallel step's global batch.
  void set_sample_offset(std::int64_t first);
  // See Layer::set_communicator. Returns the label of the first layer that synchronises across ranks, or "".
  std::string set_communicator(Communicator* communicator);
  // After backward(): adds every parameter penalty's gradient to its parameter's grad (of `only` those parameters,
  // when given). Reads nothing back. `strength` multiplies every penalty, value and gradient: 1 in training; the
  // sanity check raises it (sanity_checks.hpp).
  void apply_penalties(const std::vector<Parameter*>* only = nullptr, double strength = 1.0);
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
  // Whether any penalty (on a parameter or an activity) is attached; whether one is attached to a parameter.
  bool has_penalties() const;
  bool has_parameter_penalties() const;
  // After the optimizer's step: projects every constrained parameter (of `only` those, when given).
  void apply_constraints(const std::vector<Parameter*>* only = nullptr);

  std::vector<Parameter*> parameters(bool trainable_only = true) const;
  std::int64_t parameter_count(bool trainable_only) const;
  const Shape& input_shape() const { return input_shape_; }
  const Shape& output_shape() const { return output_shape_; }
  // What the training data went through before input_shape (standardization, PCA), kept with the model and
  // saved with it, so that samples from outside the spec's data can be brought to where the model was trained.
  const InputPreprocessing& input_preprocessing() const { return input_preprocessing_; }
  void set_input_preprocessing(InputPreprocessing p) { input_preprocessing_ = std::move(p); }
  // How the training targets were standardized for the loss (empty: they were not); predictions and errors are
  // brought back through it. Kept and saved with the model as the preprocessing is.
  const TargetScaling& target_scaling() const { return target_scaling_; }
  void set_target_scaling(TargetScaling s) { target_scaling_ = std::move(s); }
  // How texts become the model's inputs (empty: its data is not text), fitted on the training texts and saved with the
  // model, so that predict reads new texts with the training vocabulary.
  const TextVectorization& text_vectorization() const { return text_vectorization_; }
  void set_text_vectorization(TextVectorization v) { text_vectorization_ = std::move(v); }
  // Whether the model was trained on a class label per step (step_labels.hpp), saved with it: a loss of values then
  // scores its outputs as a class per step also for samples that come without targets (scored_rows).
  bool trained_on_step_labels() const { return trained_on_step_labels_; }
  void set_trained_on_step_labels(bool on) { trained_on_step_labels_ = on; }
  // Whether the model was trained on value targets scored as values (a regression, multi-label), not as classes,
  // saved with it: predict then writes values also for samples that come without targets.
  bool trained_on_values() const { return trained_on_values_; }
  void set_trained_on_values(bool on) { trained_on_values_ = on; }
  // The names of the columns the model was trained on (a CSV header's features and label; empty where the data named
  // none), saved with it, so that predict reads a file's columns by name (scikit-learn's feature_names_in_).
  const ColumnNames& column_names() const { return column_names_; }
  void set_column_names(ColumnNames names) { column_names_ = std::move(names); }
  Backend& backend() const { return *backend_; }
  const std::shared_ptr<Backend>& backend_ptr() const { return backend_; }
  DType dtype() const { return dtype_; }
  std::size_t size() const { return layers_.size(); }
  Layer& layer(std::size_t i) const { return *layers_[i].layer; }
  const std::string& label(std::size_t i) const { return layers_[i].label; }
  const std::vector<std::size_t>& inputs(std::size_t i) const { return layers_[i].inputs; }
  const Shape& output_shape(std::size_t i) const { return layers_[i].output; }  // node i's, per sample
  // What a checkpoint and PyTorch's state_dict call a parameter of node i: "layer1.0.conv1.weight", "2.bias".
  std::string parameter_name(std::size_t i, const Parameter& p) const;
  // A forward pass that shows each node's output to visit(node index, output) as it is computed.
  void forward_each(const Tensor& x, const std::function<void(std::size_t, const Tensor&)>& visit);
  // Where a non-finite value first appears for this batch: "layers[0] (dense) weight", "the input batch",
  // "layers[2] (dense) output", or "" when every parameter and output is finite. Runs a forward pass.
  std::string first_non_finite(const Tensor& x);
  // The first parameter that holds a NaN or an infinity ("layers[0] (dense) weight"), or "".
  std::string first_non_finite_parameter() const;
  // One line per node (label, output shape, parameter count and, in a graph, the nodes it reads), each block
  // instance folded into one line unless expand (Keras' expand_nested); then the totals.
  std::string summary(bool expand = false) const;

 private:
  struct Bound {  // an attachment resolved to its parameter (null for an activity)
    Parameter* parameter;
    std::shared_ptr<Regularizer> regularizer;
    std::int64_t slot = -1;  // a penalty's element of penalty_values_
    bool among(const std::vector<Parameter*>* only) const {
      return parameter && (!only || std::find(only->begin(), only->end(), parameter) != only->end());
    }
  };
  struct Entry : ModelNode {
    Shape output;
    std::vector<Bound> bound;
    Tensor activity_grad;  // d(activity penalties)/d(output) of the last training forward
    std::size_t consumers = 0;  // how many inputs of later nodes read it (the model's output counts one)
    const Tensor* value = nullptr;  // its output in the last forward
    const Tensor* grad = nullptr;   // dL/d(its output) in the backward pass under way
    bool gradients_written = false;  // in the backward pass under way
    // Where a layer that takes only row-major tensors gets inputs another layer left in channel blocks, and where
    // its input gradients go back into that layout (one per input). An activity penalty reads a row-major output
    // and writes a row-major activity_grad, which joins the output's gradient in its layout.
    std::vector<Tensor> row_major_inputs, input_grads;
    Tensor row_major_output, activity_grad_in_layout;
    Tensor own_grad;  // its gradient, copied where a merge layer gave the tensor to another node too (backward())
  };
  void bind_attachments(Entry& entry);
  // Offers each activation node to the layer whose output it alone reads, unless an activity penalty watches that
  // output (Layer::fuse_activation): one pass less over the output in forward. The gradient through a fused
  // activation is then offered to the one layer that reads it (Layer::take_input_activation_gradient): one pass
  // less in backward.
  void fuse_activations();
  Shape build_node(std::size_t i, const Shape& input_shape_of_model, const BuildContext& ctx);
  const Tensor& forward_node(std::size_t i, const Tensor& x);
  // t in `layout`: t itself, or a copy reordered into `copy`.
  const Tensor& in_layout(const Tensor& t, Layout layout, Tensor& copy);
  std::string describe_input(std::size_t node) const;
  std::string node_name(std::size_t i) const;  // its module path, or its index
  bool training_ = true;
  double batch_share_ = 1.0;
  Tensor penalty_values_;  // one element per penalty, so that a step writes them all without reading any back
  Tensor output_, output_grad_;  // the last node's output and its gradient, where that node keeps channel blocks
  std::shared_ptr<Backend> backend_;
  DType dtype_;
  std::vector<Entry> layers_;
  Shape input_shape_, output_shape_;
  InputPreprocessing input_preprocessing_;
  TargetScaling target_scaling_;
  TextVectorization text_vectorization_;
  bool trained_on_step_labels_ = false;
  bool trained_on_values_ = false;
  ColumnNames column_names_;
  bool built_ = false;
};

}  // namespace nnplug
