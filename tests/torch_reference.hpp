#pragma once
// tests/fixtures/torch_reference.json, the values PyTorch computed (make_torch_reference.py), read once.
#include <fstream>
#include <stdexcept>
#include <string>

#include "nnplug/params.hpp"

namespace nnplug::test {

inline const Params::Json& torch_reference() {
  static const Params::Json j = [] {
    std::ifstream in(TORCH_REFERENCE);
    if (!in) throw std::runtime_error(std::string("cannot open ") + TORCH_REFERENCE);
    return Params::Json::parse(in);
  }();
  return j;
}

}  // namespace nnplug::test
