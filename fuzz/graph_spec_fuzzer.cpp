// Fuzz target: the graph a spec's "layers" and "blocks" describe (names, inputs, blocks with parameters, repeats,
// "when"), expanded as training and model files expand it, on arbitrary text. Block files resolve against the
// working directory, where the fuzzer finds none: their errors are covered by the tests. Any input must either
// pass or throw nnplug::Error; anything else (a crash, a hang, a sanitizer report) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "nnplug/errors.hpp"
#include "nnplug/framework/graph_spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const nnplug::Spec spec = nnplug::parse_spec(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json");
    (void)nnplug::expand_layers(spec);
    (void)nnplug::expand_layers(nnplug::Spec{spec.path, nnplug::with_block_files_inlined(spec), spec.name});
  } catch (const nnplug::Error&) {
  }
  return 0;
}
