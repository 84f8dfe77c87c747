#pragma once
// Loss: a scalar objective of the model's output and the targets, reduced as the mean over the batch.
#include <cstdint>
#include <string>

#include "nnplug/backend.hpp"
#include "nnplug/export.hpp"

namespace nnplug {

// How a loss wants its targets: class indices (int32, shape (N)) or values shaped like the prediction.
// When the data holds class labels and the loss wants values, the trainer one-hot encodes them.
enum class TargetKind { ClassIndex, Values };

// What turns the model's raw outputs into class probabilities, for predict, ensembles and metrics: a loss that
// applies softmax or the logistic sigmoid to the outputs itself (PyTorch's CrossEntropyLoss, BCEWithLogitsLoss)
// trains a model whose outputs are logits. Sign: the outputs are margins whose sign is the decision (the perceptron
// criterion, the attribute hinge: class 1, or a label's 1, where an output is positive), with no probability
// behind them; their value targets may be -1 and +1 as well as 0 and 1. Under Identity
// an output is the prediction itself (a regression, or a 0 or 1 label regressed on: class 1 above one half).
// Scores: one score per class, the highest naming the class, with no probability behind them (the multiclass SVM's
// hinge losses); predict shows them as scores, and their value targets are class rows (one-hot) scored by accuracy.
enum class OutputLink { Identity, Softmax, Sigmoid, Sign, Scores };

class NNPLUG_API Loss {
 public:
  virtual ~Loss() = default;
  virtual std::string type() const = 0;
  virtual TargetKind target_kind() const = 0;
  // Throws ShapeError when the model's per-sample output cannot be scored against labels below num_classes.
  virtual void check(const Shape& prediction, std::int64_t num_classes) const { (void)prediction, (void)num_classes; }
  // loss: (1) receives the mean loss; dprediction, when defined, receives dloss/dprediction.
  virtual void compute(const Tensor& prediction, const Tensor& target, const Tensor& loss,
                       const Tensor& dprediction) = 0;
  virtual OutputLink output_link() const { return OutputLink::Identity; }
};

}  // namespace nnplug
