#pragma once
// Variance scaling: values with variance scale / fan, the rule behind Xavier/Glorot, He/Kaiming and LeCun.
// fan is fan_in, fan_out or their mean (mode); the distribution is
//   "normal"            N(0, scale / fan)
//   "uniform"           U(-a, a) with a = sqrt(3 scale / fan)
//   "truncated_normal"  a normal cut at 2 standard deviations, widened by 1/0.87962566 so that the variance is
//                       still scale / fan (Keras' VarianceScaling)
#include <cmath>
#include <span>
#include <string>

#include <fmt/format.h>

#include "nnplug/initializer.hpp"
#include "nnplug/params.hpp"

namespace nnplug {

struct VarianceScaling {
  double scale = 1.0;
  std::string mode = "fan_in";          // fan_in, fan_out, fan_avg
  std::string distribution = "normal";  // normal, uniform, truncated_normal

  // Reads and checks `mode` and `distribution` (the caller reads `scale` where the plugin has one).
  static VarianceScaling read(const Params& p, VarianceScaling defaults) {
    defaults.mode = p.string("mode", defaults.mode);
    if (defaults.mode != "fan_in" && defaults.mode != "fan_out" && defaults.mode != "fan_avg")
      p.fail("mode", fmt::format("must be \"fan_in\", \"fan_out\" or \"fan_avg\", got \"{}\"", defaults.mode));
    defaults.distribution = p.string("distribution", defaults.distribution);
    if (defaults.distribution != "normal" && defaults.distribution != "uniform" &&
        defaults.distribution != "truncated_normal")
      p.fail("distribution", fmt::format("must be \"normal\", \"uniform\" or \"truncated_normal\", got \"{}\"", defaults.distribution));
    return defaults;
  }

  double variance(const InitTarget& t) const {
    const double fan = mode == "fan_in"    ? static_cast<double>(t.fan_in)
                       : mode == "fan_out" ? static_cast<double>(t.fan_out)
                                           : 0.5 * static_cast<double>(t.fan_in + t.fan_out);
    return scale / fan;
  }

  void generate(std::span<double> values, const InitTarget& t, Random& random) const {
    const double std = std::sqrt(variance(t));
    if (distribution == "uniform") {
      const double a = std::sqrt(3.0) * std;
      for (double& v : values) v = random.uniform(-a, a);
    } else if (distribution == "normal") {
      for (double& v : values) v = random.normal(0.0, std);
    } else {
      // 0.87962566103423978 is the standard deviation of N(0, 1) truncated to [-2, 2].
      const double wide = std / 0.87962566103423978;
      for (double& v : values) {
        double z;
        do z = random.normal(); while (std::abs(z) > 2.0);
        v = wide * z;
      }
    }
  }
};

// The initializer a VarianceScaling describes, under a plugin's name.
class VarianceScalingInitializer final : public Initializer {
 public:
  VarianceScalingInitializer(std::string name, VarianceScaling rule) : name_(std::move(name)), rule_(std::move(rule)) {}
  std::string type() const override { return name_; }
  void generate(std::span<double> values, const InitTarget& target, Random& random) override {
    rule_.generate(values, target, random);
  }

 private:
  std::string name_;
  VarianceScaling rule_;
};

}  // namespace nnplug
