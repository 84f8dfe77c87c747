#pragma once
// Lookahead (Zhang, Lucas, Hinton and Ba, "Lookahead Optimizer: k steps forward, 1 step back", NeurIPS 2019;
// Ranger is RAdam under it): the optimizer's weights (the fast ones) take k steps, then the slow weights move alpha
// of the way to them, slow += alpha (fast - slow), and the fast weights start again from there. It wraps whichever
// optimizer the spec names, its state kept as it is (the paper's default). When training ends the model takes the
// slow weights, as the paper's algorithm returns them, after a last move towards the fast weights where steps were
// taken since the last one. Validation during training sees the fast weights, as Keras's (TensorFlow Addons')
// Lookahead leaves them in the model.
#include <cstdint>

#include "nnplug/framework/callbacks.hpp"

namespace nnplug {

class Lookahead final : public Callback {
 public:
  Lookahead(std::int64_t k, double alpha);
  void on_train_begin(Model& model, const Dataset& train) override;
  bool on_batch_end(const BatchRecord& record, Model& model) override;
  void on_train_end(Model& model) override;
  std::string state_kind() const override;
  CallbackState state() const override;
  void restore_state(const CallbackState& state, Model& model) override;

 private:
  // slow += alpha (fast - slow); fast = slow.
  void synchronize(Model& model);

  std::int64_t k_;
  double alpha_;
  std::int64_t steps_since_ = 0;  // the fast weights' steps since they last started from the slow ones
  ParameterCopies slow_;
};

}  // namespace nnplug
