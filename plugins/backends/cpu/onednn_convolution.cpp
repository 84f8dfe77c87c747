#include "onednn_convolution.hpp"

#if NNPLUG_HAVE_ONEDNN

#include <compare>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "kernels.hpp"
#include "onednn_library.hpp"

namespace nnplug::cpu {

namespace {

using dnnl::memory;
using Tag = memory::format_tag;
constexpr auto kF32 = memory::data_type::f32;

// A convolution of few input channels (a network's first layer) is faster on im2col when its output is NCHW: the
// reorders of y and dy cost more than oneDNN saves. With the output in channel blocks there is no reorder, and
// oneDNN wins (X11 in bfloat16 1.05x, the quick CNN 1.25x in train_throughput). Mixed precision runs it in float32:
// oneDNN's bfloat16 weight gradient of the quick CNN's first layer took 1.3-1.5 ms against 0.27-0.31 ms in float32,
// and its few products gain nothing from bfloat16.
constexpr std::int64_t kMinInputChannels = 8;

// oneDNN 2.6's bfloat16 weight gradient of a strided convolution whose window is wider than 1 (not grouped) takes
// about twice its float32 one (the ResNet's and the autoencoder's 3x3 convolutions of stride 2: 1.07-1.47 ms
// against 0.61-0.74 for 128 images, where the forward and the input gradient take half their float32 time), so
// mixed precision computes that one product in float32, from the tensors themselves.
bool weight_gradient_faster_in_float32(std::int64_t kh, std::int64_t kw, std::int64_t sh, std::int64_t sw, std::int64_t groups) {
  return groups == 1 && (sh > 1 || sw > 1) && (kh > 1 || kw > 1);
}

struct Key {
  std::int64_t n, c, h, w, f, kh, kw, sh, sw, ph, pw, dh, dw, groups;
  bool bias, bfloat16;
  auto operator<=>(const Key&) const = default;
};

// The blocked copies a plan's primitives read and write, one per role, made at first use.
enum Role { kX, kW, kY, kDyData, kWData, kDx, kXWeights, kDyWeights, kDw, kRoles };

struct Forward {
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward primitive;
};

struct Plan {
  memory::dims x, w, y, bias, strides, dilation, padding;
  Tag w_tag = Tag::oihw;  // the weight (F, C / G, KH, KW) as oneDNN's dims: OIHW, or GOIHW of G groups
  memory::data_type low = kF32;  // what the convolution reads its inputs as: f32, or bf16
  memory::data_type weights_low = kF32;  // what the weight gradient reads x and dy as: low, or f32 where that is faster
  std::optional<dnnl::convolution_forward::desc> forward_desc;
  // The forward primitives, by the slope of the ReLU their output pass applies (none: no function). Backward's
  // primitives are made with the plain one as their hint.
  std::map<std::optional<double>, Forward> forwards;
  std::optional<dnnl::convolution_backward_data::primitive_desc> data_pd;
  std::optional<dnnl::convolution_backward_data> data;
  std::optional<dnnl::convolution_backward_weights::primitive_desc> weights_pd;
  std::optional<dnnl::convolution_backward_weights> weights;
  std::optional<memory> staged[kRoles];
  std::vector<std::uint16_t> scratch[kRoles];  // an input rounded to bfloat16 whose buffer keeps no copies

  const Forward& forward(OnednnLibrary& lib, std::optional<double> slope) {
    auto it = forwards.find(slope);
    if (it != forwards.end()) return it->second;
    dnnl::primitive_attr attr;
    if (slope) {
      dnnl::post_ops post;
      post.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, static_cast<float>(*slope), 0.0f);
      attr.set_post_ops(post);
    }
    dnnl::convolution_forward::primitive_desc pd(*forward_desc, attr, lib.engine);
    dnnl::convolution_forward primitive(pd);
    return forwards.emplace(slope, Forward{std::move(pd), std::move(primitive)}).first->second;
  }
  const dnnl::convolution_forward::primitive_desc& hint(OnednnLibrary& lib) { return forward(lib, std::nullopt).pd; }
};

using Library = OnednnLibrary;

std::map<Key, std::unique_ptr<Plan>>& plans() {  // guarded by the library's lock
  static std::map<Key, std::unique_ptr<Plan>> instance;
  return instance;
}

memory::desc any(const memory::dims& dims, memory::data_type type = kF32) { return {dims, type, Tag::any}; }

Plan& plan_for(const Key& k) {
  auto& slot = plans()[k];
  if (slot) return *slot;
  auto p = std::make_unique<Plan>();
  const std::int64_t oh = Window2d::out(k.h, k.kh, k.sh, k.ph, k.dh), ow = Window2d::out(k.w, k.kw, k.sw, k.pw, k.dw);
  p->x = {k.n, k.c, k.h, k.w}, p->y = {k.n, k.f, oh, ow}, p->bias = {k.f};
  if (k.groups == 1) p->w = {k.f, k.c, k.kh, k.kw};
  else p->w = {k.groups, k.f / k.groups, k.c / k.groups, k.kh, k.kw}, p->w_tag = Tag::goihw;
  p->strides = {k.sh, k.sw}, p->dilation = {k.dh - 1, k.dw - 1}, p->padding = {k.ph, k.pw};  // oneDNN counts dilation from 0
  using dnnl::algorithm, dnnl::prop_kind;
  p->low = k.bfloat16 ? memory::data_type::bf16 : kF32;
  p->weights_low = weight_gradient_faster_in_float32(k.kh, k.kw, k.sh, k.sw, k.groups) ? kF32 : p->low;
  p->forward_desc = k.bias ? dnnl::convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, any(p->x, p->low),
                                                              any(p->w, p->low), memory::desc(p->bias, kF32, Tag::x), any(p->y), p->strides,
                                                              p->dilation, p->padding, p->padding)
                            : dnnl::convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, any(p->x, p->low),
                                                              any(p->w, p->low), any(p->y), p->strides, p->dilation, p->padding, p->padding);
  slot = std::move(p);
  return *slot;
}

// A tensor's NCHW (or OIHW, or flat) float32 values as oneDNN memory, without a copy.
memory user(Library& lib, const memory::dims& dims, Tag tag, const Tensor& t) {
  return user_memory(lib, {dims, kF32, tag}, t);
}

// An image tensor in its layout: NCHW, or channel blocks of 16 (oneDNN's nChw16c, the layout its direct kernels
// compute in, so that no reorder is needed in float32).
memory image(Library& lib, const memory::dims& dims, const Tensor& t) { return user(lib, dims, t.row_major() ? Tag::nchw : Tag::nChw16c, t); }

// The plan's copy for `role`, made (again) when it does not have the layout `want`.
void staging(Library& lib, Plan& p, Role role, const memory::desc& want) {
  if (!p.staged[role] || p.staged[role]->get_desc() != want) p.staged[role].emplace(want, lib.engine);
}

// `from` in the layout `want`: itself when it already has it, else reordered into the plan's copy for `role`.
memory in_layout(Library& lib, Plan& p, Role role, const memory::desc& want, memory from) {
  if (want == from.get_desc()) return from;
  staging(lib, p, role, want);
  dnnl::reorder(from, *p.staged[role]).execute(lib.stream, from, *p.staged[role]);
  return *p.staged[role];
}

// The image t as the input `want` of a primitive. In mixed precision, where `want` is t's own layout in bfloat16:
// t's buffer's rounded copy (cpu_buffer.hpp), kept from an earlier convolution while t does not change and written
// by the batch norm or dropout that wrote t, else rounded now. Otherwise t itself, or a reorder into the plan's copy
// for `role`.
memory input(Library& lib, Plan& p, Role role, const memory::desc& want, const memory::dims& dims, const Tensor& t) {
  if (want.data_type() == memory::data_type::bf16 && want == memory::desc(dims, want.data_type(), t.row_major() ? Tag::nchw : Tag::nChw16c))
    return rounded(lib, want, t, p.scratch[role]);
  return in_layout(lib, p, role, want, image(lib, dims, t));
}

// Where a primitive writes an output of layout `want` that belongs in `to`: `to` itself, or the plan's copy.
memory output(Library& lib, Plan& p, Role role, const memory::desc& want, const memory& to) {
  if (want == to.get_desc()) return to;
  staging(lib, p, role, want);
  return *p.staged[role];
}

void copy_back(Library& lib, memory from, memory to) {
  if (from.get_data_handle() != to.get_data_handle()) dnnl::reorder(from, to).execute(lib.stream, from, to);
}

Key key_of(const backends::WindowShape& s, const Window2d& g, bool bias, bool bfloat16) {
  const bool rounded = bfloat16 && s.c >= kMinInputChannels;
  return {s.n, s.c, s.h, s.w, s.f, g.kernel_h, g.kernel_w, g.stride_h, g.stride_w, g.pad_h, g.pad_w, g.dilation_h, g.dilation_w, s.groups, bias, rounded};
}

// Runs body(library, plan of `key`) when oneDNN is the faster choice for this op (float32; enough input channels,
// or an output `y` in channel blocks), and says whether it did.
template <typename Body>
bool run_planned(const char* op, const Tensor& x, const Tensor& y, const backends::WindowShape& s, const Key& key, Body&& body) {
  if (x.dtype() != DType::Float32 || (s.c < kMinInputChannels && y.row_major())) return false;
  run_on_onednn(op, [&](Library& lib) { body(lib, plan_for(key)); });
  return true;
}

}  // namespace

bool onednn_has_bfloat16() {
  const auto isa = dnnl::get_effective_cpu_isa();
  return isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx;
}

bool onednn_conv2d(const op::Conv2d& o, const backends::WindowShape& s, bool bfloat16) {
  return run_planned("conv2d", o.x, o.y, s, key_of(s, o.window, o.bias.defined(), bfloat16), [&](Library& lib, Plan& p) {
    const std::optional<double> slope = relu_slope(o.epilogue, o.epilogue_alpha);
    const auto& [pd, forward] = p.forward(lib, slope);
    const memory y_user = image(lib, p.y, o.y), y = output(lib, p, kY, pd.dst_desc(), y_user);
    const memory x = input(lib, p, kX, pd.src_desc(), p.x, o.x);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, x},
                                         {DNNL_ARG_WEIGHTS, in_layout(lib, p, kW, pd.weights_desc(), user(lib, p.w, p.w_tag, o.w))},
                                         {DNNL_ARG_DST, y}};
    if (o.bias.defined()) args.emplace(DNNL_ARG_BIAS, user(lib, p.bias, Tag::x, o.bias));
    forward.execute(lib.stream, args);
    copy_back(lib, y, y_user);
    lib.stream.wait();
    if (!slope && o.epilogue != Pointwise::Identity) run_kernel(op::Activation{o.y, o.y, o.epilogue, o.epilogue_alpha});
  });
}

bool onednn_conv2d_grad(const op::Conv2dGrad& o, const backends::WindowShape& s, bool bfloat16) {
  return run_planned("conv2d_grad", o.x, o.dy, s, key_of(s, o.window, o.dbias.defined(), bfloat16), [&](Library& lib, Plan& p) {
    using dnnl::algorithm;
    std::optional<memory> dy_for_data;  // dy in the layout backward-data reads; backward-weights reuses it when it can
    if (o.dx.defined()) {
      if (!p.data_pd) {
        p.data_pd.emplace(dnnl::convolution_backward_data::desc(algorithm::convolution_direct, any(p.x), any(p.w, p.low), any(p.y, p.low),
                                                                p.strides, p.dilation, p.padding, p.padding),
                          lib.engine, p.hint(lib));
        p.data.emplace(*p.data_pd);
      }
      const memory dx_user = image(lib, p.x, o.dx), dx = output(lib, p, kDx, p.data_pd->diff_src_desc(), dx_user);
      dy_for_data = input(lib, p, kDyData, p.data_pd->diff_dst_desc(), p.y, o.dy);
      p.data->execute(lib.stream, {{DNNL_ARG_DIFF_DST, *dy_for_data},
                                   {DNNL_ARG_WEIGHTS, in_layout(lib, p, kWData, p.data_pd->weights_desc(), user(lib, p.w, p.w_tag, o.w))},
                                   {DNNL_ARG_DIFF_SRC, dx}});
      copy_back(lib, dx, dx_user);
    }
    if (!o.dw.defined()) {  // dx alone: a transposed convolution's forward
      lib.stream.wait();
      return;
    }
    if (!p.weights_pd) {
      const auto desc = o.dbias.defined()
                            ? dnnl::convolution_backward_weights::desc(algorithm::convolution_direct, any(p.x, p.weights_low), any(p.w),
                                                                       memory::desc(p.bias, kF32, Tag::x), any(p.y, p.weights_low),
                                                                       p.strides, p.dilation, p.padding, p.padding)
                            : dnnl::convolution_backward_weights::desc(algorithm::convolution_direct, any(p.x, p.weights_low), any(p.w),
                                                                       any(p.y, p.weights_low), p.strides, p.dilation, p.padding, p.padding);
      p.weights_pd.emplace(desc, lib.engine, p.hint(lib));
      p.weights.emplace(*p.weights_pd);
    }
    const memory dw_user = user(lib, p.w, p.w_tag, o.dw), dw = output(lib, p, kDw, p.weights_pd->diff_weights_desc(), dw_user);
    // x is reordered anew rather than taken from the forward's copy: the tensor at the address the forward read
    // need not hold the same values now (a transposed convolution's backward runs a forward on its output's
    // gradient, and at the next step this gradient on the same tensor with the new step's values). In mixed
    // precision x's copy is its buffer's, which the backend drops whenever x may have changed (input()).
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, input(lib, p, kXWeights, p.weights_pd->src_desc(), p.x, o.x)},
                                         {DNNL_ARG_DIFF_DST, dy_for_data && dy_for_data->get_desc() == p.weights_pd->diff_dst_desc()
                                                                 ? *dy_for_data
                                                                 : input(lib, p, kDyWeights, p.weights_pd->diff_dst_desc(), p.y, o.dy)},
                                         {DNNL_ARG_DIFF_WEIGHTS, dw}};
    if (o.dbias.defined()) args.emplace(DNNL_ARG_DIFF_BIAS, user(lib, p.bias, Tag::x, o.dbias));
    p.weights->execute(lib.stream, args);
    copy_back(lib, dw, dw_user);
    lib.stream.wait();
  });
}

}  // namespace nnplug::cpu

#else  // built without oneDNN: every convolution runs on im2col + Eigen

namespace nnplug::cpu {
bool onednn_has_bfloat16() { return false; }
bool onednn_conv2d(const op::Conv2d&, const backends::WindowShape&, bool) { return false; }
bool onednn_conv2d_grad(const op::Conv2dGrad&, const backends::WindowShape&, bool) { return false; }
}  // namespace nnplug::cpu

#endif
