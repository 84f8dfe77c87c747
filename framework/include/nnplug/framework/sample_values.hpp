#pragma once
// A data set's sample values on the host, in the dtype the model computes in: float32 for training (half the
// memory of doubles), float64 for a float64 model, so that its inputs are what a float64 PyTorch pipeline feeds
// it (pixel / 255 and CSV values computed in double, not float32 values widened).
//
// Values read from bytes (IDX pixels) stay bytes: a quarter of float32's memory, decoded as batches are gathered.
// Each byte stands for one of 256 values, held in a table (one for every feature, or one per feature once a
// per-feature map was applied); maps of single values (the division by 255, standardization) map the table, so a
// decoded value is bit for bit what the same arithmetic on a float gives.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
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
  // n values of dtype (Float32 or Float64) at `data`, which `owner` keeps alive, read where they are (a NumPy
  // array's memory): nothing is copied until something would change them, which works on a copy.
  static SampleValues borrow(const void* data, std::size_t n, DType dtype, std::shared_ptr<const void> owner);
  // Bytes, each standing for value(byte) in `dtype` (rounded to it); `features` values make one sample.
  static SampleValues from_bytes(std::vector<std::uint8_t> bytes, std::size_t features, DType dtype,
                                 const std::function<double(std::uint8_t)>& value);

  DType dtype() const;
  std::size_t size() const;
  bool empty() const { return size() == 0; }
  bool byte_coded() const { return std::holds_alternative<ByteCodes>(values_); }
  bool borrowed() const { return std::holds_alternative<Borrowed>(values_); }

  // Calls f with the std::vector<float> or std::vector<double> that holds the values: loops over many values
  // run inside f, at their own type. Byte-coded and borrowed values become plain values first: in place, or for
  // the const form in a copy that f sees.
  template <typename F>
  decltype(auto) visit(F&& f) {
    decode();
    if (auto* d = std::get_if<std::vector<double>>(&values_)) return f(*d);
    return f(std::get<std::vector<float>>(values_));
  }
  template <typename F>
  decltype(auto) visit(F&& f) const {
    if (byte_coded() || borrowed()) return decoded().visit(std::forward<F>(f));
    if (const auto* d = std::get_if<std::vector<double>>(&values_)) return f(*d);
    return f(std::get<std::vector<float>>(values_));
  }

  double operator[](std::size_t i) const;
  // The index of the first NaN or infinity, if any, read where the values are (nothing is decoded or copied).
  // With nan_allowed, a NaN (a missing value, which preprocessing fills) passes and only infinities are found.
  std::optional<std::size_t> first_non_finite(bool nan_allowed = false) const;
  void push_back(double value);  // plain values only
  // The values widened to double (checks and tests).
  std::vector<double> doubles() const;
  // The values in `dtype`: widened, or rounded to float32 (byte-coded values stay so, with their table converted).
  SampleValues as(DType dtype) const;
  // The values as plain floats or doubles, held here.
  SampleValues decoded() const;
  void decode() { if (byte_coded() || borrowed()) *this = decoded(); }

  // Replaces every value v of feature j (its index modulo `features`) by map(v, j), rounded to the dtype. Byte-coded
  // values map their tables (one per feature when per_feature).
  void map_values(std::size_t features, bool per_feature, const std::function<double(double, std::size_t)>& map);
  // Rows (samples of `features` values) at these indices: select_rows keeps byte codes, gather_rows decodes them
  // into `out`, plain values of the same dtype (its capacity kept, for a trainer's batch buffer).
  SampleValues select_rows(std::span<const std::int64_t> rows, std::size_t features) const;
  void gather_rows(std::span<const std::int64_t> rows, std::size_t features, SampleValues& out) const;
  // The same into memory of rows.size() * features values of the values' dtype (float or double, as dtype()).
  template <typename T>
  void gather_rows(std::span<const std::int64_t> rows, std::size_t features, T* out) const;
  // Calls f(data, bytes) on each block of memory that holds the values (and their tables), to fingerprint them.
  void for_each_block(const std::function<void(const void*, std::size_t)>& f) const;

  // The same dtype and the same values, however they are stored.
  bool operator==(const SampleValues& other) const;

 private:
  struct ByteCodes {
    std::vector<std::uint8_t> bytes;
    std::size_t features = 1;
    bool per_feature = false;    // 256 table entries per feature, else 256 for all
    std::vector<double> table;   // each entry exact in dtype
    std::vector<float> narrow;   // the table as float32 values, for decoding float32 batches
    // Where the shared table is a division, entry b being b / d in dtype (pixels over divide_by), d for `table` and
    // for `narrow` (each 0 where it is not): such codes are decoded by dividing, not by lookup.
    double divisor = 0;
    float narrow_divisor = 0;
    DType dtype = DType::Float32;
    void set_table(std::vector<double> values);  // rounds them to dtype and fills `narrow` and the divisors
    double value(std::size_t i) const { return table[(per_feature ? i % features * 256 : 0) + bytes[i]]; }
    bool operator==(const ByteCodes&) const = default;
  };
  struct Borrowed {
    const void* data = nullptr;
    std::size_t size = 0;
    DType dtype = DType::Float32;
    std::shared_ptr<const void> owner;
    template <typename T>
    const T* values() const { return static_cast<const T*>(data); }
    bool operator==(const Borrowed& o) const { return data == o.data && size == o.size && dtype == o.dtype; }
  };
  std::variant<std::vector<float>, std::vector<double>, ByteCodes, Borrowed> values_;
};

}  // namespace nnplug
