#include "nnplug/framework/text_vectorization.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <unordered_set>

#include <fmt/format.h>

#include "nnplug/errors.hpp"
#include "nnplug/framework/input_file.hpp"

namespace nnplug {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
constexpr std::string_view kPunctuation = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'";
constexpr std::string_view kWhitespace = " \t\n\v\f\r";
constexpr std::int64_t kMaxNgrams = 8;
constexpr std::int64_t kMaxSequence = std::int64_t{1} << 20;
// Values an encoded set may hold in all (8 GiB in float32): a vocabulary of 20,000 one-hot over a million texts is
// refused with a message rather than by the allocator.
constexpr std::size_t kMaxEncodedValues = std::size_t{1} << 31;

TextOutput output_named(const std::string& name) {
  for (const TextOutput o : {TextOutput::Int, TextOutput::MultiHot, TextOutput::Count, TextOutput::TfIdf})
    if (name == text_output_name(o)) return o;
  throw InvalidArgument(fmt::format("must be \"int\", \"multi_hot\", \"count\" or \"tf_idf\", got \"{}\"", name));
}

void check_choice(const std::string& value, std::initializer_list<const char*> choices) {
  if (std::find(choices.begin(), choices.end(), value) != choices.end()) return;
  const std::vector<const char*> first(choices.begin(), choices.end() - 1);
  throw InvalidArgument(fmt::format("must be \"{}\" or \"{}\", got \"{}\"", fmt::join(first, "\", \""), *(choices.end() - 1), value));
}
void check_standardize(const std::string& v) { check_choice(v, {"lower_and_strip_punctuation", "lower", "strip_punctuation", "none"}); }
void check_split(const std::string& v) { check_choice(v, {"whitespace", "character"}); }
void check_end(const std::string& v) { check_choice(v, {"post", "pre"}); }

// The length of the UTF-8 character at text[i], or, where none begins there, minus the length of the maximal
// ill-formed run (Unicode's "maximal subpart", Python's unit of replacement).
std::ptrdiff_t utf8_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the second byte's range
  if (lead >= 0xC2 && lead <= 0xDF) length = 2;
  else if (lead >= 0xE0 && lead <= 0xEF) length = 3, low = lead == 0xE0 ? 0xA0 : 0x80, high = lead == 0xED ? 0x9F : 0xBF;
  else if (lead >= 0xF0 && lead <= 0xF4) length = 4, low = lead == 0xF0 ? 0x90 : 0x80, high = lead == 0xF4 ? 0x8F : 0xBF;
  else return -1;
  std::size_t k = 1;
  for (; k < length && i + k < text.size(); ++k) {
    const unsigned char b = byte(i + k);
    if (k == 1 ? (b < low || b > high) : (b < 0x80 || b > 0xBF)) break;
  }
  return k == length ? static_cast<std::ptrdiff_t>(length) : -static_cast<std::ptrdiff_t>(k);
}

// Whether each byte value is one of `chars`: a table, as every byte of every text is looked up.
std::array<bool, 256> byte_set(std::string_view chars) {
  std::array<bool, 256> set{};
  for (const char c : chars) set[static_cast<unsigned char>(c)] = true;
  return set;
}
const std::array<bool, 256> kIsPunctuation = byte_set(kPunctuation);
const std::array<bool, 256> kIsWhitespace = byte_set(kWhitespace);

std::string standardized(std::string_view text, const std::string& how) {
  std::string out = valid_utf8(text);
  if (how == "lower" || how == "lower_and_strip_punctuation")
    for (char& c : out)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  if (how == "strip_punctuation" || how == "lower_and_strip_punctuation")
    std::erase_if(out, [](char c) { return kIsPunctuation[static_cast<unsigned char>(c)]; });
  return out;
}

std::vector<std::string> split(const std::string& text, const std::string& how) {
  std::vector<std::string> pieces;
  if (how == "character") {
    for (std::size_t i = 0; i < text.size();) {
      const auto length = static_cast<std::size_t>(utf8_length(text, i));  // valid: the text went through valid_utf8
      pieces.emplace_back(text, i, length);
      i += length;
    }
    return pieces;
  }
  const auto space = [&](std::size_t i) { return kIsWhitespace[static_cast<unsigned char>(text[i])]; };
  for (std::size_t i = 0; i < text.size();) {
    if (space(i)) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && !space(end)) ++end;
    pieces.emplace_back(text, i, end - i);
    i = end;
  }
  return pieces;
}

bool reserved(const std::string& token) { return token.empty() || token == "[UNK]"; }

std::int64_t whole(const Json& j, const char* key, std::int64_t min, std::int64_t max) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer() || it->get<std::int64_t>() < min || it->get<std::int64_t>() > max)
    throw InvalidArgument(fmt::format("'{}' must be a whole number in [{}, {}]", key, min, max));
  return it->get<std::int64_t>();
}

std::string text_of(const Json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_string()) throw InvalidArgument(fmt::format("'{}' must be a string", key));
  return it->get<std::string>();
}

}  // namespace

std::vector<std::string> vocabulary_tokens(std::vector<std::string> entries, const TextSettings& settings,
                                           const std::function<std::string(std::size_t)>& where) {
  // The reserved tokens, where they open the list as get_vocabulary() gives them.
  const std::int64_t reserved_count = reserved_indices(settings.output);
  std::vector<std::string> prefix{"[UNK]"};
  if (reserved_count == 2) prefix.insert(prefix.begin(), "");
  const bool opened = entries.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), entries.begin());
  const std::size_t first = opened ? prefix.size() : 0;
  if (entries.size() == first) throw InvalidArgument(fmt::format("{}: the vocabulary holds no token", where(first)));
  if (settings.max_tokens > 0 && static_cast<std::int64_t>(entries.size() - first) > settings.max_tokens - reserved_count)
    throw InvalidArgument(fmt::format("{}: the vocabulary holds {} tokens, more than max_tokens {} leaves beside the {} reserved", where(entries.size() - 1),
                                      entries.size() - first, settings.max_tokens, reserved_count));
  std::unordered_set<std::string_view> seen;
  for (std::size_t i = first; i < entries.size(); ++i) {
    if (reserved(entries[i]))
      throw InvalidArgument(fmt::format("{}: \"{}\" is reserved (padding, or a token outside the vocabulary) and may only open the list", where(i), entries[i]));
    if (!seen.insert(entries[i]).second) throw InvalidArgument(fmt::format("{}: \"{}\" is given twice", where(i), entries[i]));
  }
  entries.erase(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(first));
  return entries;
}

std::vector<std::string> read_vocabulary(const std::filesystem::path& file, const TextSettings& settings) {
  const std::vector<unsigned char> bytes = read_input_bytes(file, "the vocabulary");
  std::vector<std::string> lines;
  for (std::size_t start = 0; start < bytes.size();) {
    std::size_t end = start;
    while (end < bytes.size() && bytes[end] != '\n') ++end;
    std::size_t stop = end;
    if (stop > start && bytes[stop - 1] == '\r') --stop;
    lines.push_back(valid_utf8(std::string_view(reinterpret_cast<const char*>(bytes.data()) + start, stop - start)));
    start = end + 1;
  }
  try {
    return vocabulary_tokens(std::move(lines), settings, [&](std::size_t i) { return fmt::format("{}:{}", file.string(), i + 1); });
  } catch (const InvalidArgument& e) {
    throw IoError(e.what());
  }
}

const char* text_output_name(TextOutput output) {
  switch (output) {
    case TextOutput::Int: return "int";
    case TextOutput::MultiHot: return "multi_hot";
    case TextOutput::Count: return "count";
    case TextOutput::TfIdf: return "tf_idf";
  }
  return "int";
}

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    std::size_t ascii = i;  // a run of ASCII, most texts' all, is taken whole
    while (ascii < text.size() && static_cast<unsigned char>(text[ascii]) < 0x80) ++ascii;
    out.append(text.substr(i, ascii - i));
    if ((i = ascii) == text.size()) break;
    const std::ptrdiff_t length = utf8_length(text, i);
    if (length > 0) out.append(text.substr(i, static_cast<std::size_t>(length)));
    else out.append(kReplacement);
    i += static_cast<std::size_t>(length > 0 ? length : -length);
  }
  return out;
}

TextSettings text_settings(const Params& text) {
  TextSettings s;
  const auto checked = [&](const char* key, auto check, const std::string& value) {
    try {
      check(value);
    } catch (const InvalidArgument& e) {
      text.fail(key, e.what());
    }
    return value;
  };
  s.output = output_named(checked("output_mode", output_named, text.string("output_mode", "int")));
  s.standardize = checked("standardize", check_standardize, text.string("standardize", s.standardize));
  s.split = checked("split", check_split, text.string("split", s.split));
  s.ngrams = text.integer("ngrams", 1, 1, kMaxNgrams);
  if (text.has("max_tokens")) s.max_tokens = text.require_integer("max_tokens", reserved_indices(s.output) + 1);
  if (text.has("output_sequence_length")) {
    if (s.output != TextOutput::Int)
      text.fail("output_sequence_length", fmt::format("sets the length of output_mode \"int\"'s sequences; output_mode \"{}\" gives one value per "
                                               "vocabulary index", text_output_name(s.output)));
    s.sequence_length = text.require_integer("output_sequence_length", 1, kMaxSequence);
  }
  for (const char* key : {"padding", "truncating"}) {
    if (text.has(key) && s.output != TextOutput::Int)
      text.fail(key, fmt::format("places output_mode \"int\"'s sequences; output_mode \"{}\" has none", text_output_name(s.output)));
    (key[0] == 'p' ? s.pad_front : s.cut_front) = checked(key, check_end, text.string(key, "post")) == "pre";
  }
  return s;
}

std::vector<std::string> TextVectorization::tokens(std::string_view text) const {
  std::vector<std::string> unigrams = split(standardized(text, settings_.standardize), settings_.split);
  std::vector<std::string> out = unigrams;
  for (std::size_t width = 2; width <= static_cast<std::size_t>(settings_.ngrams); ++width)
    for (std::size_t i = 0; i + width <= unigrams.size(); ++i) {
      std::string gram = unigrams[i];
      for (std::size_t k = 1; k < width; ++k) (gram += ' ') += unigrams[i + k];
      out.push_back(std::move(gram));
    }
  return out;
}

TextVectorization TextVectorization::adapt(const TextSettings& settings, const std::vector<std::string>& texts) {
  TextVectorization v;
  v.settings_ = settings;
  using Counts = std::unordered_map<std::string, std::pair<std::int64_t, std::int64_t>>;  // token -> (count, documents)
  Counts counts;
  std::int64_t longest = 0;
  // Each thread counts its share of the texts; the shares are summed after.
#pragma omp parallel reduction(max : longest)
  {
    Counts share;
#pragma omp for schedule(dynamic, 64) nowait
    for (std::size_t n = 0; n < texts.size(); ++n) {
      const std::vector<std::string> tokens = v.tokens(texts[n]);
      longest = std::max(longest, static_cast<std::int64_t>(tokens.size()));
      std::unordered_set<std::string_view> seen;
      for (const std::string& token : tokens) {
        auto& [count, documents] = share[token];
        ++count;
        if (seen.insert(token).second) ++documents;
      }
    }
#pragma omp critical
    for (auto& [token, tally] : share) {
      auto& total = counts[token];
      total.first += tally.first, total.second += tally.second;
    }
  }
  std::vector<std::pair<std::string, std::pair<std::int64_t, std::int64_t>>> ranked;
  if (!settings.vocabulary.empty()) {
    for (const std::string& token : settings.vocabulary) {
      const auto it = counts.find(token);
      ranked.emplace_back(token, it == counts.end() ? std::pair<std::int64_t, std::int64_t>{0, 0} : it->second);
    }
  } else {
    std::erase_if(counts, [](const auto& entry) { return reserved(entry.first); });
    if (counts.empty()) throw InvalidArgument(fmt::format("the {} training texts hold no token to build a vocabulary from", texts.size()));
    ranked.assign(counts.begin(), counts.end());
    // Keras's order: by count, then by the token's bytes, both descending (numpy's lexsort, reversed).
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
      return a.second.first != b.second.first ? a.second.first > b.second.first : a.first > b.first;
    });
    if (settings.max_tokens > 0 && static_cast<std::int64_t>(ranked.size()) > settings.max_tokens - v.first_token())
      ranked.resize(static_cast<std::size_t>(settings.max_tokens - v.first_token()));
  }
  for (auto& [token, tally] : ranked) v.tokens_.push_back(token);
  if (settings.output == TextOutput::Int && v.settings_.sequence_length == 0) v.settings_.sequence_length = std::clamp<std::int64_t>(longest, 1, kMaxSequence);
  if (settings.output == TextOutput::TfIdf) {
    const auto documents = static_cast<double>(texts.size());
    v.idf_.assign(1, 0.0);  // the out-of-vocabulary index's: the mean, below
    for (const auto& [token, tally] : ranked) v.idf_.push_back(std::log(1.0 + documents / (1.0 + static_cast<double>(tally.second))));
    double sum = 0.0;
    for (std::size_t i = 1; i < v.idf_.size(); ++i) sum += v.idf_[i];
    v.idf_[0] = sum / static_cast<double>(v.idf_.size() - 1);
  }
  v.index_tokens();
  return v;
}

void TextVectorization::index_tokens() {
  index_.clear();
  for (std::size_t i = 0; i < tokens_.size(); ++i) index_.emplace(tokens_[i], first_token() + static_cast<std::int64_t>(i));
}

std::int64_t TextVectorization::index_of(const std::string& token) const {
  const auto it = index_.find(token);
  return it == index_.end() ? first_token() - 1 : it->second;
}

std::vector<std::string> TextVectorization::vocabulary() const {
  std::vector<std::string> out;
  if (settings_.output == TextOutput::Int) out.emplace_back();
  out.emplace_back("[UNK]");
  out.insert(out.end(), tokens_.begin(), tokens_.end());
  return out;
}

Shape TextVectorization::sample_shape() const { return Shape{settings_.output == TextOutput::Int ? settings_.sequence_length : size()}; }

SampleValues TextVectorization::encode(const std::vector<std::string>& texts, DType dtype) const {
  const auto width = static_cast<std::size_t>(sample_shape()[0]);
  if (texts.size() > kMaxEncodedValues / width)
    throw InvalidArgument(fmt::format("{} texts of {} values each hold more than {} values; lower max_tokens or output_sequence_length", texts.size(),
                                      width, kMaxEncodedValues));
  SampleValues out(dtype, texts.size() * width);
  out.visit([&](auto& values) {
    using T = typename std::decay_t<decltype(values)>::value_type;
#pragma omp parallel for schedule(dynamic, 64)
    for (std::size_t n = 0; n < texts.size(); ++n) {
      T* row = values.data() + n * width;
      const std::vector<std::string> tokens = this->tokens(texts[n]);
      if (settings_.output == TextOutput::Int) {
        const std::size_t kept = std::min(width, tokens.size());
        const std::size_t first = settings_.cut_front ? tokens.size() - kept : 0, at = settings_.pad_front ? width - kept : 0;
        for (std::size_t t = 0; t < kept; ++t) row[at + t] = static_cast<T>(index_of(tokens[first + t]));
        continue;
      }
      for (const std::string& token : tokens) {
        const auto i = static_cast<std::size_t>(index_of(token));
        row[i] = settings_.output == TextOutput::MultiHot ? T(1) : row[i] + T(1);
      }
      if (settings_.output == TextOutput::TfIdf)
        for (std::size_t i = 0; i < width; ++i) row[i] = static_cast<T>(static_cast<double>(row[i]) * idf_[i]);
    }
  });
  return out;
}

Json TextVectorization::to_json() const {
  Json j = {{"standardize", settings_.standardize}, {"split", settings_.split},       {"ngrams", settings_.ngrams},
            {"max_tokens", settings_.max_tokens},   {"output_mode", text_output_name(settings_.output)}, {"tokens", tokens_}};
  if (settings_.output == TextOutput::Int) {
    j["output_sequence_length"] = settings_.sequence_length;
    j["padding"] = settings_.pad_front ? "pre" : "post";
    j["truncating"] = settings_.cut_front ? "pre" : "post";
  }
  if (settings_.output == TextOutput::TfIdf) j["idf"] = idf_;
  return j;
}

TextVectorization TextVectorization::from_json(const Json& j) {
  if (!j.is_object()) throw InvalidArgument("must be an object of the text settings and tokens");
  TextVectorization v;
  TextSettings& s = v.settings_;
  const auto named = [](const char* key, auto check, const std::string& value) {
    try {
      check(value);
    } catch (const InvalidArgument& e) {
      throw InvalidArgument(fmt::format("'{}' {}", key, e.what()));
    }
    return value;
  };
  s.output = output_named(named("output_mode", output_named, text_of(j, "output_mode")));
  s.standardize = named("standardize", check_standardize, text_of(j, "standardize"));
  s.split = named("split", check_split, text_of(j, "split"));
  s.ngrams = whole(j, "ngrams", 1, kMaxNgrams);
  s.max_tokens = whole(j, "max_tokens", 0, std::numeric_limits<std::int64_t>::max());
  if (s.output == TextOutput::Int) {
    s.sequence_length = whole(j, "output_sequence_length", 1, kMaxSequence);
    s.pad_front = j.contains("padding") && named("padding", check_end, text_of(j, "padding")) == "pre";
    s.cut_front = j.contains("truncating") && named("truncating", check_end, text_of(j, "truncating")) == "pre";
  }
  const auto tokens = j.find("tokens");
  if (tokens == j.end() || !tokens->is_array() || tokens->empty() ||
      !std::all_of(tokens->begin(), tokens->end(), [](const Json& t) { return t.is_string(); }))
    throw InvalidArgument("'tokens' must be a list of one or more strings");
  std::vector<std::string> learned = tokens->get<std::vector<std::string>>();
  if (reserved(learned.front())) throw InvalidArgument("'tokens'[0] is a reserved token; the file keeps the learned tokens alone");
  v.tokens_ = vocabulary_tokens(std::move(learned), s, [](std::size_t i) { return fmt::format("'tokens'[{}]", i); });
  v.index_tokens();
  if (s.output == TextOutput::TfIdf) {
    const auto idf = j.find("idf");
    if (idf == j.end() || !idf->is_array() || static_cast<std::int64_t>(idf->size()) != v.size())
      throw InvalidArgument(fmt::format("'idf' must be a list of {} weights, one per vocabulary index", v.size()));
    for (const auto& w : *idf) {
      if (!w.is_number() || !std::isfinite(w.get<double>()) || w.get<double>() < 0)
        throw InvalidArgument(fmt::format("'idf' must hold finite weights of 0 or more, got {}", Params::shown(w)));
      v.idf_.push_back(w.get<double>());
    }
  }
  return v;
}

}  // namespace nnplug
