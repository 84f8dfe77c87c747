#pragma once
// Shape: the extents of a tensor, outermost first (samples are rows; images are NCHW).
// Fixed capacity, so that creating and copying tensor views on the training hot path never allocates.
// Its messages are joined by hand, not with fmt: nvcc compiles this header (the CUDA kernels include ops.hpp)
// and cannot compile fmt 9's headers in C++20.
#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "nnplug/errors.hpp"

namespace nnplug {

class Shape {
 public:
  static constexpr int kMaxRank = 6;

  Shape() = default;
  Shape(std::initializer_list<std::int64_t> dims) { assign(dims.begin(), dims.end()); }
  explicit Shape(const std::vector<std::int64_t>& dims) { assign(dims.begin(), dims.end()); }

  int rank() const { return rank_; }
  std::int64_t operator[](int i) const { return dims_[static_cast<std::size_t>(i)]; }
  std::int64_t& operator[](int i) { return dims_[static_cast<std::size_t>(i)]; }
  const std::int64_t* begin() const { return dims_.data(); }
  const std::int64_t* end() const { return dims_.data() + rank_; }

  // Checked: a product past 64 bits (a hostile spec's units of 2^62) is a ShapeError, not a count wrapped around to
  // a small one that memory is then allocated for.
  std::int64_t numel() const {
    std::int64_t n = 1;
    for (int i = 0; i < rank_; ++i)
      if (__builtin_mul_overflow(n, dims_[static_cast<std::size_t>(i)], &n))
        throw ShapeError("shape " + str() + " holds more elements than 64 bits count");
    return n;
  }

  // The same shape with a leading batch dimension: per-sample [784] becomes [n, 784].
  Shape with_batch(std::int64_t n) const {
    Shape s;
    s.push_back(n);
    for (auto d : *this) s.push_back(d);
    return s;
  }
  // The shape without its leading dimension.
  Shape without_batch() const {
    Shape s;
    for (int i = 1; i < rank_; ++i) s.push_back(dims_[static_cast<std::size_t>(i)]);
    return s;
  }

  void push_back(std::int64_t d) {
    if (rank_ == kMaxRank) throw ShapeError("shape has more than " + std::to_string(kMaxRank) + " dimensions");
    dims_[static_cast<std::size_t>(rank_++)] = d;
  }

  friend bool operator==(const Shape& a, const Shape& b) {
    if (a.rank_ != b.rank_) return false;
    for (int i = 0; i < a.rank_; ++i)
      if (a[i] != b[i]) return false;
    return true;
  }

  std::string str() const {
    std::string s = "[";
    for (int i = 0; i < rank_; ++i) s += (i ? ", " : "") + std::to_string(dims_[static_cast<std::size_t>(i)]);
    return s + "]";
  }

 private:
  template <typename It>
  void assign(It first, It last) {
    for (; first != last; ++first) push_back(*first);
  }

  std::array<std::int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

}  // namespace nnplug
