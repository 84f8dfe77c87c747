#pragma once
// A data set's sample values on the host, in the dtype the model computes in: float32 for training (half the
// memory of doubles), float64 for a float64 model, so that its inputs are what a float64 PyTorch pipeline feeds
// it (pixel / 255 and CSV values computed in double, not float32 values widened).
#include <cstddef>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "nnplug/dtype.hpp"

namespace nnplug {

class SampleValues {
 public:
  SampleValues() = default;
  SampleValues(std::vector<float> values) : values_(std::move(values)) {}
  SampleValues(std::vector<double> values) : values_(std::move(values)) {}
  // n zeros of dtype (Float32 or Float64).
  SampleValues(DType dtype, std::size_t n) {
    if (dtype == DType::Float64) values_ = std::vector<double>(n);
    else values_ = std::vector<float>(n);
  }

  DType dtype() const { return values_.index() == 0 ? DType::Float32 : DType::Float64; }
  std::size_t size() const { return std::visit([](const auto& v) { return v.size(); }, values_); }
  bool empty() const { return size() == 0; }
  // Calls f with the std::vector<float> or std::vector<double> that holds the values: loops over many values
  // run inside f, at their own type.
  template <typename F>
  decltype(auto) visit(F&& f) { return std::visit(std::forward<F>(f), values_); }
  template <typename F>
  decltype(auto) visit(F&& f) const { return std::visit(std::forward<F>(f), values_); }

  double operator[](std::size_t i) const { return std::visit([i](const auto& v) { return static_cast<double>(v[i]); }, values_); }
  void push_back(double value) {
    std::visit([value](auto& v) { v.push_back(static_cast<typename std::decay_t<decltype(v)>::value_type>(value)); }, values_);
  }
  // The values widened to double (checks and tests).
  std::vector<double> doubles() const {
    return std::visit([](const auto& v) { return std::vector<double>(v.begin(), v.end()); }, values_);
  }
  // The values in `dtype`: widened, or rounded to float32.
  SampleValues as(DType dtype) const {
    if (dtype == this->dtype()) return *this;
    SampleValues out(dtype, 0);
    std::visit([&](const auto& from) { std::visit([&](auto& to) { to.assign(from.begin(), from.end()); }, out.values_); }, values_);
    return out;
  }
  bool operator==(const SampleValues&) const = default;

 private:
  std::variant<std::vector<float>, std::vector<double>> values_;
};

}  // namespace nnplug
