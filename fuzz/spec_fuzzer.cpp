// Fuzz target: the spec parser and the readers every command applies to a spec, on arbitrary text: parse_spec,
// a --set override, and the sections' getters with the ranges the framework uses. Any input must either pass or
// throw nnplug::Error; anything else (a crash, a sanitizer report, an exception of another type) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "nnplug/errors.hpp"
#include "nnplug/framework/spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // The first line, when it has an '=', doubles as a --set override applied after parsing.
  const auto newline = text.find('\n');
  const std::string first = text.substr(0, newline);
  try {
    nnplug::Spec spec = nnplug::parse_spec(text, "fuzz.json");
    if (first.find('=') != std::string::npos) spec.set(first);
    const nnplug::Params top("fuzz.json", spec.json);
    (void)top.integer("seed", 0, 0);
    (void)top.string("dtype", "float32");
    for (const char* key : {"data", "training", "optimizer", "loss", "schedule", "augmentation", "search"}) {
      const nnplug::Params p = spec.section(key);
      (void)p.type();
      (void)p.number("lr", 0.0, 0.0);
      (void)p.integer("epochs", 1, 0, 1000000);
      (void)p.boolean("shuffle", true);
      (void)p.numbers("sample_shape", {}, 0, 1.0);
      (void)p.string("format", "");
      (void)spec.resolve(p.string("path", "x"));
    }
  } catch (const nnplug::Error&) {
  }
  return 0;
}
