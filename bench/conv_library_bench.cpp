// The CPU backend's convolutions (im2col + Eigen GEMM) against oneDNN's (Debian libdnnl-dev 2.6), float32 and
// bfloat16, on every convolution shape of the quick CNN and of X11 at their training batch of 128: forward, and
// backward (dx, dw and dbias together, as one training step needs them). Each figure is the best of several runs
// in milliseconds. oneDNN's figures come in two forms: the primitive alone, on tensors already in the blocked
// layout it picks, and with the reorders that a backend keeping NCHW tensors would pay around it (activations in
// and out; the weights once per step, counted too). The ratio is nnplug's time over oneDNN's with reorders.
//   usage: conv_library_bench [--runs N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <oneapi/dnnl/dnnl.hpp>

#include "nnplug/framework/plugin_loader.hpp"
#include "nnplug/framework/registry.hpp"

using namespace nnplug;
using Clock = std::chrono::steady_clock;

namespace {

struct ConvShape {
  const char* model;
  std::int64_t n, c, h, w, filters, kernel, pad;
};

// The convolutions of examples/fashion_cnn.json and examples/x11_cifar_cnn.json on 1x28x28 images.
const ConvShape kShapes[] = {
    {"quick conv1", 128, 1, 28, 28, 32, 3, 0},  {"quick conv2", 128, 32, 13, 13, 64, 3, 0},
    {"x11 conv1", 128, 1, 28, 28, 32, 3, 1},    {"x11 conv2", 128, 32, 28, 28, 32, 3, 1},
    {"x11 conv3", 128, 32, 14, 14, 64, 3, 1},   {"x11 conv4", 128, 64, 14, 14, 64, 3, 1},
    {"x11 conv5", 128, 64, 7, 7, 128, 3, 1},    {"x11 conv6", 128, 128, 7, 7, 128, 3, 1},
};

// Last layers into few filters from channel blocks: examples/fashion_autoencoder.json's output and a binary mask's
// (one filter, which the CPU backend computes directly: one_filter_convolution.hpp), and an RGB image's (three,
// which it leaves to oneDNN, whose kernels pad the filters to a block of 16).
const ConvShape kFewFilterShapes[] = {
    {"ae output", 128, 16, 28, 28, 1, 3, 1},
    {"mask 1x1", 128, 32, 28, 28, 1, 1, 0},
    {"rgb output", 128, 16, 28, 28, 3, 3, 1},
};

// Best of `runs` timings of f, in milliseconds, after two warm-up calls.
double best_ms(int runs, const std::function<void()>& f) {
  f(), f();
  double best = 1e30;
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    f();
    best = std::min(best, std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  return best;
}

std::vector<float> random_values(std::size_t n, unsigned seed) {
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>((seed = seed * 1664525u + 1013904223u) >> 8) / 16777216.0f - 0.5f;
  return v;
}

struct Timings {
  double forward = 0, backward = 0;
};

// The input and its gradient in `images` (row-major, or channel blocks as a convolution before would write them).
Timings time_nnplug(Backend& be, const ConvShape& s, int runs, Layout images = Layout::RowMajor) {
  const std::int64_t oh = s.h + 2 * s.pad - s.kernel + 1, ow = s.w + 2 * s.pad - s.kernel + 1;
  Tensor x = be.empty({s.n, s.c, s.h, s.w}, DType::Float32, images), w = be.empty({s.filters, s.c, s.kernel, s.kernel}, DType::Float32);
  Tensor b = be.empty({s.filters}, DType::Float32), y = be.empty({s.n, s.filters, oh, ow}, DType::Float32);
  Tensor dy = be.empty(y.shape(), DType::Float32), dx = be.empty(x.shape(), DType::Float32, images), dw = be.empty(w.shape(), DType::Float32),
         db = be.empty(b.shape(), DType::Float32);
  from_host(x, random_values(static_cast<std::size_t>(x.numel()), 1));
  from_host(w, random_values(static_cast<std::size_t>(w.numel()), 2));
  from_host(b, random_values(static_cast<std::size_t>(b.numel()), 3));
  from_host(dy, random_values(static_cast<std::size_t>(dy.numel()), 4));
  Window2d g;
  g.kernel_h = g.kernel_w = s.kernel;
  g.pad_h = g.pad_w = s.pad;
  Timings t;
  t.forward = best_ms(runs, [&] {
    be.run(op::Conv2d{x, w, b, y, g});
    be.synchronize();
  });
  t.backward = best_ms(runs, [&] {
    be.run(op::Conv2dGrad{x, w, dy, dx, dw, db, g});
    be.synchronize();
  });
  return t;
}

struct OneDnnTimings {
  bool supported = false;
  std::string why;
  Timings primitive, with_reorders;
};

// oneDNN's convolution with `low` for the activations and weights it reads (f32 or bf16); what it writes for the
// model (y, dx, dw, dbias) is f32, as mixed precision keeps it.
OneDnnTimings time_onednn(const dnnl::engine& eng, dnnl::stream& strm, const ConvShape& s, dnnl::memory::data_type low, int runs) {
  using namespace dnnl;
  using tag = memory::format_tag;
  using dt = memory::data_type;
  OneDnnTimings out;
  const memory::dim oh = s.h + 2 * s.pad - s.kernel + 1, ow = s.w + 2 * s.pad - s.kernel + 1;
  const memory::dims src_dims{s.n, s.c, s.h, s.w}, wei_dims{s.filters, s.c, s.kernel, s.kernel}, bias_dims{s.filters},
      dst_dims{s.n, s.filters, oh, ow}, strides{1, 1}, padding{s.pad, s.pad};
  try {
    const memory::desc src_any(src_dims, low, tag::any), wei_any(wei_dims, low, tag::any), bias_md(bias_dims, dt::f32, tag::x),
        dst_any(dst_dims, dt::f32, tag::any), diff_dst_any(dst_dims, low, tag::any), diff_src_any(src_dims, dt::f32, tag::any),
        diff_wei_any(wei_dims, dt::f32, tag::any);
    const convolution_forward::primitive_desc fwd_pd(
        convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, src_any, wei_any, bias_md, dst_any, strides,
                                  padding, padding),
        eng);
    const convolution_backward_data::primitive_desc bwd_data_pd(
        convolution_backward_data::desc(algorithm::convolution_direct, diff_src_any, wei_any, diff_dst_any, strides, padding, padding), eng,
        fwd_pd);
    const convolution_backward_weights::primitive_desc bwd_weights_pd(
        convolution_backward_weights::desc(algorithm::convolution_direct, src_any, diff_wei_any, bias_md, diff_dst_any, strides, padding,
                                           padding),
        eng, fwd_pd);

    // The NCHW float32 tensors a backend holds, and the layouts the primitives chose.
    auto user = [&](const memory::dims& dims, tag t, unsigned seed) {
      memory m({dims, dt::f32, t}, eng);
      const auto v = random_values(static_cast<std::size_t>(m.get_desc().get_size() / sizeof(float)), seed);
      std::memcpy(m.get_data_handle(), v.data(), v.size() * sizeof(float));
      return m;
    };
    memory x = user(src_dims, tag::nchw, 1), w = user(wei_dims, tag::oihw, 2), b = user(bias_dims, tag::x, 3),
           y = user(dst_dims, tag::nchw, 0), dy = user(dst_dims, tag::nchw, 4), dx = user(src_dims, tag::nchw, 0),
           dw = user(wei_dims, tag::oihw, 0), db = user(bias_dims, tag::x, 0);
    memory x_p(fwd_pd.src_desc(), eng), w_p(fwd_pd.weights_desc(), eng), y_p(fwd_pd.dst_desc(), eng), dy_p(bwd_data_pd.diff_dst_desc(), eng),
        w_bd(bwd_data_pd.weights_desc(), eng), dx_p(bwd_data_pd.diff_src_desc(), eng), x_bw(bwd_weights_pd.src_desc(), eng),
        dy_bw(bwd_weights_pd.diff_dst_desc(), eng), dw_p(bwd_weights_pd.diff_weights_desc(), eng);
    auto convert = [&](memory& from, memory& to) { reorder(from, to).execute(strm, from, to); };
    convert(x, x_p), convert(w, w_p), convert(dy, dy_p), convert(w, w_bd), convert(x, x_bw), convert(dy, dy_bw);
    strm.wait();

    const convolution_forward fwd(fwd_pd);
    const convolution_backward_data bwd_data(bwd_data_pd);
    const convolution_backward_weights bwd_weights(bwd_weights_pd);
    auto forward = [&] { fwd.execute(strm, {{DNNL_ARG_SRC, x_p}, {DNNL_ARG_WEIGHTS, w_p}, {DNNL_ARG_BIAS, b}, {DNNL_ARG_DST, y_p}}); };
    auto backward = [&] {
      bwd_data.execute(strm, {{DNNL_ARG_DIFF_DST, dy_p}, {DNNL_ARG_WEIGHTS, w_bd}, {DNNL_ARG_DIFF_SRC, dx_p}});
      bwd_weights.execute(strm, {{DNNL_ARG_SRC, x_bw}, {DNNL_ARG_DIFF_DST, dy_bw}, {DNNL_ARG_DIFF_WEIGHTS, dw_p}, {DNNL_ARG_DIFF_BIAS, db}});
    };
    out.primitive.forward = best_ms(runs, [&] { forward(), strm.wait(); });
    out.primitive.backward = best_ms(runs, [&] { backward(), strm.wait(); });
    out.with_reorders.forward = best_ms(runs, [&] {
      convert(x, x_p), convert(w, w_p);
      forward();
      convert(y_p, y);
      strm.wait();
    });
    out.with_reorders.backward = best_ms(runs, [&] {
      convert(dy, dy_p), convert(w, w_bd), convert(dy, dy_bw);
      if (low != dt::f32) convert(x, x_bw);  // in float32 the forward pass's blocked x serves again
      backward();
      convert(dx_p, dx), convert(dw_p, dw);
      strm.wait();
    });
    out.supported = true;
  } catch (const dnnl::error& e) {
    out.why = e.what();
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 10;
  for (int i = 1; i + 1 < argc; ++i)
    if (!std::strcmp(argv[i], "--runs")) runs = std::max(1, std::atoi(argv[i + 1]));
  Registry registry;
  PluginLoader loader;
  loader.load_all(registry);
  auto backend = registry.create_backend(Params("backend", "cpu"));
  fmt::print("nnplug: {}; oneDNN {}.{}.{}\n", backend->device(), dnnl_version()->major, dnnl_version()->minor, dnnl_version()->patch);
  const dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  fmt::print("{:<12} {:>9} | {:>9} {:>9} {:>9} {:>6} | {:>9} {:>9} {:>6}   (ms, best of {}; ratio: nnplug / oneDNN with reorders)\n",
             "shape", "pass", "nnplug", "dnnl f32", "+reorder", "ratio", "dnnl bf16", "+reorder", "ratio", runs);
  Timings total_nnplug;
  OneDnnTimings total_f32, total_bf16;
  total_f32.supported = total_bf16.supported = true;
  for (const ConvShape& s : kShapes) {
    const Timings mine = time_nnplug(*backend, s, runs);
    const OneDnnTimings f32 = time_onednn(eng, strm, s, dnnl::memory::data_type::f32, runs);
    const OneDnnTimings bf16 = time_onednn(eng, strm, s, dnnl::memory::data_type::bf16, runs);
    const auto cell = [](const OneDnnTimings& t, double Timings::*pass, double ours) {
      if (!t.supported) return fmt::format("{:>9} {:>9} {:>6}", "-", "-", "-");
      return fmt::format("{:9.3f} {:9.3f} {:6.2f}", t.primitive.*pass, t.with_reorders.*pass, ours / (t.with_reorders.*pass));
    };
    for (auto [name, pass] : {std::pair{"forward", &Timings::forward}, {"backward", &Timings::backward}})
      fmt::print("{:<12} {:>9} | {:9.3f} {} | {}\n", s.model, name, mine.*pass, cell(f32, pass, mine.*pass), cell(bf16, pass, mine.*pass));
    if (!bf16.supported) fmt::print("  bf16 unsupported here: {}\n", bf16.why);
    for (auto pass : {&Timings::forward, &Timings::backward}) {
      total_nnplug.*pass += mine.*pass;
      total_f32.with_reorders.*pass += f32.with_reorders.*pass;
      total_bf16.with_reorders.*pass += bf16.with_reorders.*pass;
    }
    total_f32.supported &= f32.supported;
    total_bf16.supported &= bf16.supported;
  }
  const double ours = total_nnplug.forward + total_nnplug.backward;
  fmt::print("all shapes, forward + backward: nnplug {:.2f} ms; oneDNN f32 with reorders {:.2f} ms ({:.2f}x); bf16 {:.2f} ms ({:.2f}x)\n", ours,
             total_f32.with_reorders.forward + total_f32.with_reorders.backward,
             ours / (total_f32.with_reorders.forward + total_f32.with_reorders.backward),
             total_bf16.with_reorders.forward + total_bf16.with_reorders.backward,
             ours / (total_bf16.with_reorders.forward + total_bf16.with_reorders.backward));
  fmt::print("\nfew filters from channel blocks (nnplug: x and dx in blocks, y row-major; oneDNN: the primitive alone, "
             "in the layouts it picks)\n{:<12} {:>9} | {:>9} {:>9} {:>9}\n",
             "shape", "pass", "nnplug", "dnnl f32", "dnnl bf16");
  for (const ConvShape& s : kFewFilterShapes) {
    const Timings mine = time_nnplug(*backend, s, runs, Layout::ChannelBlocks16);
    const OneDnnTimings f32 = time_onednn(eng, strm, s, dnnl::memory::data_type::f32, runs);
    const OneDnnTimings bf16 = time_onednn(eng, strm, s, dnnl::memory::data_type::bf16, runs);
    const auto cell = [](const OneDnnTimings& t, double Timings::*pass) {
      return t.supported ? fmt::format("{:9.3f}", t.primitive.*pass) : fmt::format("{:>9}", "-");
    };
    for (auto [name, pass] : {std::pair{"forward", &Timings::forward}, {"backward", &Timings::backward}})
      fmt::print("{:<12} {:>9} | {:9.3f} {} {}\n", s.model, name, mine.*pass, cell(f32, pass), cell(bf16, pass));
  }
  return 0;
}
