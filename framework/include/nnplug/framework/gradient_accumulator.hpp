#pragma once
// GradientAccumulator: gradient accumulation (training.gradient_accumulation_steps, as Keras's optimizer argument and
// Hugging Face's and Lightning's trainers have it). An update's batches run forward and backward one at a time, so
// that memory holds one batch's activations; each batch's loss gradient is weighed by its share of the update's
// samples, and backward writes (does not add) every parameter's grad, so the sum over the batches is kept here and
// added to the last batch's gradients before the update: k batches of B samples make the update one batch of k B
// would (batch norm apart, which normalises each batch by its own statistics, as in PyTorch and Keras).
#include <cstddef>
#include <vector>

#include "nnplug/framework/model.hpp"

namespace nnplug {

class GradientAccumulator {
 public:
  explicit GradientAccumulator(Model& model);

  // After a batch's backward: the sums take every trainable parameter's grad (start: the update's first batch
  // with samples on this rank, whose gradients replace what an earlier update left), else add it.
  void add(bool start);
  // Adds the sums to node i's parameter gradients, as backward writes them (the update's last batch).
  void add_to_gradients(std::size_t node);
  void add_to_gradients();
  // Makes every parameter gradient the sums: a rank whose last batch of the update has no samples.
  void copy_to_gradients();

 private:
  Model& model_;
  struct Sum {
    Parameter* parameter;
    Tensor sum;
  };
  std::vector<std::vector<Sum>> sums_;  // per node, of its trainable parameters
};

}  // namespace nnplug
