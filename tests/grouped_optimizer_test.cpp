// Parameter groups (optimizer "param_groups"): each group's hyper-parameters over the section's, checked against
// SGD steps computed here from gradients set by hand; the schedule's factor on every group's rate; a checkpoint of
// grouped Adam resuming exactly; and the refusals, which name the group, the pattern and the parameters.
#include <gtest/gtest.h>

#include <cmath>

#include "nnplug/framework/experiment.hpp"
#include "nnplug/framework/grouped_optimizer.hpp"
#include "nnplug/framework/model_file.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

using Json = Params::Json;

Json spec_with(const Json& optimizer) {
  Json spec = Json::parse(R"({
    "seed": 5, "dtype": "float64",
    "data": {"format": "gaussian_blobs", "samples": 60, "features": 4, "centers": 3},
    "layers": [{"type": "dense", "units": 5, "activation": "tanh"}, {"type": "dense", "units": 3}],
    "loss": "softmax_cross_entropy",
    "training": {"epochs": 2, "batch_size": 16}
  })");
  spec["optimizer"] = optimizer;
  return spec;
}

Experiment experiment(const Json& spec) { return build_experiment(parse_spec(spec.dump(), "groups.json"), registry()); }

// SGD at 0.1 with weight decay 0.01, and biases at 0.5 without: w - lr (g + wd w) and b - lr g, as torch.optim.SGD.
// A schedule's halving of the rate halves both groups'.
TEST(GroupedOptimizer, EachGroupStepsWithItsOwnHyperParameters) {
  Experiment ex = experiment(spec_with(Json::parse(R"({"type": "sgd", "lr": 0.1, "weight_decay": 0.01,
      "param_groups": [{"params": "*.bias", "lr": 0.5, "weight_decay": 0}]})")));
  Trainer trainer(*ex.model, ex.loss, ex.optimizer);  // attaches
  const auto params = ex.model->parameters(true);
  ASSERT_EQ(params.size(), 4u);
  std::vector<std::vector<double>> values, grads;
  for (std::size_t i = 0; i < params.size(); ++i) {
    values.push_back(to_host<double>(params[i]->value));
    std::vector<double> g(values[i].size());
    for (std::size_t k = 0; k < g.size(); ++k) g[k] = std::sin(static_cast<double>(7 * i + k));
    from_host(params[i]->grad, g);
    grads.push_back(g);
  }
  for (const double lr : {0.1, 0.05}) {
    ex.optimizer->set_learning_rate(lr);
    EXPECT_EQ(ex.optimizer->learning_rate(), lr);
    ex.optimizer->step();
    for (std::size_t i = 0; i < params.size(); ++i) {
      const bool bias = params[i]->name == "bias";
      const auto now = to_host<double>(params[i]->value);
      for (std::size_t k = 0; k < now.size(); ++k) {
        values[i][k] -= bias ? lr * 5.0 * grads[i][k] : lr * (grads[i][k] + 0.01 * values[i][k]);
        ASSERT_NEAR(now[k], values[i][k], 1e-15) << params[i]->name << " " << i << " element " << k << " at lr " << lr;
      }
    }
  }
}

// Data-parallel training updates each bucket as soon as it is reduced (step_parameters): the same as step().
TEST(GroupedOptimizer, StepsInPartsAsInOne) {
  const Json spec = spec_with(Json::parse(R"({"type": "adam", "lr": 0.01, "weight_decay": 0.001,
      "param_groups": [{"params": ["*.bias"], "weight_decay": 0}, {"params": "2.weight", "lr": 0.003}]})"));
  std::vector<std::vector<double>> whole, parts;
  for (const bool in_parts : {false, true}) {
    Experiment ex = experiment(spec);
    Trainer trainer(*ex.model, ex.loss, ex.optimizer);
    ASSERT_TRUE(ex.optimizer->steps_in_parts());
    for (Parameter* p : ex.model->parameters(true)) ex.model->backend().run(op::Fill{p->grad, 0.25});
    for (int step = 0; step < 3; ++step) {
      if (!in_parts) {
        ex.optimizer->step();
        continue;
      }
      ex.optimizer->begin_step();
      for (const std::size_t at : {3, 1, 2, 0}) ex.optimizer->step_parameters({at});
    }
    for (Parameter* p : ex.model->parameters(true)) (in_parts ? parts : whole).push_back(to_host<double>(p->value));
  }
  EXPECT_EQ(whole, parts);
}

// The state keeps the names one optimizer of every parameter gives it, so that a checkpoint names each moment by its
// parameter's position; a run resumed from it ends with the weights of the run uninterrupted.
class GroupedOptimizerCheckpoint : public ScratchFolderTest {
 protected:
  GroupedOptimizerCheckpoint() : ScratchFolderTest("grouped_optimizer") {}
};

TEST_F(GroupedOptimizerCheckpoint, AResumedRunEndsWithTheWeightsOfTheRunUninterrupted) {
  const Json adam = Json::parse(R"({"type": "nadam", "lr": 0.01})");
  Json grouped = adam;
  grouped["param_groups"] = Json::parse(R"([{"params": "0.*", "lr": 0.002}])");
  std::vector<std::string> plain_names, grouped_names;
  for (auto& [optimizer, names] : {std::pair{adam, &plain_names}, std::pair{grouped, &grouped_names}}) {
    Experiment ex = experiment(spec_with(optimizer));
    Trainer trainer(*ex.model, ex.loss, ex.optimizer);
    for (const auto& [name, tensor] : ex.optimizer->state()) names->push_back(name);
    std::sort(names->begin(), names->end());
  }
  grouped_names.erase(std::find(grouped_names.begin(), grouped_names.end(), "param_groups.0.mu_product"));
  EXPECT_EQ(plain_names, grouped_names);

  Json spec = spec_with(grouped);
  spec["training"]["epochs"] = 4;
  spec["schedule"] = {{"type", "inverse_time"}, {"decay", 0.1}};
  spec["callbacks"] = Json::array({{{"type", "checkpoint"}, {"path", (dir_ / "ckpt-{epoch}.safetensors").string()}}});
  Experiment straight = experiment(spec);
  straight.fit.progress = false;
  Trainer(*straight.model, straight.loss, straight.optimizer).fit(straight.train, nullptr, straight.fit);

  Experiment resumed = experiment(spec);
  resumed.fit.progress = false;
  Trainer trainer(*resumed.model, resumed.loss, resumed.optimizer);
  resumed.fit.initial_epoch = restore_checkpoint(dir_ / "ckpt-2.safetensors", parse_spec(spec.dump(), "groups.json"), *resumed.model,
                                                 *resumed.optimizer).epoch;
  ASSERT_EQ(resumed.fit.initial_epoch, 2);
  trainer.fit(resumed.train, nullptr, resumed.fit);
  const auto a = straight.model->parameters(false), b = resumed.model->parameters(false);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(to_host<double>(a[i]->value), to_host<double>(b[i]->value)) << i;
}

TEST(GroupedOptimizer, BadGroupsAreRefusedWithTheirNames) {
  const auto error = [](const char* optimizer) {
    return error_of([&] {
      Experiment ex = experiment(spec_with(Json::parse(optimizer)));
      Trainer trainer(*ex.model, ex.loss, ex.optimizer);
    });
  };
  EXPECT_EQ(error(R"({"type": "sgd", "lr": 0.1, "param_groups": [{"params": "*.bais", "lr": 0.5}]})"),
            "groups.json: optimizer param_groups[0]: \"*.bais\" names no trainable parameter; they are 0.weight, 0.bias, 2.weight, 2.bias");
  EXPECT_EQ(error(R"({"type": "sgd", "lr": 0.1, "param_groups": [{"params": "*.bias"}, {"params": ["2.*"]}]})"),
            "groups.json: optimizer param_groups[0] and groups.json: optimizer param_groups[1] both name parameter 2.bias: a parameter "
            "belongs to one group");
  EXPECT_NE(error(R"({"type": "sgd", "lr": 0.1, "param_groups": [{"params": "*.bias", "momentun": 0.9}]})")
                .find("groups.json: optimizer param_groups[0]: unknown parameter 'momentun'"),
            std::string::npos);
  EXPECT_EQ(error(R"({"type": "sgd", "lr": 0.1, "param_groups": [{"params": "*.bias", "type": "adam"}]})"),
            "groups.json: optimizer param_groups[0]: parameter 'type' is the optimizer's own: a group sets the optimizer's hyper-parameters only");
  EXPECT_EQ(error(R"({"type": "sgd", "lr": 0.1, "param_groups": [{"lr": 0.5}]})"),
            "groups.json: optimizer param_groups[0] needs \"params\": the names of its parameters, as glob patterns (\"*.bias\")");
  EXPECT_EQ(error(R"({"type": "sgd", "lr": 0.1, "param_groups": [{"params": []}]})"),
            "groups.json: optimizer param_groups[0]: parameter 'params' must be a name or a list of names (glob patterns such as \"*.bias\"), got []");
  EXPECT_EQ(error(R"({"type": "sgd", "lr": 0.1, "param_groups": {}})"),
            "groups.json: optimizer: parameter 'param_groups' must be a list of groups, each {\"params\": [names], ...}, got {}");
  EXPECT_EQ(error(R"({"type": "sgd", "lr": 0, "param_groups": [{"params": "*.bias", "lr": 0.5}]})"),
            "groups.json: optimizer: parameter 'lr' must be above 0 with param_groups: a schedule scales each group's rate by the ratio to it");
}

}  // namespace
}  // namespace nnplug::test
