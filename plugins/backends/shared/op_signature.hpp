#pragma once
// When is an op "the same op again"? A backend that replays a recorded step (Backend::run_step) may do so only if
// every op comes again with the same tensors (address, dtype, shape) and attributes. Only the live fields may
// differ: the scalars that change from step to step (learning rate, step count, dropout seed), which a replay
// takes afresh from each new op.
//
// Every field of every op is visited through a structured binding, so a field added to an op in ops.hpp fails to
// compile here until kFieldCount is raised, and is then compared unless is_live names it.
#include <bit>
#include <cstdint>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

#include "nnplug/ops.hpp"

namespace nnplug::backends {

template <class O> inline constexpr int kFieldCount = -1;
template <> inline constexpr int kFieldCount<op::Fill> = 2;
template <> inline constexpr int kFieldCount<op::Copy> = 2;
template <> inline constexpr int kFieldCount<op::CopyColumns> = 5;
template <> inline constexpr int kFieldCount<op::Permute> = 3;
template <> inline constexpr int kFieldCount<op::Axpby> = 4;
template <> inline constexpr int kFieldCount<op::Gemm> = 10;
template <> inline constexpr int kFieldCount<op::AddRowVector> = 3;
template <> inline constexpr int kFieldCount<op::SumRows> = 3;
template <> inline constexpr int kFieldCount<op::Activation> = 4;
template <> inline constexpr int kFieldCount<op::ActivationGrad> = 6;
template <> inline constexpr int kFieldCount<op::Softmax> = 2;
template <> inline constexpr int kFieldCount<op::SoftmaxGrad> = 3;
template <> inline constexpr int kFieldCount<op::LstmCell> = 5;
template <> inline constexpr int kFieldCount<op::LstmCellGrad> = 6;
template <> inline constexpr int kFieldCount<op::GruCell> = 5;
template <> inline constexpr int kFieldCount<op::GruCellGrad> = 7;
template <> inline constexpr int kFieldCount<op::Prelu> = 3;
template <> inline constexpr int kFieldCount<op::PreluGrad> = 5;
template <> inline constexpr int kFieldCount<op::MaxGroups> = 4;
template <> inline constexpr int kFieldCount<op::MaxGroupsGrad> = 4;
template <> inline constexpr int kFieldCount<op::GatherRows> = 3;
template <> inline constexpr int kFieldCount<op::ScatterAddRows> = 4;
template <> inline constexpr int kFieldCount<op::Multiply> = 3;
template <> inline constexpr int kFieldCount<op::Dropout> = 7;
template <> inline constexpr int kFieldCount<op::BatchNorm> = 13;
template <> inline constexpr int kFieldCount<op::BatchNormGrad> = 10;
template <> inline constexpr int kFieldCount<op::Penalty> = 6;
template <> inline constexpr int kFieldCount<op::RowNormConstraint> = 3;
template <> inline constexpr int kFieldCount<op::Clamp> = 3;
template <> inline constexpr int kFieldCount<op::SumSquares> = 2;
template <> inline constexpr int kFieldCount<op::ClipToNorm> = 3;
template <> inline constexpr int kFieldCount<op::AddNoise> = 3;
template <> inline constexpr int kFieldCount<op::Conv2d> = 8;
template <> inline constexpr int kFieldCount<op::Conv2dGrad> = 8;
template <> inline constexpr int kFieldCount<op::Pool2d> = 5;
template <> inline constexpr int kFieldCount<op::Pool2dGrad> = 7;
template <> inline constexpr int kFieldCount<op::ClassLoss> = 9;
template <> inline constexpr int kFieldCount<op::ElementwiseLoss> = 7;
template <> inline constexpr int kFieldCount<op::CountCorrect> = 3;
template <> inline constexpr int kFieldCount<op::SgdStep> = 9;
template <> inline constexpr int kFieldCount<op::AdamStep> = 13;
template <> inline constexpr int kFieldCount<op::AdagradStep> = 8;
template <> inline constexpr int kFieldCount<op::RmspropStep> = 11;
template <> inline constexpr int kFieldCount<op::AdadeltaStep> = 8;
template <> inline constexpr int kFieldCount<op::Custom> = 4;

// Calls f(field...) with every field of o, in declaration order (const when o is).
template <class O, class F>
void with_fields(O& o, F&& f) {
  constexpr int n = kFieldCount<std::remove_const_t<O>>;
  static_assert(n > 0, "count the fields of this op in kFieldCount");
  // clang-format off
  if constexpr (n == 2) { auto& [a, b] = o; f(a, b); }
  else if constexpr (n == 3) { auto& [a, b, c] = o; f(a, b, c); }
  else if constexpr (n == 4) { auto& [a, b, c, d] = o; f(a, b, c, d); }
  else if constexpr (n == 5) { auto& [a, b, c, d, e] = o; f(a, b, c, d, e); }
  else if constexpr (n == 6) { auto& [a, b, c, d, e, g] = o; f(a, b, c, d, e, g); }
  else if constexpr (n == 7) { auto& [a, b, c, d, e, g, h] = o; f(a, b, c, d, e, g, h); }
  else if constexpr (n == 8) { auto& [a, b, c, d, e, g, h, i] = o; f(a, b, c, d, e, g, h, i); }
  else if constexpr (n == 9) { auto& [a, b, c, d, e, g, h, i, j] = o; f(a, b, c, d, e, g, h, i, j); }
  else if constexpr (n == 10) { auto& [a, b, c, d, e, g, h, i, j, k] = o; f(a, b, c, d, e, g, h, i, j, k); }
  else if constexpr (n == 11) { auto& [a, b, c, d, e, g, h, i, j, k, l] = o; f(a, b, c, d, e, g, h, i, j, k, l); }
  else if constexpr (n == 12) { auto& [a, b, c, d, e, g, h, i, j, k, l, m] = o; f(a, b, c, d, e, g, h, i, j, k, l, m); }
  else { static_assert(n == 13); auto& [a, b, c, d, e, g, h, i, j, k, l, m, p] = o; f(a, b, c, d, e, g, h, i, j, k, l, m, p); }
  // clang-format on
}

// The live fields: those a replayed step takes from each new op. Any other field that differs means another op.
template <class O>
bool is_live(const O&, const void*) { return false; }
inline bool is_live(const op::Dropout& o, const void* f) { return f == &o.seed; }
inline bool is_live(const op::AddNoise& o, const void* f) { return f == &o.seed || f == &o.std; }  // std decays per step
// A schedule may cycle the momentum (SGD's and RMSprop's momentum, Adam's beta1) with the rate.
inline bool is_live(const op::SgdStep& o, const void* f) { return f == &o.lr || f == &o.momentum; }
// RAdam's rectified update is Adam's with eps scaled by its bias correction, which changes every step.
inline bool is_live(const op::AdamStep& o, const void* f) { return f == &o.lr || f == &o.step || f == &o.eps || f == &o.beta1; }
inline bool is_live(const op::AdagradStep& o, const void* f) { return f == &o.lr || f == &o.step; }
inline bool is_live(const op::RmspropStep& o, const void* f) { return f == &o.lr || f == &o.momentum; }
inline bool is_live(const op::AdadeltaStep& o, const void* f) { return f == &o.lr; }

namespace detail {
inline void append_field(std::vector<std::uint64_t>& out, const Tensor& t) {
  if (!t.defined()) {
    out.push_back(0);  // a defined tensor's address is never 0, so the encoding stays unambiguous
    return;
  }
  out.push_back(reinterpret_cast<std::uintptr_t>(t.data()));
  out.push_back(static_cast<std::uint64_t>(t.dtype()) << 8 | static_cast<std::uint64_t>(t.rank()));
  for (int i = 0; i < t.rank(); ++i) out.push_back(static_cast<std::uint64_t>(t.dim(i)));
}
inline void append_field(std::vector<std::uint64_t>& out, const Window2d& w) {
  for (const std::int64_t v : {w.kernel_h, w.kernel_w, w.stride_h, w.stride_w, w.pad_h, w.pad_w, w.dilation_h, w.dilation_w})
    out.push_back(static_cast<std::uint64_t>(v));
}
inline void append_field(std::vector<std::uint64_t>& out, const std::array<std::int8_t, Shape::kMaxRank>& perm) {
  for (const std::int8_t axis : perm) out.push_back(static_cast<std::uint64_t>(axis));
}
inline void append_field(std::vector<std::uint64_t>& out, double v) { out.push_back(std::bit_cast<std::uint64_t>(v)); }
// A plugin op: its kernel, its tensors, and every attribute (none is live: a changed one means another op).
inline void append_field(std::vector<std::uint64_t>& out, const OpKernel* kernel) {
  out.push_back(reinterpret_cast<std::uintptr_t>(kernel));
}
inline void append_field(std::vector<std::uint64_t>& out, const std::vector<Tensor>& tensors) {
  out.push_back(tensors.size());
  for (const Tensor& t : tensors) append_field(out, t);
}
inline void append_field(std::vector<std::uint64_t>& out, const std::vector<OpAttributeValue>& values) {
  for (const auto& v : values) {
    out.push_back(v.index());
    std::visit([&out](auto x) {
      if constexpr (std::is_same_v<decltype(x), double>) out.push_back(std::bit_cast<std::uint64_t>(x));
      else out.push_back(static_cast<std::uint64_t>(x));
    }, v);
  }
}
template <class V>
  requires std::is_integral_v<V> || std::is_enum_v<V>
void append_field(std::vector<std::uint64_t>& out, V v) {
  out.push_back(static_cast<std::uint64_t>(v));
}
}  // namespace detail

// Appends the op's signature (its kind and every field but the live ones) to out. Two ops are the same op again
// exactly when their signatures are equal.
inline void append_signature(const Op& op, std::vector<std::uint64_t>& out) {
  out.push_back(op.index());
  std::visit([&](const auto& o) {
    with_fields(o, [&](const auto&... field) {
      ((is_live(o, &field) ? void() : detail::append_field(out, field)), ...);
    });
  }, op);
}

// Copies the live fields of `from` into `to`, an op of the same kind and signature.
inline void copy_live_fields(Op& to, const Op& from) {
  std::visit([&](auto& t) {
    const auto& f = std::get<std::remove_reference_t<decltype(t)>>(from);
    with_fields(t, [&](auto&... to_field) {
      with_fields(f, [&](const auto&... from_field) {
        ((is_live(t, &to_field) ? void(to_field = from_field) : void()), ...);
      });
    });
  }, to);
}

}  // namespace nnplug::backends
