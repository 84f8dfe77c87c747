#pragma once
// Initializer: draws the initial values of a parameter on the host, from the seeded generator. The host uploads
// them to the backend, so a seed gives the same model on every backend.
#include <cstdint>
#include <span>
#include <string>

#include "nnplug/export.hpp"
#include "nnplug/random.hpp"
#include "nnplug/shape.hpp"

namespace nnplug {

// The parameter being initialised. For a dense weight [out, in]: fan_in = in, fan_out = out.
struct InitTarget {
  Shape shape;
  std::int64_t fan_in = 1, fan_out = 1;
};

class NNPLUG_API Initializer {
 public:
  virtual ~Initializer() = default;
  virtual std::string type() const = 0;
  // Fills values (shape.numel() of them, row-major) for the target.
  virtual void generate(std::span<double> values, const InitTarget& target, Random& random) = 0;
};

}  // namespace nnplug
