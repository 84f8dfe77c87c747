#pragma once
// Conformance checks of optimizers, initializers and backends, as plain functions returning a verdict (the
// GoogleTest suites and `nnplug plugin-check` call them).
#include <functional>
#include <memory>
#include <vector>

#include "nnplug/communicator.hpp"
#include "nnplug/conformance/gradient_check.hpp"
#include "nnplug/initializer.hpp"
#include "nnplug/optimizer.hpp"

namespace nnplug::conformance {

// Makes a fresh optimizer of the kind under test (each check needs its own).
using OptimizerFactory = std::function<std::shared_ptr<Optimizer>()>;

// A zero gradient leaves the weights exactly where they are (no weight decay in the spec).
CheckResult check_optimizer_zero_gradient(const OptimizerFactory& make, Backend& backend);
// On f(w) = |w - c|^2 / 2 the distance to c falls below a tenth of the start within `max_steps`.
CheckResult check_optimizer_converges_on_quadratic(const OptimizerFactory& make, Backend& backend, int max_steps = 5000);
// Saving the state (state() tensors and step_count()) after some steps and restoring it replays the following
// steps bit for bit: what a checkpoint relies on.
CheckResult check_optimizer_state_round_trip(const OptimizerFactory& make, Backend& backend);
// An optimizer that says it steps in parts (Optimizer::steps_in_parts) gives, bit for bit, the values of whole
// steps when each step updates its parameters one at a time, last first: what data-parallel training relies on.
CheckResult check_optimizer_steps_in_parts(const OptimizerFactory& make, Backend& backend);

// The same seed gives the same values; the values are finite. The detail reports their mean and std for a
// 100 x 100 weight (fan_in = fan_out = 100).
CheckResult check_initializer_determinism(Initializer& initializer);
// The mean and std of a 100 x 100 weight are within tolerance of what the author expects.
CheckResult check_initializer_statistics(Initializer& initializer, double mean, double std, double tolerance);

// Runs the same ops on `candidate` and on the CPU `reference` with the same inputs and compares every output
// (relative 1e-4 in float32, 1e-10 in float64). One result per op case; an op the candidate does not support
// is reported as failed.
std::vector<CheckResult> check_backend_parity(Backend& candidate, Backend& reference, DType dtype);
// A backend made with "precision": "bfloat16" against the CPU `reference` (made without it): its matrix products
// and convolutions of float32 tensors are within 5e-3 relative RMS of the float64 results (inputs rounded to
// bfloat16, float32 accumulation); every other float32 op, and every float64 op, as check_backend_parity asks.
std::vector<CheckResult> check_backend_mixed_precision(Backend& candidate, Backend& reference);

// A communicator's collectives give what their definitions say, on tensors of `backend`: rank and size, host
// all-gather, all-reduce (sum and average, two in flight at once, waited for in reverse), broadcast from the
// first and the last rank, barrier. Every rank of the communicator must run them together.
std::vector<CheckResult> check_communicator(Communicator& communicator, Backend& backend);

}  // namespace nnplug::conformance
