#pragma once
// Typed builders for programs: the components a spec writes as JSON, written as C++ the compiler checks,
// e.g. nn::Sequential{nn::Dense(256).activation("relu"), nn::Dense(10)} and nn::Adam{.lr = 1e-3}. Each builds the
// JSON a spec holds, so what they make is a spec (Network::spec()): it saves, loads, prints and is validated as
// one, with the plugins' own parameter names and messages. A component without a typed builder (a third-party
// plugin) is made by name: nn::Layer("my_layer").set("width", 3), nn::Component("my_optimizer").
#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "nnplug/params.hpp"

namespace nnplug::nn {

using Json = Params::Json;

// Any plugin: {"type": NAME, parameters...}.
class Component {
 public:
  Component(const char* type) : Component(std::string(type)) {}  // NOLINT: "relu" reads as the plugin it names
  Component(std::string type, Json parameters = Json::object());
  // As a spec writes it: "NAME" or {"type": NAME, parameters...}.
  static Component from_json(const Json& spec);
  // Sets any parameter by the plugin's name for it.
  Component& set(const std::string& key, Json value);
  const Json& json() const { return json_; }

 protected:
  Json json_;
};

// A layer, or an activation used as a layer, with the fields every layer takes in a spec.
class Layer : public Component {
 public:
  using Component::Component;
  Layer& set(const std::string& key, Json value);
  // An activation applied to its output ("activation": "relu").
  Layer& activation(const Component& function);
  // Its name, which other layers' inputs() refer to and which names its parameters ("fc" -> "fc.weight").
  Layer& name(const std::string& name);
  // What it reads (default: the layer before it); "input" is the model's input.
  Layer& inputs(const std::vector<std::string>& names);
  // A penalty or constraint on a parameter ("weight") or on its output ("activity").
  Layer& regularizer(const std::string& target, const Component& penalty);
  Layer& constraint(const std::string& target, const Component& constraint);
  // How a parameter ("weight", "bias") starts: init("weight", nn::HeNormal{}) is the spec's "weight_init".
  Layer& init(const std::string& parameter, const Component& initializer);

  friend Layer Block(const std::string& block);
};

// The built-in layers, with PyTorch's defaults; set() gives any other parameter ("padding", "stride", "bias").
Layer Dense(std::int64_t units);
Layer Conv2d(std::int64_t filters, std::int64_t kernel_size);
Layer ConvTranspose2d(std::int64_t filters, std::int64_t kernel_size);
Layer MaxPool2d(std::int64_t pool_size = 2);
Layer AvgPool2d(std::int64_t pool_size = 2);
Layer GlobalAvgPool2d();
Layer GlobalMaxPool2d();
// Each output the mean of its window, as PyTorch's AdaptiveAvgPool2d: AdaptiveAvgPool2d({7, 7}).
Layer AdaptiveAvgPool2d(const std::vector<std::int64_t>& output_size);
// Each output the largest value of its window, as PyTorch's AdaptiveMaxPool2d.
Layer AdaptiveMaxPool2d(const std::vector<std::int64_t>& output_size);
// Zeros around, or rows and columns cut off, on every side; set("padding", ...) or set("cropping", ...) with
// [[top, bottom], [left, right]] for each side its own.
Layer ZeroPadding2d(std::int64_t padding);
// A border of `mode`: "reflect", "replicate", "circular" (or "zeros"), as PyTorch's ReflectionPad2d and the like.
Layer Padding2d(std::int64_t padding, const std::string& mode);
// Both ends of each sequence, (channels, length); set("data_format", "channels_last") for (length, channels).
Layer Padding1d(std::int64_t padding, const std::string& mode = "zeros");
Layer Cropping2d(std::int64_t cropping);
// Steps cut off the start and the end of each sample's first axis, as Keras's Cropping1D((start, end)).
Layer Cropping1d(std::int64_t start, std::int64_t end);
// Nearest upsampling by an integer factor; set("mode", "bilinear") interpolates.
Layer Upsample2d(std::int64_t scale_factor = 2);
// Sequences (channels, length) per sample; the poolings take set("data_format", "channels_last") for (length, channels).
Layer Conv1d(std::int64_t filters, std::int64_t kernel_size);
Layer ConvTranspose1d(std::int64_t filters, std::int64_t kernel_size);
// ShuffleNet's channel shuffle, PyTorch's ChannelShuffle: the channels of `groups` groups interleaved.
Layer ChannelShuffle(std::int64_t groups);
// A gated linear unit, PyTorch's GLU: a sigmoid(b) of the halves of axis dim (-1: the last; 1: the channels).
Layer Glu(std::int64_t dim = -1);
// A vector [F] repeated n times, [n, F], as Keras's RepeatVector (an LSTM autoencoder's decoder input).
Layer RepeatVector(std::int64_t n);
// Nearest upsampling of a sequence's length by an integer factor; set("mode", "linear") interpolates.
Layer Upsample1d(std::int64_t scale_factor = 2);
Layer MaxPool1d(std::int64_t pool_size = 2);
Layer AvgPool1d(std::int64_t pool_size = 2);
Layer GlobalAvgPool1d();
Layer GlobalMaxPool1d();
Layer Flatten();
// scale * x + offset, as Keras's Rescaling: Rescaling(1.0 / 255) makes pixels of 0 to 255 [0, 1] inside the model.
Layer Rescaling(double scale, double offset = 0.0);
// (x - mean) / sqrt(variance) per entry of the last axis, as Keras's Normalization; set("axis", 1) for the channels of
// images, set("axis", nullptr) for one mean and variance for the whole sample.
Layer Normalization(const std::vector<double>& mean, const std::vector<double>& variance);
// A sample's new sizes, one of them -1 (worked out).
Layer Reshape(const std::vector<std::int64_t>& shape);
// A sample's axes in a new order, numbered from 1 (Keras's Permute): Permute({2, 1}) swaps (steps, features).
Layer Permute(const std::vector<std::int64_t>& dims);
Layer BatchNorm();
Layer LayerNorm();
// Each block of a sample's last sizes normalised alone (PyTorch's normalized_shape): LayerNorm({64}) each step.
Layer LayerNorm(const std::vector<std::int64_t>& normalized_shape);
// Each such block divided by its root mean square, times a weight (PyTorch's RMSNorm).
Layer RmsNorm(const std::vector<std::int64_t>& normalized_shape);
// Each sample's channels normalised in num_groups groups (PyTorch's GroupNorm), or each channel alone.
Layer GroupNorm(std::int64_t num_groups);
Layer InstanceNorm();
Layer Dropout(double rate);
// Whole channels of (C, ...), or of (..., C) with set("data_format", "channels_last") (Keras's SpatialDropout1D).
Layer SpatialDropout(double rate);
// r² channels into r x r pixels, (C r², H, W) -> (C, H r, W r) (torch's PixelShuffle), and back (PixelUnshuffle).
Layer PixelShuffle(std::int64_t upscale_factor);
Layer PixelUnshuffle(std::int64_t downscale_factor);
// Whole samples of a residual branch (timm's DropPath), or the whole batch with set("mode", "batch").
Layer StochasticDepth(double rate);
// A sequence [steps, features] per sample; the last step's output, or every step's with set("return_sequences", true).
Layer LSTM(std::int64_t units);
Layer GRU(std::int64_t units);
Layer RNN(std::int64_t units);
// Token ids per sample (whole numbers in [0, input_dim)), each to its row of output_dim values.
Layer Embedding(std::int64_t input_dim, std::int64_t output_dim);
// Self-attention over a sequence [steps, features] (PyTorch's MultiheadAttention(x, x, x)); set("causal", true)
// lets each step see the steps up to itself alone; set("cross", true) with inputs({"queries", "memory"}) attends
// from one sequence's steps to another's.
Layer MultiHeadAttention(std::int64_t num_heads);
// A learned vector per position, added to the sequence.
Layer PositionEmbedding();
// The fixed sinusoidal encoding added to each position (set("max_wavelength", ...), 10000 by default).
Layer PositionalEncoding();
// Merge layers, reading the layers named.
Layer Add(const std::vector<std::string>& inputs);
Layer Subtract(const std::vector<std::string>& inputs);  // the first minus the second
Layer Average(const std::vector<std::string>& inputs);
Layer Multiply(const std::vector<std::string>& inputs);
Layer Concat(const std::vector<std::string>& inputs, std::int64_t axis = 0);

// A use of a block, a sub-graph used like a layer (a spec's "blocks"), with its parameters set() by their names and,
// for a block of several inputs, inputs() listing them: nn::Block("decoder").inputs({"target", "encoder"}).
Layer Block(const std::string& block);

// Layers in order; with name() and inputs() any graph a spec describes.
class Sequential {
 public:
  Sequential(std::initializer_list<Layer> layers) : layers_(layers) {}
  Sequential& add(const Layer& layer);
  // Defines the block that nn::Block(name) uses: an object as a spec writes one, or the file that holds one.
  Sequential& block(const std::string& name, Json definition);
  // The spec's "layers" array.
  Json json() const;
  // The spec's "blocks" object (empty where none is defined).
  const Json& blocks() const { return blocks_; }

 private:
  std::vector<Layer> layers_;
  Json blocks_ = Json::object();
};

// Optimizers, as torch.optim's. `lr` left unset for SGD is an error naming it, as PyTorch 1.13 requires it.
struct Sgd {
  std::optional<double> lr{};
  double momentum = 0.0, dampening = 0.0, weight_decay = 0.0;
  bool nesterov = false;
  operator Component() const;  // NOLINT: an Sgd is passed where a component is asked for
};
struct Adam {
  double lr = 1e-3;
  std::array<double, 2> betas{0.9, 0.999};
  double eps = 1e-8, weight_decay = 0.0;
  bool amsgrad = false;
  operator Component() const;  // NOLINT
};
struct AdamW {
  double lr = 1e-3;
  std::array<double, 2> betas{0.9, 0.999};
  double eps = 1e-8, weight_decay = 1e-2;
  bool amsgrad = false;
  operator Component() const;  // NOLINT
};

// torch.optim.NAdam as PyTorch 2 computes it, and torch.optim.Adamax.
struct NAdam {
  double lr = 2e-3;
  std::array<double, 2> betas{0.9, 0.999};
  double eps = 1e-8, weight_decay = 0.0, momentum_decay = 4e-3;
  operator Component() const;  // NOLINT
};
struct Adamax {
  double lr = 2e-3;
  std::array<double, 2> betas{0.9, 0.999};
  double eps = 1e-8, weight_decay = 0.0;
  operator Component() const;  // NOLINT
};
// Lion (Chen et al. 2023, Keras's Lion): the sign of an interpolated momentum, decoupled weight decay.
struct Lion {
  double lr = 1e-4;
  std::array<double, 2> betas{0.9, 0.99};
  double weight_decay = 0.0;
  operator Component() const;  // NOLINT
};
// LAMB (You et al. 2020, Keras's Lamb): Adam's direction scaled per parameter tensor by ||param|| / ||direction||.
struct Lamb {
  double lr = 1e-3;
  std::array<double, 2> betas{0.9, 0.999};
  double eps = 1e-6, weight_decay = 0.0;
  bool trust_ratio = true;
  operator Component() const;  // NOLINT
};
// LARS (You et al. 2017, timm's Lars): SGD on gradients scaled per parameter tensor by a trust ratio. lr is required.
struct Lars {
  std::optional<double> lr{};
  double momentum = 0.0, dampening = 0.0, weight_decay = 0.0;
  bool nesterov = false;
  double trust_coefficient = 1e-3, eps = 1e-8;
  bool trust_clip = false, always_adapt = false;
  operator Component() const;  // NOLINT
};
// Adafactor (Shazeer and Stern 2018, torch.optim.Adafactor): row and column means of g² for a matrix instead of Adam's
// full second moment, a step relative to each tensor's RMS. eps1 unset: the parameter dtype's machine epsilon.
struct Adafactor {
  double lr = 1e-2, beta2_decay = -0.8;
  std::optional<double> eps1{};
  double eps2 = 1e-3, d = 1.0, weight_decay = 0.0;
  operator Component() const;  // NOLINT
};
// Rprop (Riedmiller and Braun 1993, torch.optim.Rprop): a step size per weight, grown while its gradient keeps its
// sign and shrunk when it flips; for full-batch training.
struct Rprop {
  double lr = 1e-2;
  std::array<double, 2> etas{0.5, 1.2}, step_sizes{1e-6, 50.0};
  operator Component() const;  // NOLINT
};
// ASGD (Polyak and Juditsky 1992, torch.optim.ASGD): SGD with a decaying rate that keeps the average of the weights
// from step t0 on as state ("ax").
struct Asgd {
  double lr = 1e-2, lambd = 1e-4, alpha = 0.75, t0 = 1e6, weight_decay = 0.0;
  operator Component() const;  // NOLINT
};
// FTRL-Proximal (McMahan et al. 2013, Keras's Ftrl), for wide, sparse linear models: the L1 strength makes weights
// exactly 0.
struct Ftrl {
  double lr = 1e-3, learning_rate_power = -0.5, initial_accumulator_value = 0.1, l1_regularization_strength = 0.0,
         l2_regularization_strength = 0.0, l2_shrinkage_regularization_strength = 0.0, beta = 0.0;
  operator Component() const;  // NOLINT
};

// Initializers, as torch.nn.init's (Layer::init). A required value left unset is the plugin's error naming it.
struct Zeros {
  operator Component() const;  // NOLINT
};
struct Constant {
  std::optional<double> value{};
  operator Component() const;  // NOLINT
};
struct Normal {
  double mean = 0.0, std = 1.0;
  operator Component() const;  // NOLINT
};
struct Uniform {
  double a = 0.0, b = 1.0;
  operator Component() const;  // NOLINT
};
struct XavierUniform {
  double gain = 1.0;
  operator Component() const;  // NOLINT
};
struct XavierNormal {
  double gain = 1.0;
  operator Component() const;  // NOLINT
};
struct HeUniform {
  std::string mode = "fan_in";  // or "fan_out", "fan_avg"
  operator Component() const;  // NOLINT
};
struct HeNormal {
  std::string mode = "fan_in";
  operator Component() const;  // NOLINT
};

// Penalties (Layer::regularizer) and constraints (Layer::constraint), as Keras' regularizers and constraints.
struct L1 {
  std::optional<double> lambda{};
  operator Component() const;  // NOLINT
};
struct L2 {
  std::optional<double> lambda{};
  operator Component() const;  // NOLINT
};
struct ElasticNet {
  double l1 = 0.0, l2 = 0.0;
  operator Component() const;  // NOLINT
};
struct MaxNorm {
  double max_value = 2.0;
  operator Component() const;  // NOLINT
};
struct NonNeg {
  operator Component() const;  // NOLINT
};
struct UnitNorm {
  operator Component() const;  // NOLINT
};

// Learning-rate schedules (CompileArgs::schedule), as torch.optim.lr_scheduler's; counted in epochs.
struct StepLR {
  std::optional<std::int64_t> step_size{};
  double gamma = 0.1;
  operator Component() const;  // NOLINT
};
struct ExponentialLR {
  std::optional<double> gamma{};
  operator Component() const;  // NOLINT
};
struct CosineAnnealingLR {
  std::optional<std::int64_t> T_max{};  // NOLINT: PyTorch's name
  double eta_min = 0.0;
  operator Component() const;  // NOLINT
};
// torch's LinearLR from start_factor to end_factor over total_iters epochs ("epoch") or optimizer steps ("step").
struct LinearWarmup {
  double start_factor = 1.0 / 3.0, end_factor = 1.0;
  std::int64_t total_iters = 5;
  std::string per = "epoch";
  operator Component() const;  // NOLINT
};
struct PolynomialLR {
  std::int64_t total_iters = 5;
  double power = 1.0;
  operator Component() const;  // NOLINT
};
// torch's CosineAnnealingWarmRestarts (SGDR): cosine cycles of T_0 epochs, each T_mult times the last.
struct CosineAnnealingWarmRestarts {
  std::optional<std::int64_t> T_0{};  // NOLINT: PyTorch's name
  std::int64_t T_mult = 1;            // NOLINT: PyTorch's name
  double eta_min = 0.0;
  operator Component() const;  // NOLINT
};
struct MultiStepLR {
  std::vector<std::int64_t> milestones;
  double gamma = 0.1;
  operator Component() const;  // NOLINT
};
// torch's OneCycleLR over total_steps optimizer steps, up to max_lr (the optimizer's rate unless given) and down,
// with the optimizer's momentum (SGD's, RMSprop's, the Adams' beta1) moving against it unless cycle_momentum is false.
struct OneCycleLR {
  std::optional<std::int64_t> total_steps{};
  std::optional<double> max_lr{};
  double pct_start = 0.3;
  std::string anneal_strategy = "cos";
  double div_factor = 25.0, final_div_factor = 1e4;
  bool three_phase = false;
  bool cycle_momentum = true;
  double base_momentum = 0.85, max_momentum = 0.95;
  operator Component() const;  // NOLINT
};
// torch's CyclicLR, stepped every optimizer step: from base_lr (the optimizer's rate unless given) up to max_lr over
// step_size_up steps and back over step_size_down (step_size_up's unless given), the momentum moving against it.
struct CyclicLR {
  std::optional<double> max_lr{}, base_lr{};
  std::int64_t step_size_up = 2000;
  std::optional<std::int64_t> step_size_down{};
  std::string mode = "triangular";
  std::optional<double> gamma{};  // mode "exp_range"'s
  bool cycle_momentum = true;
  double base_momentum = 0.8, max_momentum = 0.9;
  operator Component() const;  // NOLINT
};
// torch's SequentialLR: the schedules one after another, each taking over at its milestone, each with its clock
// restarted there and counting epochs ("epoch") or optimizer steps ("step").
struct SequentialLR {
  std::vector<Component> schedules;
  std::vector<std::int64_t> milestones;
  std::string per = "epoch";
  operator Component() const;  // NOLINT
};

}  // namespace nnplug::nn
