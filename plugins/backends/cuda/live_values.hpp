#pragma once
// Live values: what a kernel takes from an op's live fields (op_signature.hpp), the scalars that change from one
// training step to the next. A kernel launched as the op comes gets the value itself. A kernel captured into a step
// graph gets the address of a slot in the graph's live memory, which every replay refills from the new ops,
// because a graph replays its kernels' arguments as captured.
#include <cstdint>
#include <variant>

#include "../../shared/host_device.hpp"
#include "nnplug/ops.hpp"
#include "op_constants.hpp"

namespace nnplug::cuda {

template <class V>
struct Live {
  V value;
  const V* from = nullptr;  // a slot of live memory, or none: use value
  NNPLUG_HOST_DEVICE V get() const { return from ? *from : value; }
};

// The live value of each op that has live fields, in the form its kernel reads (T: the float type of its tensors).
// The launch and the refill of a replay both call these, so they agree.
// SGD's and RMSprop's: the rate and the momentum, which a schedule may cycle (one_cycle).
template <typename T>
struct RateAndMomentum {
  T lr, momentum;
};
template <typename T>
RateAndMomentum<T> live_value(const op::SgdStep& o) { return {static_cast<T>(o.lr), static_cast<T>(o.momentum)}; }
template <typename T>
backends::AdamConstants<T> live_value(const op::AdamStep& o) { return backends::AdamConstants<T>::of(o); }
template <typename T>
T live_value(const op::AdagradStep& o) { return static_cast<T>(o.lr / (1.0 + static_cast<double>(o.step - 1) * o.lr_decay)); }
template <typename T>
RateAndMomentum<T> live_value(const op::RmspropStep& o) { return {static_cast<T>(o.lr), static_cast<T>(o.momentum)}; }
template <typename T>
T live_value(const op::AdadeltaStep& o) { return static_cast<T>(o.lr); }
template <typename T>
std::uint64_t live_value(const op::Dropout& o) { return o.seed; }
struct NoiseDraw {
  std::uint64_t seed;
  double std;
};
template <typename T>
NoiseDraw live_value(const op::AddNoise& o) { return {o.seed, o.std}; }

// The tensor whose dtype selects T for an op with a live value.
inline const Tensor& live_value_tensor(const op::SgdStep& o) { return o.param; }
inline const Tensor& live_value_tensor(const op::AdamStep& o) { return o.param; }
inline const Tensor& live_value_tensor(const op::AdagradStep& o) { return o.param; }
inline const Tensor& live_value_tensor(const op::RmspropStep& o) { return o.param; }
inline const Tensor& live_value_tensor(const op::AdadeltaStep& o) { return o.param; }
inline const Tensor& live_value_tensor(const op::Dropout& o) { return o.x; }
inline const Tensor& live_value_tensor(const op::AddNoise& o) { return o.x; }

// The largest live value: the live memory of a graph holds one slot of this size per op.
inline constexpr std::size_t kLiveSlotBytes = 128;
static_assert(sizeof(backends::AdamConstants<double>) <= kLiveSlotBytes);

}  // namespace nnplug::cuda
