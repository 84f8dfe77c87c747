#include "test_support.hpp"

namespace nnplug::test {

Tensor tensor(Backend& backend, const Shape& shape, const std::vector<double>& values, DType dtype) {
  Tensor t = backend.empty(shape, dtype);
  from_host(t, values);
  return t;
}

}  // namespace nnplug::test
