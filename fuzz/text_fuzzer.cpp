// Fuzz target: text vectorization on arbitrary bytes. The first byte picks the settings (output mode, standardize,
// split, n-grams, a vocabulary cap); the rest, cut at each zero byte, are the texts. The vocabulary fitted on them must
// encode them to samples of its shape, survive its model-file form (valid JSON, every token UTF-8), and read back the
// same; texts without a token must be refused with InvalidArgument. A crash, a sanitizer report or a hang is a bug.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "nnplug/errors.hpp"
#include "nnplug/framework/text_vectorization.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  nnplug::TextSettings settings;
  const unsigned pick = data[0];
  settings.output = static_cast<nnplug::TextOutput>(pick % 4);
  settings.standardize = (pick >> 2) % 2 ? "none" : "lower_and_strip_punctuation";
  settings.split = (pick >> 3) % 2 ? "character" : "whitespace";
  settings.ngrams = 1 + (pick >> 4) % 3;
  settings.max_tokens = (pick >> 6) % 2 ? 0 : 5;
  std::vector<std::string> texts(1);
  for (std::size_t i = 1; i < size; ++i) {
    if (data[i] == 0) texts.emplace_back();
    else texts.back() += static_cast<char>(data[i]);
  }
  try {
    const auto vectorization = nnplug::TextVectorization::adapt(settings, texts);
    const nnplug::SampleValues values = vectorization.encode(texts, nnplug::DType::Float32);
    if (values.size() != texts.size() * static_cast<std::size_t>(vectorization.sample_shape()[0])) __builtin_trap();
    const std::string saved = vectorization.to_json().dump();  // throws on a token that is not UTF-8
    if (nnplug::TextVectorization::from_json(nlohmann::json::parse(saved)).to_json().dump() != saved) __builtin_trap();
  } catch (const nnplug::InvalidArgument&) {
  }
  return 0;
}
