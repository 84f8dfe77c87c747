#pragma once
// Network: nnplug in a program. A model from a spec or from builders (builders.hpp), trained, scored, asked for
// predictions, saved and loaded through one object. It always holds the spec it is built from, so saving needs
// nothing else and loading gives the same model. Misuse (predicting before the model is built, training without
// a loss) is an Error that says what to call first.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nnplug/framework/builders.hpp"
#include "nnplug/framework/dataset.hpp"
#include "nnplug/framework/model.hpp"
#include "nnplug/framework/registry.hpp"
#include "nnplug/framework/spec.hpp"
#include "nnplug/framework/trainer.hpp"

namespace nnplug {

// The plugins of this process: loaded on the first call from `folders`, then the search path (NNPLUG_PLUGIN_PATH,
// the install's plugin folder). Later calls return the same registry (folders given then are an error); plugin
// code stays loaded until exit.
const Registry& load_plugins(const std::vector<std::filesystem::path>& folders = {});

// Where and how a network computes (Keras' compile arguments beyond loss and optimizer).
struct CompileArgs {
  std::string backend{};  // a plugin name or JSON object ("cuda", '{"type": "cpu"}'); empty: the best usable one
  DType dtype = DType::Float32;
  std::uint64_t seed = 0;  // initial weights, batch order, dropout masks
  // The learning rate before every step, e.g. {"cosine", {{"T_max", 20}}}, and what transforms the gradients
  // before every step ("clip_norm", ...); unset, a spec's own stay.
  std::optional<nn::Component> schedule{};
  std::vector<nn::Component> gradient_transforms{};
};

// Unset values come from the spec's "training" section (else 1 epoch, batches of 32, shuffled). The spec's
// schedule, gradient transforms, augmentation and callbacks apply too.
struct FitArgs {
  std::optional<int> epochs{};
  // Keras's initial_epoch: the epochs a fit before this one trained, so that this one goes on from the next to `epochs`
  // as one fit would (its shuffles, the schedule's steps, the epochs' numbers).
  std::optional<int> initial_epoch{};
  std::optional<std::int64_t> batch_size{};
  std::optional<bool> shuffle{};
  const Dataset* validation = nullptr;
  bool progress = true;  // a progress bar on a terminal
  // After each epoch, in order; one that returns false stops training (Keras' callbacks, as C++ callables).
  std::vector<std::function<bool(const EpochRecord&)>> callbacks{};
  // After each optimizer step; one that returns false stops training there (a Ctrl-C, a time limit).
  std::vector<std::function<bool(const BatchRecord&)>> batch_callbacks{};
  // nnplug's own callbacks as a spec's "callbacks" names them: {"early_stopping", {{"patience", 3}}}, "ema",
  // {"checkpoint", {{"path", "best.safetensors"}, {"best_only", true}}}, ... They run before the callables.
  std::vector<nn::Component> builtin_callbacks{};
  // An optimizer step every this many batches, of their samples' mean loss (FitOptions::gradient_accumulation_steps).
  std::optional<std::int64_t> gradient_accumulation_steps{};
  // Above 0: every sample blended with another, targets too (FitOptions::mixup_alpha, cutmix_alpha); with class
  // labels, the loss must take probabilities.
  std::optional<double> mixup_alpha{}, cutmix_alpha{};
  // Each epoch's samples drawn by class weights, as the spec's training.sampler: "balanced", or {"weights": [...],
  // "num_samples": 60000, "replacement": true} (class_sampler.hpp).
  std::optional<Params::Json> sampler{};
  // Each training batch transformed on the fly, as the spec's "augmentation": {"horizontal_flip": true, "rotation": 10}.
  std::optional<Params::Json> augmentation{};
  // Keras's sample_weight and class_weight: each training sample's loss gradient times its weight (loss_weighting.hpp).
  LossWeighting loss_weighting{};
};

// Rows of `columns` values, one row per sample; for a model that scores a class per step (step_labels.hpp), one row
// per step of each sample.
struct Predictions {
  std::vector<float> values{};
  std::int64_t rows = 0, columns = 0;
  float at(std::int64_t row, std::int64_t column) const { return values[static_cast<std::size_t>(row * columns + column)]; }
};

class Network {
 public:
  // The spec's layers, and its loss, optimizer, backend, dtype and seed where it gives them.
  static Network from_spec(const Spec& spec, const Registry& registry = load_plugins());
  static Network from_file(const std::filesystem::path& spec_file, const Registry& registry = load_plugins());
  // A model nnplug saved (Network::save, `nnplug train --save`), built and ready to predict; its loss and
  // optimizer too when its spec names them.
  static Network load(const std::filesystem::path& model_file, const Registry& registry = load_plugins());
  // Layers from builders; compile() gives the loss and optimizer.
  explicit Network(const nn::Sequential& layers, const Registry& registry = load_plugins());

  // The optimizer, the loss and where to compute; each is checked now.
  Network& compile(const nn::Component& optimizer, const nn::Component& loss, const CompileArgs& args = {});
  // Shape inference and initial weights for samples of this shape; fit() builds from its data when needed.
  Network& build(const Shape& sample_shape);

  std::vector<EpochRecord> fit(const Dataset& train, const FitArgs& args = {});
  Scores evaluate(const Dataset& data, std::int64_t batch_size = 256);
  // Class probabilities (through the loss' output link: softmax, sigmoid), class scores (a hinge loss's outputs; a
  // margin m's -m and m) or, with logits or under an identity link (a regression's loss: mse, mae, huber), the raw
  // outputs.
  Predictions predict(const Dataset& data, bool logits = false, std::int64_t batch_size = 256);
  // The most probable class of every sample (or step); refused for a model trained on values (a regression,
  // multi-label), which are no classes, except one label of 0 or 1 under a sigmoid.
  std::vector<std::int32_t> predict_classes(const Dataset& data, std::int64_t batch_size = 256);
  // Gathers batch norm's running statistics again over `data` for the weights the model holds now, after weights
  // averaged by hand (load_state_dict): PyTorch's swa_utils.update_bn (Trainer::recompute_statistics).
  void update_bn(const Dataset& data, std::int64_t batch_size = 256);
  // A safetensors file that load(), `nnplug evaluate` and PyTorch (by parameter name) read.
  void save(const std::filesystem::path& path) const;

  // The spec it is built from: the builders' JSON, or the file's.
  const Spec& spec() const { return spec_; }
  // The compiled loss (null before compile()): whether it takes class labels or values decides how fit() reads y.
  const Loss* loss() const { return loss_.get(); }
  bool built() const { return model_ != nullptr; }
  Model& model() const;
  std::string summary() const { return model().summary(); }

 private:
  Network(Spec spec, const Registry& registry);
  void read_compile_sections();
  const Dataset& build_for(const Dataset& train, Dataset& converted);
  // The trainer of the built model, made once loss and optimizer are known.
  Trainer& trainer();
  // The data as the network takes it, in its dtype (and through a loaded model's preprocessing): itself, or
  // converted into `converted`. Throws for samples of another shape, and for a NaN or an infinity among them,
  // naming `call` ("fit").
  const Dataset& as_input(const Dataset& data, Dataset& converted, const char* call) const;
  const Dataset& preprocessed(const Dataset& data, Dataset& converted, const char* call) const;

  Spec spec_;
  const Registry* registry_;
  std::shared_ptr<Backend> backend_;
  DType dtype_ = DType::Float32;
  std::uint64_t seed_ = 0;
  std::shared_ptr<Loss> loss_;
  std::shared_ptr<Optimizer> optimizer_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<Trainer> trainer_;
};

}  // namespace nnplug
