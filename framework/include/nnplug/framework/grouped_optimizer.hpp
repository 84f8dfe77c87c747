#pragma once
// Parameter groups (torch.optim's param_groups; Keras's exclude_from_weight_decay): an optimizer section may list
// "param_groups", each naming parameters by glob patterns over their PyTorch names ("*.bias", "layer1.*",
// "0.weight") and giving hyper-parameters of its own over the section's, as a lower rate for pretrained layers or no
// weight decay on biases and norms. The parameters that no group names form the first group, with the section's
// own. One optimizer of the section's type steps each group, and a schedule scales every group's rate by the same
// factor, as PyTorch's schedulers do. It combines plugin objects, so the registry builds it
// (Registry::create_optimizer) rather than a plugin.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nnplug/optimizer.hpp"
#include "nnplug/params.hpp"

namespace nnplug {

class Model;
class Registry;

class GroupedOptimizer final : public Optimizer {
 public:
  // `section`: the optimizer's, with its "param_groups"; every group's optimizer is made (and its fields checked) now.
  GroupedOptimizer(const Params& section, const Registry& registry);
  // The model whose parameter names the groups' patterns match: before attach(), which the trainer calls.
  void name_parameters(const Model& model);

  std::string type() const override { return groups_.front().optimizer->type(); }
  // Each parameter goes to the group that names it, the others to the first; a pattern that names no trainable
  // parameter, or a parameter that two groups name, is refused with the names.
  void attach(const std::vector<Parameter*>& parameters) override;
  void step() override;
  bool steps_in_parts() const override;
  void begin_step() override;
  void step_parameters(const std::vector<std::size_t>& positions) override;
  // The first group's rate; setting it scales every group's configured rate by the same factor.
  double learning_rate() const override { return groups_.front().optimizer->learning_rate(); }
  void set_learning_rate(double lr) override;
  bool set_momentum(double momentum) override;
  // The groups' state under the names one optimizer of all the parameters gives it ("<position>.exp_avg"); state
  // of a whole group's own (NAdam's mu_product) under "param_groups.<i>." for the section's group i.
  std::vector<std::pair<std::string, Tensor>> state() override;
  std::int64_t step_count() const override { return groups_.front().optimizer->step_count(); }
  void set_step_count(std::int64_t steps) override;

 private:
  struct Group {
    std::string owner;                     // for messages: "spec.json: optimizer param_groups[1]"
    std::vector<std::string> patterns;     // empty for the first group: every parameter no other group names
    std::shared_ptr<Optimizer> optimizer;
    double configured_lr = 0.0;
    std::vector<std::size_t> positions;    // its parameters' positions in the list attach() was given
  };
  std::vector<Group> groups_;
  std::vector<std::string> names_;                               // the model's trainable parameters' names, in order
  std::vector<Parameter*> named_;                                // ... and the parameters they name
  std::vector<std::pair<std::size_t, std::size_t>> placed_;      // per attached position: its group and place in it
};

}  // namespace nnplug
