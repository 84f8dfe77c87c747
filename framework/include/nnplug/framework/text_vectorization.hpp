#pragma once
// Text to numbers as Keras's TextVectorization layer turns it, fitted (adapt) on the training texts and kept with the
// model, so that predict reads new texts as training did:
//   standardize: "lower_and_strip_punctuation" (the default: ASCII letters to lower case, then the 32 ASCII punctuation
//                marks removed, so "Don't!" is "dont"), "lower", "strip_punctuation" or "none";
//   split:       "whitespace" (runs of ASCII space, tab, line break, vertical tab, form feed, carriage return) or
//                "character" (each Unicode character);
//   ngrams:      n: every run of 1 to n tokens, joined by one space, the unigrams first and then each longer width;
//   vocabulary:  the tokens by count, most frequent first, ties in descending order of their bytes (Keras's order),
//                cut at max_tokens, which counts the reserved indices as Keras does; or the tokens given (a file of one
//                token per line, as Keras's vocabulary=), whose document frequencies tf_idf still takes from the texts;
//   output_mode: "int": each token's index in a sequence of output_sequence_length, cut or padded at its end with 0
//                (index 0 is padding, 1 an out-of-vocabulary token, tokens from 2); "multi_hot", "count" or "tf_idf":
//                one value per vocabulary index (0 the out-of-vocabulary tokens, tokens from 1): whether the text holds
//                it, how often, or that count times the index's inverse document frequency log(1 + documents / (1 +
//                documents holding it)), the out-of-vocabulary index taking the mean of the tokens'.
// Texts are read as UTF-8: bytes that are not UTF-8 are read as U+FFFD, one for each maximal ill-formed run, as Python's
// errors="replace" reads them, so that every token is text a model file can keep.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "nnplug/dtype.hpp"
#include "nnplug/framework/sample_values.hpp"
#include "nnplug/params.hpp"
#include "nnplug/shape.hpp"

namespace nnplug {

enum class TextOutput { Int, MultiHot, Count, TfIdf };
const char* text_output_name(TextOutput output);  // as the data section's output_mode names it
// The indices before the first token: padding and out-of-vocabulary for "int", out-of-vocabulary for the others.
inline std::int64_t reserved_indices(TextOutput output) { return output == TextOutput::Int ? 2 : 1; }

struct TextSettings {
  std::string standardize = "lower_and_strip_punctuation";
  std::string split = "whitespace";
  std::int64_t ngrams = 1;
  std::int64_t max_tokens = 0;       // 0: every token the texts hold
  std::int64_t sequence_length = 0;  // "int" only; 0: the longest training text's token count
  // "int" only: where a short sequence's padding goes and a long one is cut, "post" (the end, as TextVectorization)
  // or "pre" (the start, as Keras's pad_sequences: a recurrent layer then ends on the text's last tokens).
  bool pad_front = false, cut_front = false;
  TextOutput output = TextOutput::Int;
  std::vector<std::string> vocabulary;  // the tokens from index 2 ("int") or 1 on; empty: learned from the texts
};

// The data section's "text" object (Keras's TextVectorization arguments: max_tokens, output_sequence_length,
// output_mode, standardize, split, ngrams, and padding and truncating), each field checked and named when it is wrong.
// The vocabulary file it may name is read by read_vocabulary.
TextSettings text_settings(const Params& text);

// Tokens given as a vocabulary (Keras's vocabulary=), checked: the reserved tokens may open the list as get_vocabulary()
// gives them ("" and "[UNK]" for "int", "[UNK]" for the others), and are taken off; elsewhere a reserved token, a token
// given twice or more tokens than max_tokens leaves are refused with InvalidArgument, where(i) naming entry i.
std::vector<std::string> vocabulary_tokens(std::vector<std::string> entries, const TextSettings& settings,
                                           const std::function<std::string(std::size_t)>& where);
// A vocabulary file: UTF-8, one token per line (a final line break, and carriage returns before line breaks, allowed),
// checked as vocabulary_tokens checks them, naming the file and line. Throws IoError for a file that cannot be read.
std::vector<std::string> read_vocabulary(const std::filesystem::path& file, const TextSettings& settings);

// `text` with each maximal run of bytes that is not UTF-8 replaced by U+FFFD.
std::string valid_utf8(std::string_view text);

class TextVectorization {
 public:
  TextVectorization() = default;
  // The vocabulary (and, for tf_idf, the document frequencies) of `texts`, or settings.vocabulary's tokens with
  // their document frequencies in `texts`. Throws InvalidArgument when a vocabulary is to be learned from texts that
  // hold no token at all.
  static TextVectorization adapt(const TextSettings& settings, const std::vector<std::string>& texts);
  bool empty() const { return index_.empty(); }
  const TextSettings& settings() const { return settings_; }
  // The tokens a text is read as, standardized, split and joined into n-grams (valid_utf8 first).
  std::vector<std::string> tokens(std::string_view text) const;
  // Every index's token: Keras's get_vocabulary(), "" for padding and "[UNK]" for the out-of-vocabulary index.
  std::vector<std::string> vocabulary() const;
  // What one text becomes: [sequence_length] token indices, or [vocabulary size] values.
  Shape sample_shape() const;
  // The texts as samples of sample_shape(), in `dtype`.
  SampleValues encode(const std::vector<std::string>& texts, DType dtype) const;

  // What a model file keeps: the settings, the learned tokens and, for tf_idf, every index's weight. from_json checks
  // what it reads and throws InvalidArgument naming the field.
  nlohmann::json to_json() const;
  static TextVectorization from_json(const nlohmann::json& j);

 private:
  std::int64_t first_token() const { return reserved_indices(settings_.output); }
  std::int64_t size() const { return first_token() + static_cast<std::int64_t>(tokens_.size()); }
  std::int64_t index_of(const std::string& token) const;
  void index_tokens();

  TextSettings settings_;
  std::vector<std::string> tokens_;  // the learned tokens, in index order from first_token()
  std::vector<double> idf_;          // tf_idf: one weight per index
  std::unordered_map<std::string, std::int64_t> index_;
};

}  // namespace nnplug
