#pragma once
// Element types a tensor can hold. Float32 trains; Float64 exists for gradient checks; Int32 carries class labels.
// Its message is joined by hand, not with fmt, for the reason shape.hpp gives (nvcc compiles this header).
#include <cstddef>
#include <cstdint>
#include <string>

#include "nnplug/errors.hpp"

namespace nnplug {

enum class DType : std::uint8_t { Float32, Float64, Int32 };

constexpr std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::Float32: return 4;
    case DType::Float64: return 8;
    case DType::Int32: return 4;
  }
  return 0;
}

inline const char* dtype_name(DType t) {
  switch (t) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int32: return "int32";
  }
  return "?";
}

inline DType dtype_from_name(const std::string& name) {
  if (name == "float32") return DType::Float32;
  if (name == "float64") return DType::Float64;
  if (name == "int32") return DType::Int32;
  throw InvalidArgument("unknown dtype '" + name + "' (expected float32, float64 or int32)");
}

template <typename T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() { return DType::Float32; }
template <>
constexpr DType dtype_of<double>() { return DType::Float64; }
template <>
constexpr DType dtype_of<std::int32_t>() { return DType::Int32; }

}  // namespace nnplug
