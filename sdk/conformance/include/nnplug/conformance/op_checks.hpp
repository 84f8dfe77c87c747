#pragma once
// The checks of an op a plugin defines (custom_op.hpp), what `nnplug plugin-check` runs for each "op:NAME":
//   - every kernel against the op's reference (its composite, else its host reference) on random inputs, in each
//     of the op's dtypes, within the op's tolerance; a native kernel for a backend not usable here is skipped with
//     the reason; the reference too, in its other dtypes (a composite in float32 against itself in float64);
//   - the composite against the host reference, when the op has both;
//   - the op's gradient op against centred differences of sum(r * op(x)) in float64, as for every layer.
#include <vector>

#include "nnplug/conformance/gradient_check.hpp"
#include "nnplug/framework/registry.hpp"

namespace nnplug::conformance {

std::vector<CheckResult> check_op(const Registry& registry, const std::shared_ptr<const OpDefinition>& op);

}  // namespace nnplug::conformance
