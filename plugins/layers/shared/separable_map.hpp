#pragma once
// A linear map of images that is separable, Y = A_h X A_w^T for each (H, W) plane, with matrices A_h (OH, H) and
// A_w (OW, W) built on the host: bilinear upsampling (interpolation weights), adaptive average pooling (window
// averages), padding and cropping (0/1 placements). One product maps every row, a permute turns the planes, a
// product maps their columns and a permute turns them back; the gradient is the same four steps with the matrices
// untransposed. Each product costs in x out per row where a kernel of its own would cost a few per output: cheap at
// the sizes of feature maps (tens of pixels), not at hundreds.
#include <fmt/format.h>

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "nnplug/plugin.hpp"

namespace nnplug {

// A row-major (out, in) matrix on the host. Without values it is the identity of `in` (= out) values, which a map
// skips without building it: a sequence's channels, however many.
struct HostMatrix {
  std::int64_t out = 0, in = 0;
  std::vector<double> values;
  static HostMatrix identity(std::int64_t n) { return {n, n, {}}; }
};

class SeparableMap {
 public:
  // The matrices hold in x out weights each: 2^24 is 1024 pixels scaled by 16.
  static constexpr std::int64_t kMostWeights = std::int64_t{1} << 24;

  // Throws ShapeError naming `layer` and the input where a matrix of (out, in) would hold more than kMostWeights.
  static void check_size(const std::string& layer, const Shape& input, std::int64_t out_h, std::int64_t out_w) {
    check_axis(layer, input, input[1], out_h);
    check_axis(layer, input, input[2], out_w);
  }
  // The same for one axis, of `in` values mapped to `out`.
  static void check_axis(const std::string& layer, const Shape& input, std::int64_t in, std::int64_t out) {
    if (in > kMostWeights / out)
      throw ShapeError(fmt::format("{}: mapping {} values to {} along an axis of {} needs a matrix of more than 2^24 weights; it is built for "
                                   "feature maps of up to about a thousand pixels a side",
                                   layer, in, out, input.str()));
  }

  // Uploads A_h and A_w for (C, H, W) inputs.
  void build(Backend& backend, DType dtype, const Shape& input, const HostMatrix& rows, const HostMatrix& columns) {
    backend_ = &backend;
    dtype_ = dtype;
    input_ = input;
    out_h_ = rows.out, out_w_ = columns.out;
    rows_ = upload(rows);
    columns_ = upload(columns);
    rows_identity_ = identity(rows);
    columns_identity_ = identity(columns);
  }
  Shape output() const { return Shape{input_[0], out_h_, out_w_}; }

  // A map that leaves an axis as it is skips that axis's product (and, for the rows, both permutes): a sequence's
  // plane (C, 1, L) or (1, L, C) moves along one axis only.
  const Tensor& forward(const Tensor& x) {
    const auto [planes, h, w, oh, ow] = sizes(x.dim(0));
    ensure(y_, *backend_, output().with_batch(x.dim(0)), dtype_);
    if (rows_identity_) {
      backend_->run(op::Gemm{.a = x.reshape(Shape{planes * h, w}), .b = columns_, .c = y_.reshape(Shape{planes * h, ow}), .trans_b = true});
      return y_;
    }
    if (!columns_identity_)
      backend_->run(op::Gemm{.a = x.reshape(Shape{planes * h, w}), .b = columns_, .c = ensure(wide_, *backend_, Shape{planes * h, ow}, dtype_),
                             .trans_b = true});
    const Tensor& wide = columns_identity_ ? x : wide_;
    backend_->run(op::Permute{wide.reshape(Shape{planes, h, ow}), ensure(turned_, *backend_, Shape{planes, ow, h}, dtype_), {0, 2, 1}});
    backend_->run(op::Gemm{.a = turned_.reshape(Shape{planes * ow, h}), .b = rows_, .c = ensure(tall_, *backend_, Shape{planes * ow, oh}, dtype_),
                           .trans_b = true});
    backend_->run(op::Permute{tall_.reshape(Shape{planes, ow, oh}), y_.reshape(Shape{planes, oh, ow}), {0, 2, 1}});
    return y_;
  }

  // The forward pass's buffers, in reverse: the steps are linear and keep nothing from the forward pass.
  const Tensor& backward(const Tensor& dy) {
    const auto [planes, h, w, oh, ow] = sizes(dy.dim(0));
    ensure(dx_, *backend_, input_.with_batch(dy.dim(0)), dtype_);
    if (rows_identity_) {
      backend_->run(op::Gemm{.a = dy.reshape(Shape{planes * h, ow}), .b = columns_, .c = dx_.reshape(Shape{planes * h, w})});
      return dx_;
    }
    backend_->run(op::Permute{dy.reshape(Shape{planes, oh, ow}), tall_.reshape(Shape{planes, ow, oh}), {0, 2, 1}});
    backend_->run(op::Gemm{.a = tall_, .b = rows_, .c = turned_.reshape(Shape{planes * ow, h})});
    backend_->run(op::Permute{turned_, (columns_identity_ ? dx_ : wide_).reshape(Shape{planes, h, ow}), {0, 2, 1}});
    if (!columns_identity_) backend_->run(op::Gemm{.a = wide_, .b = columns_, .c = dx_.reshape(Shape{planes * h, w})});
    return dx_;
  }

 private:
  Backend* backend_ = nullptr;
  DType dtype_ = DType::Float32;
  Shape input_;
  std::int64_t out_h_ = 0, out_w_ = 0;
  Tensor rows_, columns_;        // A_h (OH, H) and A_w (OW, W)
  bool rows_identity_ = false, columns_identity_ = false;  // A_h or A_w is I: that product is skipped
  Tensor wide_, turned_, tall_;  // X A_w^T (planes H, OW), turned (planes, OW, H), times A_h^T (planes OW, OH)
  Tensor y_, dx_;

  static bool identity(const HostMatrix& m) {
    if (m.out != m.in) return false;
    if (m.values.empty()) return true;  // HostMatrix::identity
    for (std::int64_t i = 0; i < m.out; ++i)
      for (std::int64_t j = 0; j < m.in; ++j)
        if (m.values[static_cast<std::size_t>(i * m.in + j)] != (i == j ? 1.0 : 0.0)) return false;
    return true;
  }
  Tensor upload(const HostMatrix& m) const {
    if (m.values.empty()) return Tensor();  // the identity, never multiplied by
    Tensor t = backend_->empty(Shape{m.out, m.in}, dtype_);
    from_host(t, m.values);
    return t;
  }
  // A batch's (H, W) planes, their height and width, and the output's.
  std::array<std::int64_t, 5> sizes(std::int64_t batch) const { return {batch * input_[0], input_[1], input_[2], out_h_, out_w_}; }
};

// A layer that is one separable map of (C, H, W) samples: a subclass gives its output's size for an input and the
// matrices of that map.
class SeparableMapLayer : public Layer {
 public:
  Shape build(const Shape& input, const BuildContext& ctx) final {
    if (input.rank() != 3) throw ShapeError(fmt::format("{} expects (channels, height, width) per sample, got {}", type(), input.str()));
    const auto [out_h, out_w] = output_size(input);
    SeparableMap::check_size(type(), input, out_h, out_w);  // before the matrices are built on the host
    map_.build(ctx.backend, ctx.dtype, input, matrix(input[1], out_h, 0), matrix(input[2], out_w, 1));
    return map_.output();
  }
  const Tensor& forward(const Tensor& x) final { return map_.forward(x); }
  const Tensor& backward(const Tensor& dy, bool need_input_grad) final {
    if (need_input_grad) return map_.backward(dy);
    no_dx_ = Tensor();
    return no_dx_;
  }

 protected:
  // The output's height and width; throws ShapeError naming the input where there is none.
  virtual std::pair<std::int64_t, std::int64_t> output_size(const Shape& input) const = 0;
  // The (out, in) matrix along an axis: 0 the height (A_h), 1 the width (A_w).
  virtual HostMatrix matrix(std::int64_t in, std::int64_t out, int axis) const = 0;

 private:
  SeparableMap map_;
  Tensor no_dx_;
};

}  // namespace nnplug
