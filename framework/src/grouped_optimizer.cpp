#include "nnplug/framework/grouped_optimizer.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "nnplug/framework/model.hpp"
#include "nnplug/framework/registry.hpp"

namespace nnplug {

namespace {
using Json = Params::Json;

std::vector<std::string> patterns_of(const Params& group) {
  if (!group.has("params")) group.fail("", "needs \"params\": the names of its parameters, as glob patterns (\"*.bias\")");
  Json given = group.json()["params"];
  if (given.is_string()) given = Json::array({given});
  std::vector<std::string> patterns;
  if (given.is_array())
    for (const auto& p : given)
      if (p.is_string() && !p.get<std::string>().empty()) patterns.push_back(p.get<std::string>());
  if (patterns.empty() || patterns.size() != given.size())
    group.fail("params", fmt::format("must be a name or a list of names (glob patterns such as \"*.bias\"), got {}", Params::shown(group.json()["params"])));
  return patterns;
}
}  // namespace

GroupedOptimizer::GroupedOptimizer(const Params& section, const Registry& registry) {
  Json common = section.json();
  const Json listed = common["param_groups"];
  common.erase("param_groups");
  if (!listed.is_array() || listed.empty())
    section.fail("param_groups", fmt::format("must be a list of groups, each {{\"params\": [names], ...}}, got {}", Params::shown(listed)));
  groups_.push_back({section.owner(), {}, registry.create_optimizer(Params(section.owner(), common)), 0.0, {}});
  for (std::size_t i = 0; i < listed.size(); ++i) {
    const Params group(fmt::format("{} param_groups[{}]", section.owner(), i), listed[i]);
    if (group.has("type") || group.has("param_groups"))
      group.fail(group.has("type") ? "type" : "param_groups", "is the optimizer's own: a group sets the optimizer's hyper-parameters only");
    Json merged = common;
    for (const auto& [key, value] : group.json().items())
      if (key != "params") merged[key] = value;
    groups_.push_back({group.owner(), patterns_of(group), registry.create_optimizer(Params(group.owner(), merged)), 0.0, {}});
  }
  for (Group& g : groups_) g.configured_lr = g.optimizer->learning_rate();
  if (groups_.front().configured_lr <= 0.0)
    section.fail("lr", "must be above 0 with param_groups: a schedule scales each group's rate by the ratio to it");
}

void GroupedOptimizer::name_parameters(const Model& model) {
  names_.clear();
  named_.clear();
  for (std::size_t i = 0; i < model.size(); ++i)
    for (Parameter* p : model.layer(i).parameters())
      if (p->trainable) names_.push_back(model.parameter_name(i, *p)), named_.push_back(p);
}

void GroupedOptimizer::attach(const std::vector<Parameter*>& parameters) {
  std::vector<std::vector<Parameter*>> members(groups_.size());
  for (Group& g : groups_) g.positions.clear();
  placed_.clear();
  std::vector<bool> pattern_used;
  for (std::size_t at = 0; at < parameters.size(); ++at) {
    const auto found = std::find(named_.begin(), named_.end(), parameters[at]);
    if (found == named_.end())
      throw Error(fmt::format("{}: parameter {} to attach is not a trainable parameter of the model its groups name", groups_.front().owner, at));
    const std::string& name = names_[static_cast<std::size_t>(found - named_.begin())];
    std::size_t chosen = 0;
    for (std::size_t g = 1; g < groups_.size(); ++g) {
      const auto& patterns = groups_[g].patterns;
      if (std::none_of(patterns.begin(), patterns.end(), [&](const std::string& p) { return fnmatch(p.c_str(), name.c_str(), 0) == 0; })) continue;
      if (chosen != 0)
        throw InvalidArgument(fmt::format("{} and {} both name parameter {}: a parameter belongs to one group", groups_[chosen].owner,
                                          groups_[g].owner, name));
      chosen = g;
    }
    placed_.emplace_back(chosen, members[chosen].size());
    members[chosen].push_back(parameters[at]);
    groups_[chosen].positions.push_back(at);
  }
  for (std::size_t g = 1; g < groups_.size(); ++g)
    for (const std::string& pattern : groups_[g].patterns)
      if (std::none_of(names_.begin(), names_.end(), [&](const std::string& n) { return fnmatch(pattern.c_str(), n.c_str(), 0) == 0; }))
        throw InvalidArgument(fmt::format("{}: \"{}\" names no trainable parameter; they are {}", groups_[g].owner, pattern, fmt::join(names_, ", ")));
  for (std::size_t g = 0; g < groups_.size(); ++g) groups_[g].optimizer->attach(members[g]);
}

void GroupedOptimizer::step() {
  for (Group& g : groups_) g.optimizer->step();
}

bool GroupedOptimizer::steps_in_parts() const {
  return std::all_of(groups_.begin(), groups_.end(), [](const Group& g) { return g.optimizer->steps_in_parts(); });
}

void GroupedOptimizer::begin_step() {
  for (Group& g : groups_) g.optimizer->begin_step();
}

void GroupedOptimizer::step_parameters(const std::vector<std::size_t>& positions) {
  std::vector<std::vector<std::size_t>> local(groups_.size());
  for (const std::size_t at : positions) {
    if (at >= placed_.size())
      throw InvalidArgument(fmt::format("{}: parameter {} to update, but {} are attached", groups_.front().owner, at, placed_.size()));
    local[placed_[at].first].push_back(placed_[at].second);
  }
  for (std::size_t g = 0; g < groups_.size(); ++g)
    if (!local[g].empty()) groups_[g].optimizer->step_parameters(local[g]);
}

void GroupedOptimizer::set_learning_rate(double lr) {
  const double factor = lr / groups_.front().configured_lr;
  for (Group& g : groups_) g.optimizer->set_learning_rate(g.configured_lr * factor);
}

bool GroupedOptimizer::set_momentum(double momentum) {
  bool all = true;
  for (Group& g : groups_) all = g.optimizer->set_momentum(momentum) && all;
  return all;
}

std::vector<std::pair<std::string, Tensor>> GroupedOptimizer::state() {
  std::vector<std::pair<std::string, Tensor>> out;
  for (std::size_t g = 0; g < groups_.size(); ++g)
    for (auto& [name, tensor] : groups_[g].optimizer->state()) {
      // "<local position>.<slot>" becomes "<attached position>.<slot>".
      const std::size_t dot = name.find('.');
      const bool positional = dot != std::string::npos && dot > 0 &&
                              std::all_of(name.begin(), name.begin() + static_cast<std::ptrdiff_t>(dot), [](unsigned char c) { return std::isdigit(c); });
      if (positional) {
        const auto local = static_cast<std::size_t>(std::stoull(name.substr(0, dot)));
        out.emplace_back(fmt::format("{}{}", groups_[g].positions.at(local), name.substr(dot)), tensor);
      } else {
        out.emplace_back(g == 0 ? name : fmt::format("param_groups.{}.{}", g - 1, name), tensor);
      }
    }
  return out;
}

void GroupedOptimizer::set_step_count(std::int64_t steps) {
  for (Group& g : groups_) g.optimizer->set_step_count(steps);
}

}  // namespace nnplug
