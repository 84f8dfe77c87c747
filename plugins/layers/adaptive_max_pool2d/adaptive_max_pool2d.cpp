// Layer 'adaptive_max_pool2d' (PyTorch's AdaptiveMaxPool2d): (C, H, W) -> (C, OH, OW) for "output_size" (required: a
// number or [OH, OW]), each output the largest value of its window, the windows placed as adaptive_avg_pool2d's and
// PyTorch's (rows floor(o H / OH) to ceil((o + 1) H / OH), overlapping where OH does not divide H): a fixed-size head
// for inputs of any size, spatial pyramid pooling's levels. The gradient goes to each window's first largest value.
//
// It runs through this plugin's ops adaptive_max_pool2d(x) -> (y) and adaptive_max_pool2d_grad(x, y, dy) -> (dx): a
// CPU kernel each, a CUDA kernel each (adaptive_max_planes.cu) and a host reference, from adaptive_max_planes.hpp.
#include <fmt/format.h>

#include <tuple>

#include "../shared/op_layer.hpp"
#include "adaptive_max_planes.hpp"
#include "nnplug/plugin.hpp"
#include "nnplug/window_params.hpp"
#ifdef NNPLUG_PLUGIN_HAS_CUDA
#include "adaptive_max_cuda.hpp"
#endif

namespace {

using namespace nnplug;
using layers::AdaptiveWindows;

AdaptiveWindows windows_of(const Shape& x, const OpAttributes& a) {
  return {x[0] * x[1], x[2], x[3], a.integer("out_h"), a.integer("out_w")};
}

template <typename T>
void cells(const AdaptiveWindows& w, const T* x, T* y) {
  for (std::int64_t i = 0; i < w.planes * w.out_h * w.out_w; ++i) layers::adaptive_max_cell(w, x, y, i);
}
template <typename T>
void plane_gradients(const AdaptiveWindows& w, const T* x, const T* dy, T* dx) {
  for (std::int64_t p = 0; p < w.planes; ++p) layers::adaptive_max_plane_gradient(w, x, dy, dx, p);
}

std::pair<OpSchema, OpSchema> schemas() {
  OpSchema forward, gradient;
  forward.name = "adaptive_max_pool2d";
  forward.inputs = {"x"};
  forward.outputs = {"y"};
  forward.attributes = {{"out_h", std::int64_t{3}}, {"out_w", std::int64_t{4}}};
  forward.shape_rule = [](const std::vector<Shape>& in, const OpAttributes& a) {
    if (in[0].rank() != 4) throw ShapeError(fmt::format("adaptive_max_pool2d takes a batch (N, C, H, W), got {}", in[0].str()));
    return std::vector<Shape>{Shape{in[0][0], in[0][1], a.integer("out_h"), a.integer("out_w")}};
  };
  forward.check_shapes = {Shape{2, 3, 5, 7}};
  forward.gradient = "adaptive_max_pool2d_grad";
  forward.host_reference = [](HostOpCall& call) {
    cells(windows_of(call.inputs[0].shape, call), call.inputs[0].values.data(), call.outputs[0].values.data());
  };
  gradient.name = forward.gradient;
  gradient.inputs = {"x", "y", "dy"};
  gradient.outputs = {"dx"};
  gradient.attributes = forward.attributes;
  gradient.check_shapes = {Shape{2, 3, 5, 7}, Shape{2, 3, 3, 4}, Shape{2, 3, 3, 4}};
  gradient.host_reference = [](HostOpCall& call) {
    plane_gradients(windows_of(call.inputs[0].shape, call), call.inputs[0].values.data(), call.inputs[2].values.data(),
                    call.outputs[0].values.data());
  };
  return {std::move(forward), std::move(gradient)};
}

class AdaptiveMaxPool2d final : public OpLayer {
 public:
  AdaptiveMaxPool2d(OpHandle op, const Params& p) : OpLayer(std::move(op)) {
    if (!p.has("output_size")) p.fail("output_size", "is required");
    std::tie(out_h_, out_w_) = read_pair(p, "output_size", {1, 1}, 1);
    p.check_unused();
  }
  std::string type() const override { return "adaptive_max_pool2d"; }

  Shape build(const Shape& input, const BuildContext& ctx) override {
    if (input.rank() != 3) throw ShapeError(fmt::format("adaptive_max_pool2d expects (channels, height, width) per sample, got {}", input.str()));
    return bind(ctx, Shape{input[0], out_h_, out_w_}, {{"out_h", out_h_}, {"out_w", out_w_}});
  }

 private:
  std::int64_t out_h_ = 1, out_w_ = 1;
};

}  // namespace

NNPLUG_PLUGIN("adaptive_max_pool2d", "0.1.0", "op:adaptive_max_pool2d op:adaptive_max_pool2d_grad layer:adaptive_max_pool2d", 0) {
  auto [forward, gradient] = schemas();
  OpHandle op = registrar.add_op(std::move(forward));
  registrar.add_op(std::move(gradient));
  registrar.add_kernel({"adaptive_max_pool2d", "cpu"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      cells(windows_of(call.inputs[0].shape(), call), call.inputs[0].data<T>(), call.outputs[0].data<T>());
    });
  });
  registrar.add_kernel({"adaptive_max_pool2d_grad", "cpu"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      plane_gradients(windows_of(call.inputs[0].shape(), call), call.inputs[0].data<T>(), call.inputs[2].data<T>(), call.outputs[0].data<T>());
    });
  });
#ifdef NNPLUG_PLUGIN_HAS_CUDA
  registrar.add_kernel({"adaptive_max_pool2d", "cuda"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      layers::adaptive_max_pool2d_cuda(windows_of(call.inputs[0].shape(), call), call.inputs[0].data<T>(), call.outputs[0].data<T>(), call.stream);
    });
  });
  registrar.add_kernel({"adaptive_max_pool2d_grad", "cuda"}, [](const OpCall& call) {
    with_float_type(call.dtype(), [&](auto tag) {
      using T = decltype(tag);
      layers::adaptive_max_pool2d_grad_cuda(windows_of(call.inputs[0].shape(), call), call.inputs[0].data<T>(), call.inputs[2].data<T>(),
                                            call.outputs[0].data<T>(), call.stream);
    });
  });
#endif
  registrar.add_layer("adaptive_max_pool2d", [op](const Params& p) { return std::make_unique<AdaptiveMaxPool2d>(op, p); });
}
