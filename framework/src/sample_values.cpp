#include "nnplug/framework/sample_values.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <numeric>

#include "nnplug/errors.hpp"

namespace nnplug {

namespace {
// v as the dtype holds it (float32 values are rounded), widened back to double for a table.
double in_dtype(double v, DType dtype) { return dtype == DType::Float64 ? v : static_cast<double>(static_cast<float>(v)); }

// Shuffled rows lie anywhere in a data set larger than the caches, so reading each one waits on memory: asking for
// the row `kPrefetchAhead` places on while decoding this one took a batch of the demo from 80 to 28 us here.
constexpr std::size_t kPrefetchAhead = 2;

// A batch of at least this many values is gathered on OpenMP's threads.
constexpr std::size_t kParallelValues = 1 << 15;

void prefetch_row(const void* row, std::size_t bytes) {
  const auto* p = static_cast<const char*>(row);
  for (std::size_t offset = 0; offset < bytes; offset += 64) __builtin_prefetch(p + offset);
}

// n byte codes looked up in `table` (256 values, or 256 per feature). Eight codes come from one 64-bit load: a
// byte at a time, the loads alone held the demo's batch to 75-105 us on an AMD EPYC (Zen 5); this way it takes 46-58.
template <bool per_feature, typename T>
void decode_codes(const std::uint8_t* codes, std::size_t n, const T* table, T* out) {
  const auto value = [&](std::size_t j, unsigned code) { return table[(per_feature ? j * 256 : 0) + code]; };
  std::size_t j = 0;
  if constexpr (std::endian::native == std::endian::little)
    for (; j + 8 <= n; j += 8) {
      std::uint64_t word;
      std::memcpy(&word, codes + j, 8);
#pragma GCC unroll 8
      for (std::size_t k = 0; k < 8; ++k) out[j + k] = value(j + k, static_cast<unsigned>(word >> (8 * k)) & 0xffu);
    }
  for (; j < n; ++j) out[j] = value(j, codes[j]);
}

// n codes decoded as code / divisor, where the table is that division (ByteCodes::divisor): the divisions run 16 or
// 8 to a vector, where the lookups ran one at a time (the demo's batch, 128 shuffled rows of 784 bytes, took 13 us
// on one thread of an AMD EPYC (Zen 5) this way, 31 by table, 23 by table on two threads). The loops are compiled
// for AVX2 as well, chosen when the framework loads (function multi-versioning, as the mpi communicator's): the
// framework's own code targets plain x86-64, whose vectors convert bytes to floats slowly (20 us for that batch).
#if defined(__x86_64__)
#define NNPLUG_AVX2_CLONE __attribute__((target_clones("avx2", "default")))
#else
#define NNPLUG_AVX2_CLONE
#endif

// Two overloads, not a template: clang 14 does not multiversion function templates.
NNPLUG_AVX2_CLONE void divide_codes(const std::uint8_t* codes, std::size_t n, float divisor, float* out) {
  for (std::size_t j = 0; j < n; ++j) out[j] = static_cast<float>(codes[j]) / divisor;
}

NNPLUG_AVX2_CLONE void divide_codes(const std::uint8_t* codes, std::size_t n, double divisor, double* out) {
  for (std::size_t j = 0; j < n; ++j) out[j] = static_cast<double>(codes[j]) / divisor;
}

// The number d for which every entry b of a table of 256 values in T is b / d computed in T, if there is one (0 if
// not). The candidates come from entries 255 and 1, and all 256 entries are checked, so that a table matched this
// way decodes to the same bits as by lookup.
template <typename T>
T divisor_of(const std::vector<T>& table) {
  if (table.size() != 256) return 0;
  for (const std::size_t b : {std::size_t{255}, std::size_t{1}}) {
    const T d = static_cast<T>(static_cast<double>(b) / static_cast<double>(table[b]));
    if (!std::isfinite(d) || d == 0) continue;
    bool all = true;
    for (std::size_t k = 0; k < 256 && all; ++k) {
      const T decoded = static_cast<T>(k) / d;
      all = decoded == table[k] && std::signbit(decoded) == std::signbit(table[k]);
    }
    if (all) return d;
  }
  return 0;
}
}  // namespace

void SampleValues::ByteCodes::set_table(std::vector<double> values) {
  for (double& v : values) v = in_dtype(v, dtype);
  table = std::move(values);
  narrow.assign(table.begin(), table.end());
  divisor = per_feature ? 0.0 : divisor_of(table);
  narrow_divisor = per_feature ? 0.0f : divisor_of(narrow);
}

SampleValues SampleValues::borrow(const void* data, std::size_t n, DType dtype, std::shared_ptr<const void> owner) {
  if (dtype != DType::Float32 && dtype != DType::Float64) throw Error("borrowed sample values must be float32 or float64");
  SampleValues out;
  out.values_ = Borrowed{data, n, dtype, std::move(owner)};
  return out;
}

SampleValues SampleValues::from_bytes(std::vector<std::uint8_t> bytes, std::size_t features, DType dtype,
                                      const std::function<double(std::uint8_t)>& value) {
  ByteCodes codes;
  codes.bytes = std::move(bytes);
  codes.features = std::max<std::size_t>(features, 1);
  codes.dtype = dtype;
  std::vector<double> table(256);
  for (int b = 0; b < 256; ++b) table[static_cast<std::size_t>(b)] = value(static_cast<std::uint8_t>(b));
  codes.set_table(std::move(table));
  SampleValues out;
  out.values_ = std::move(codes);
  return out;
}

DType SampleValues::dtype() const {
  if (const auto* codes = std::get_if<ByteCodes>(&values_)) return codes->dtype;
  if (const auto* view = std::get_if<Borrowed>(&values_)) return view->dtype;
  return values_.index() == 0 ? DType::Float32 : DType::Float64;
}

std::size_t SampleValues::size() const {
  if (const auto* codes = std::get_if<ByteCodes>(&values_)) return codes->bytes.size();
  if (const auto* view = std::get_if<Borrowed>(&values_)) return view->size;
  return values_.index() == 0 ? std::get<0>(values_).size() : std::get<1>(values_).size();
}

double SampleValues::operator[](std::size_t i) const {
  if (const auto* codes = std::get_if<ByteCodes>(&values_)) return codes->value(i);
  if (const auto* view = std::get_if<Borrowed>(&values_))
    return view->dtype == DType::Float64 ? view->values<double>()[i] : static_cast<double>(view->values<float>()[i]);
  return values_.index() == 0 ? static_cast<double>(std::get<0>(values_)[i]) : std::get<1>(values_)[i];
}

namespace {
// Whether a value is refused: not finite, unless it is a NaN (a missing value) where those are allowed.
bool refused(double v, bool nan_allowed) { return !std::isfinite(v) && !(nan_allowed && std::isnan(v)); }

// The first non-finite value of n, found a block at a time: the test of a block has no early exit, which keeps the
// scan a small part of a fit (Fashion-MNIST's 47 million floats: about 20 ms here, fit's own setup included).
template <typename T>
std::optional<std::size_t> first_non_finite_of(const T* values, std::size_t n, bool nan_allowed) {
  constexpr std::size_t kBlock = 4096;
  for (std::size_t begin = 0; begin < n; begin += kBlock) {
    const std::size_t end = std::min(n, begin + kBlock);
    bool all_finite = true;
    for (std::size_t i = begin; i < end; ++i) all_finite &= std::isfinite(values[i]);
    if (!all_finite)
      for (std::size_t i = begin; i < end; ++i)
        if (refused(values[i], nan_allowed)) return i;
  }
  return std::nullopt;
}
}  // namespace

std::optional<std::size_t> SampleValues::first_non_finite(bool nan_allowed) const {
  if (const auto* codes = std::get_if<ByteCodes>(&values_)) {
    if (first_non_finite_of(codes->table.data(), codes->table.size(), nan_allowed) == std::nullopt) return std::nullopt;
    for (std::size_t i = 0; i < codes->bytes.size(); ++i)
      if (refused(codes->value(i), nan_allowed)) return i;
    return std::nullopt;
  }
  if (const auto* view = std::get_if<Borrowed>(&values_))
    return view->dtype == DType::Float64 ? first_non_finite_of(view->values<double>(), view->size, nan_allowed)
                                         : first_non_finite_of(view->values<float>(), view->size, nan_allowed);
  if (values_.index() == 0) return first_non_finite_of(std::get<0>(values_).data(), std::get<0>(values_).size(), nan_allowed);
  return first_non_finite_of(std::get<1>(values_).data(), std::get<1>(values_).size(), nan_allowed);
}

void SampleValues::push_back(double value) {
  if (byte_coded()) throw Error("cannot append a value to byte-coded sample values");
  decode();
  if (values_.index() == 0) std::get<0>(values_).push_back(static_cast<float>(value));
  else std::get<1>(values_).push_back(value);
}

std::vector<double> SampleValues::doubles() const {
  std::vector<double> out(size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = (*this)[i];
  return out;
}

SampleValues SampleValues::decoded() const {
  if (const auto* view = std::get_if<Borrowed>(&values_)) {
    if (view->dtype == DType::Float64) return SampleValues(std::vector<double>(view->values<double>(), view->values<double>() + view->size));
    return SampleValues(std::vector<float>(view->values<float>(), view->values<float>() + view->size));
  }
  const auto* codes = std::get_if<ByteCodes>(&values_);
  if (!codes) return *this;
  SampleValues out(codes->dtype, codes->bytes.size());
  std::vector<std::int64_t> all(codes->bytes.size() / codes->features);
  std::iota(all.begin(), all.end(), std::int64_t{0});
  gather_rows(all, codes->features, out);
  return out;
}

SampleValues SampleValues::as(DType dtype) const {
  if (dtype == this->dtype()) return *this;
  SampleValues out = byte_coded() ? *this : SampleValues(dtype, 0);
  if (auto* codes = std::get_if<ByteCodes>(&out.values_)) {  // the bytes stay; the table is converted
    codes->dtype = dtype;
    codes->set_table(codes->table);
    return out;
  }
  visit([&](const auto& from) { out.visit([&](auto& to) { to.assign(from.begin(), from.end()); }); });
  return out;
}

void SampleValues::map_values(std::size_t features, bool per_feature, const std::function<double(double, std::size_t)>& map) {
  if (auto* codes = std::get_if<ByteCodes>(&values_)) {
    std::vector<double> table = codes->table;
    if (per_feature && !codes->per_feature) {  // one table per feature, each a copy of the shared one
      table.resize(256 * codes->features);
      for (std::size_t j = 1; j < codes->features; ++j) std::copy_n(codes->table.begin(), 256, table.begin() + static_cast<std::ptrdiff_t>(256 * j));
      codes->per_feature = true;
    }
    for (std::size_t k = 0; k < table.size(); ++k) table[k] = map(table[k], codes->per_feature ? k / 256 : 0);
    codes->set_table(std::move(table));
    return;
  }
  visit([&](auto& x) {
    using T = typename std::decay_t<decltype(x)>::value_type;
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<T>(map(static_cast<double>(x[i]), i % features));
  });
}

SampleValues SampleValues::select_rows(std::span<const std::int64_t> rows, std::size_t features) const {
  if (const auto* codes = std::get_if<ByteCodes>(&values_)) {
    SampleValues out;
    ByteCodes picked;  // the tables, not the bytes, copied
    picked.features = codes->features, picked.per_feature = codes->per_feature, picked.dtype = codes->dtype;
    picked.set_table(codes->table);
    picked.bytes.resize(rows.size() * features);
    for (std::size_t i = 0; i < rows.size(); ++i)
      std::copy_n(codes->bytes.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(rows[i]) * features), features,
                  picked.bytes.begin() + static_cast<std::ptrdiff_t>(i * features));
    out.values_ = std::move(picked);
    return out;
  }
  SampleValues out(dtype(), 0);
  gather_rows(rows, features, out);
  return out;
}

void SampleValues::gather_rows(std::span<const std::int64_t> rows, std::size_t features, SampleValues& out) const {
  if (out.byte_coded() || out.dtype() != dtype()) out = SampleValues(dtype(), 0);
  out.visit([&](auto& to) {
    to.resize(rows.size() * features);  // keeps its capacity
    gather_rows(rows, features, to.data());
  });
}

template <typename T>
void SampleValues::gather_rows(std::span<const std::int64_t> rows, std::size_t features, T* out) const {
  if (dtype() != dtype_of<T>()) throw Error("sample values gathered into memory of another dtype");
  const auto row_at = [&](std::size_t i) { return static_cast<std::size_t>(rows[i]) * features; };
  if (const auto* codes = std::get_if<ByteCodes>(&values_)) {
    const T* table = nullptr;
    T divisor = 0;
    if constexpr (std::is_same_v<T, float>) table = codes->narrow.data(), divisor = codes->narrow_divisor;
    else table = codes->table.data(), divisor = codes->divisor;
#pragma omp parallel for schedule(static) if (rows.size() * features >= kParallelValues)
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (i + kPrefetchAhead < rows.size()) prefetch_row(codes->bytes.data() + row_at(i + kPrefetchAhead), features);
      const std::uint8_t* src = codes->bytes.data() + row_at(i);
      if (divisor != 0) divide_codes(src, features, divisor, out + i * features);
      else if (codes->per_feature) decode_codes<true>(src, features, table, out + i * features);
      else decode_codes<false>(src, features, table, out + i * features);
    }
    return;
  }
  const auto* view = std::get_if<Borrowed>(&values_);
  const T* from = view ? view->values<T>() : std::get<std::vector<T>>(values_).data();
#pragma omp parallel for schedule(static) if (rows.size() * features >= kParallelValues)
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i + kPrefetchAhead < rows.size()) prefetch_row(from + row_at(i + kPrefetchAhead), features * sizeof(T));
    std::copy_n(from + row_at(i), features, out + i * features);
  }
}

template void SampleValues::gather_rows<float>(std::span<const std::int64_t>, std::size_t, float*) const;
template void SampleValues::gather_rows<double>(std::span<const std::int64_t>, std::size_t, double*) const;

bool SampleValues::operator==(const SampleValues& other) const {
  if (dtype() != other.dtype() || size() != other.size()) return false;
  if (!byte_coded() && !other.byte_coded() && !borrowed() && !other.borrowed()) return values_ == other.values_;
  for (std::size_t i = 0; i < size(); ++i)
    if ((*this)[i] != other[i]) return false;
  return true;
}

void SampleValues::for_each_block(const std::function<void(const void*, std::size_t)>& f) const {
  std::visit(
      [&](const auto& v) {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, ByteCodes>) {
          f(v.bytes.data(), v.bytes.size());
          f(v.table.data(), v.table.size() * sizeof(double));
        } else if constexpr (std::is_same_v<std::decay_t<decltype(v)>, Borrowed>) {
          f(v.data, v.size * dtype_size(v.dtype));
        } else {
          f(v.data(), v.size() * sizeof(v[0]));
        }
      },
      values_);
}

}  // namespace nnplug
