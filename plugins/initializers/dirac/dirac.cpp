// Initializer 'dirac' (torch.nn.init.dirac_): a convolution's weight [filters, channels / groups, k...] (conv1d,
// conv2d; rank 3 to 5) is the Dirac delta, 1 at the kernel's centre from channel d to filter d and 0 elsewhere, in
// each of `groups` groups (1) of filters, for d below min(filters / groups, channels / groups): a convolution so
// initialized, with padding "same" and as many filters as channels, passes its input through (DiracNets,
// Zagoruyko and Komodakis 2017). Extra filters are zeros.
#include <algorithm>

#include <fmt/format.h>

#include "nnplug/plugin.hpp"

namespace {
class Dirac final : public nnplug::Initializer {
 public:
  explicit Dirac(std::int64_t groups) : groups_(groups) {}
  std::string type() const override { return "dirac"; }
  void generate(std::span<double> values, const nnplug::InitTarget& t, nnplug::Random&) override {
    const nnplug::Shape& s = t.shape;
    if (s.rank() < 3 || s.rank() > 5)
      throw nnplug::InvalidArgument(fmt::format("dirac initializes a convolution's weight [filters, channels, k...] of 3 to 5 axes, as "
                                                "PyTorch's dirac_, got {}",
                                                s.str()));
    if (s[0] % groups_)
      throw nnplug::InvalidArgument(fmt::format("dirac: groups {} does not divide the weight {}'s {} filters", groups_, s.str(), s[0]));
    std::fill(values.begin(), values.end(), 0.0);
    std::int64_t kernel = 1, centre = 0;  // the kernel's values, and the offset of its centre
    for (int axis = 2; axis < s.rank(); ++axis) {
      centre = centre * s[axis] + s[axis] / 2;
      kernel *= s[axis];
    }
    const std::int64_t per_group = s[0] / groups_;
    for (std::int64_t g = 0; g < groups_; ++g)
      for (std::int64_t d = 0; d < std::min(per_group, s[1]); ++d)
        values[static_cast<std::size_t>(((g * per_group + d) * s[1] + d) * kernel + centre)] = 1.0;
  }

 private:
  std::int64_t groups_;
};
}  // namespace

NNPLUG_PLUGIN("dirac", "0.1.0", "initializer:dirac", 0) {
  registrar.add_initializer("dirac", [](const nnplug::Params& p) {
    const std::int64_t groups = p.integer("groups", 1, 1);
    p.check_unused();
    return std::make_unique<Dirac>(groups);
  });
}
