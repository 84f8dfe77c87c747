#pragma once
// The chapter's sanity checks before learning (seed 001, "Sanity checks", L868-891):
// - the initial loss: an untrained model should score about what outputs at chance score, the loss of all-zero
//   parameters (the softmax's ln C, 2.302 for 10 classes; the multiclass SVM's C - 1), with regularization off;
//   far from it, the initialization or the inputs' scale is likely broken;
// - the loss rises with the regularization strength (the chapter's second check): a penalty that lowers the loss,
//   or adds nothing to it, is wired wrong;
// - overfitting a tiny subset (20 samples) to 100 % training accuracy, or to a loss near 0 for value targets, with
//   regularization, augmentation and callbacks off: unless it passes, the full data set is not worth training on.
#include <cstdint>

#include "nnplug/framework/experiment.hpp"

namespace nnplug {

struct InitialLossCheck {
  std::int64_t samples = 0;  // the first training samples it was measured on
  double loss = 0.0;         // of the model as the spec initializes it
  double chance = 0.0;       // of the same model with every parameter 0: its outputs at chance
  // Within a quarter of chance (the chapter expects 2.302 with weights small enough; the usual initializers give a
  // little more, an unscaled input or a broken initializer several times more).
  bool as_expected() const { return loss <= 1.25 * chance && loss >= 0.75 * chance; }
};

// Measured on `ex`'s first `samples` training samples; ex's model keeps its parameters.
InitialLossCheck check_initial_loss(Experiment& ex, std::int64_t samples = 1024);

struct RegularizationCheck {
  static constexpr double kStrengths[3] = {0.0, 1.0, 10.0};
  bool applies = false;     // whether the spec puts a penalty on a parameter
  double losses[3] = {};    // the data loss plus the parameter penalties at each of kStrengths times the spec's
  bool rises() const { return losses[0] < losses[1] && losses[1] < losses[2]; }
};

// Measured on `ex`'s first `samples` training samples, with the model as the spec initializes it (regularizers
// included). Activity penalties, which depend on a training batch, are left out; so is the optimizer's
// weight_decay, which acts in the step and adds nothing to the loss.
RegularizationCheck check_regularization(Experiment& ex, std::int64_t samples = 1024);

struct OverfitCheck {
  std::int64_t samples = 0;
  int epochs = 0;      // trained, full batch, until it passed or max_epochs
  Scores first, last;  // on the subset, before and after
  bool passed = false;
};

// Trains a fresh model of `spec` (without its regularization: without_regularization) on `data`'s first `samples`
// training samples, full batch, until they are all classified right (accuracy 1) or, for value targets, the loss
// is below a hundredth of where it began.
OverfitCheck check_overfit(const Spec& spec, const Registry& registry, const Experiment& data, const Overrides& overrides,
                           std::int64_t samples = 20, int max_epochs = 2000);

// The spec without what keeps a model from fitting its training data exactly: every "*_regularizer" of its layers
// and of its blocks (those in files of their own are read into it), the optimizer's weight_decay, augmentation and
// callbacks. Dropout stays: it is a layer of the model.
Spec without_regularization(Spec spec);

}  // namespace nnplug
