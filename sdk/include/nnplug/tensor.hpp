#pragma once
// Tensor: a view (dtype, shape, element offset) into a Buffer that a Backend owns. The memory may live on a
// device, so code outside the owning backend never dereferences it: layers and optimizers ask the backend to run
// ops on tensors, and copy to or from the host only through Backend::upload / Backend::download.
// Views are contiguous and, unless their layout says otherwise, row-major (strides() gives a row-major view's); a
// view keeps its buffer (and thereby its backend and plugin) alive.
//
// Layout::ChannelBlocks16 is an (N, C, H, W) tensor, C a multiple of 16, whose memory holds (N, C/16, H, W, 16):
// the 16 channels of a block side by side for each pixel (oneDNN's nChw16c). Convolution libraries compute in it,
// so a backend may keep activations between convolutions in it instead of reordering them at every op. Only a
// backend that offers the layout creates such tensors; to_host() and from_host() see their values in row-major
// order, as for any tensor; reshape() refuses them, and rows() keeps them (samples stay outermost).
// Its messages are joined by hand, not with fmt, for the reason shape.hpp gives (nvcc compiles this header).
#include <cstddef>
#include <memory>
#include <string>

#include "nnplug/dtype.hpp"
#include "nnplug/export.hpp"
#include "nnplug/shape.hpp"

namespace nnplug {

class Backend;

// A block of backend-owned memory. data() is a host pointer on the CPU backend and a device pointer elsewhere.
class NNPLUG_API Buffer {
 public:
  virtual ~Buffer() = default;
  virtual void* data() = 0;
  virtual std::size_t bytes() const = 0;
  virtual Backend& backend() = 0;
};

enum class Layout : std::uint8_t { RowMajor, ChannelBlocks16 };

inline constexpr std::int64_t kChannelBlock = 16;

class Tensor {
 public:
  Tensor() = default;
  Tensor(std::shared_ptr<Buffer> buffer, DType dtype, Shape shape, std::size_t offset = 0, Layout layout = Layout::RowMajor)
      : buffer_(std::move(buffer)), dtype_(dtype), shape_(shape), offset_(offset), layout_(layout) {
    // The view's end in bytes, checked so that a hostile shape cannot wrap around to fit.
    const std::int64_t count = buffer_ ? shape_.numel() : 0;
    std::size_t end = 0;
    if (buffer_ && (count < 0 || __builtin_add_overflow(offset_, static_cast<std::size_t>(count), &end) ||
                    __builtin_mul_overflow(end, dtype_size(dtype_), &end) || end > buffer_->bytes()))
      throw ShapeError("tensor view " + shape_.str() + " does not fit its buffer of " +
                       std::to_string(buffer_->bytes()) + " bytes");
    if (layout_ == Layout::ChannelBlocks16 && (shape_.rank() != 4 || shape_[1] % kChannelBlock != 0))
      throw ShapeError("a tensor in channel blocks of 16 is (N, C, H, W) with C a multiple of 16, not " + shape_.str());
  }

  bool defined() const { return buffer_ != nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  std::int64_t numel() const { return shape_.numel(); }
  std::int64_t dim(int i) const { return shape_[i]; }
  int rank() const { return shape_.rank(); }
  std::size_t bytes() const { return static_cast<std::size_t>(numel()) * dtype_size(dtype_); }
  // Elements to step over per index of each dimension: row-major, so the last stride is 1.
  Shape strides() const {
    Shape s = shape_;
    std::int64_t step = 1;
    for (int i = shape_.rank(); i-- > 0;) {
      s[i] = step;
      step *= shape_[i];
    }
    return s;
  }
  Layout layout() const { return layout_; }
  bool row_major() const { return layout_ == Layout::RowMajor; }
  Backend& backend() const { return buffer_->backend(); }
  const std::shared_ptr<Buffer>& buffer() const { return buffer_; }
  std::size_t offset() const { return offset_; }

  // Backend use only: the address of the first element (a device address on device backends).
  template <typename T = void>
  T* data() const {
    return reinterpret_cast<T*>(static_cast<char*>(buffer_->data()) + offset_ * dtype_size(dtype_));
  }

  // The same elements seen with another shape of equal element count.
  Tensor reshape(const Shape& s) const {
    if (s.numel() != numel())
      throw ShapeError("cannot reshape " + shape_.str() + " to " + s.str() + ": element counts differ");
    if (!row_major() && !(s == shape_))
      throw ShapeError("cannot reshape " + describe() + " to " + s.str() + ": its elements are not in row-major order");
    return Tensor(buffer_, dtype_, s, offset_, layout_);
  }

  // Rows [begin, end) of the leading dimension.
  Tensor rows(std::int64_t begin, std::int64_t end) const {
    if (begin < 0 || end < begin || end > shape_[0])
      throw ShapeError("rows [" + std::to_string(begin) + ", " + std::to_string(end) + ") out of range for " +
                       shape_.str());
    Shape s = shape_;
    s[0] = end - begin;
    return Tensor(buffer_, dtype_, s, offset_ + static_cast<std::size_t>(begin * (numel() / shape_[0])), layout_);
  }

  std::string describe() const {
    return std::string(dtype_name(dtype_)) + shape_.str() + (row_major() ? "" : " in channel blocks of 16");
  }

 private:
  std::shared_ptr<Buffer> buffer_;
  DType dtype_ = DType::Float32;
  Shape shape_;
  std::size_t offset_ = 0;
  Layout layout_ = Layout::RowMajor;
};

// Where element (n, c, h, w) of an (N, C, H, W) tensor in channel blocks of 16 lies, counted in elements.
inline std::int64_t channel_block_offset(const Shape& s, std::int64_t n, std::int64_t c, std::int64_t h, std::int64_t w) {
  return (((n * (s[1] / kChannelBlock) + c / kChannelBlock) * s[2] + h) * s[3] + w) * kChannelBlock + c % kChannelBlock;
}

}  // namespace nnplug
