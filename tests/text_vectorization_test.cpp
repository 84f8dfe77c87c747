// Text vectorization against Keras's TextVectorization, by rules worked out by hand: the standardization and splits,
// the vocabulary's order (count, then the tokens' bytes, both descending) and cap, each output mode, tf-idf's
// closed form, the model-file form and what it refuses, and Python's decoding of bytes that are not UTF-8.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>

#include "nnplug/errors.hpp"
#include "nnplug/framework/text_vectorization.hpp"
#include "test_support.hpp"

namespace nnplug::test {
namespace {

using Strings = std::vector<std::string>;

TextSettings settings(TextOutput output, std::int64_t max_tokens = 0, std::int64_t sequence_length = 0) {
  TextSettings s;
  s.output = output, s.max_tokens = max_tokens, s.sequence_length = sequence_length;
  return s;
}

std::vector<double> encoded(const TextVectorization& v, const Strings& texts) {
  const auto values = v.encode(texts, DType::Float64).doubles();
  return {values.begin(), values.end()};
}

// Counts a 3, b 2, c 1, d 1 over three texts; a in all three, b in two, c and d in one each.
const Strings kTexts{"b a c", "a b", "A, d!"};

TEST(TextVectorization, StandardizesAsKerasLowerAndStripPunctuation) {
  const auto v = TextVectorization::adapt(settings(TextOutput::Int), {"x"});
  EXPECT_EQ(v.tokens("Hello,  World!\tIt's\nTIME (déjà) ÉTÉ"), (Strings{"hello", "world", "its", "time", "déjà", "ÉtÉ"}));  // ASCII letters only
  TextSettings none = settings(TextOutput::Int);
  none.standardize = "none";
  EXPECT_EQ(TextVectorization::adapt(none, {"x"}).tokens("Hello, World!"), (Strings{"Hello,", "World!"}));
  none.standardize = "lower";
  EXPECT_EQ(TextVectorization::adapt(none, {"x"}).tokens("Hello, World!"), (Strings{"hello,", "world!"}));
}

TEST(TextVectorization, SplitsIntoCharactersAndNgrams) {
  TextSettings s = settings(TextOutput::Int);
  s.split = "character";
  EXPECT_EQ(TextVectorization::adapt(s, {"x"}).tokens("Ab é!"), (Strings{"a", "b", " ", "é"}));
  s = settings(TextOutput::Int);
  s.ngrams = 3;
  EXPECT_EQ(TextVectorization::adapt(s, {"x"}).tokens("a b c d"), (Strings{"a", "b", "c", "d", "a b", "b c", "c d", "a b c", "b c d"}));
}

TEST(TextVectorization, OrdersTheVocabularyByCountThenByTokenDescending) {
  const auto v = TextVectorization::adapt(settings(TextOutput::Int), kTexts);
  EXPECT_EQ(v.vocabulary(), (Strings{"", "[UNK]", "a", "b", "d", "c"}));  // c and d tie: d first, as Keras's reversed lexsort
  EXPECT_EQ(TextVectorization::adapt(settings(TextOutput::Int, 4), kTexts).vocabulary(), (Strings{"", "[UNK]", "a", "b"}));
  EXPECT_EQ(TextVectorization::adapt(settings(TextOutput::MultiHot, 4), kTexts).vocabulary(), (Strings{"[UNK]", "a", "b", "d"}));
  // The reserved tokens are never learned, however often they appear.
  TextSettings s = settings(TextOutput::Int);
  s.standardize = "none";
  EXPECT_EQ(TextVectorization::adapt(s, {"[UNK] [UNK] z"}).vocabulary(), (Strings{"", "[UNK]", "z"}));
}

TEST(TextVectorization, IntSequencesAreCutOrPaddedAtTheEndOrTheStart) {
  const auto v = TextVectorization::adapt(settings(TextOutput::Int, 0, 3), kTexts);
  EXPECT_EQ(v.sample_shape(), Shape{3});
  EXPECT_EQ(encoded(v, {"a c zebra b", "d"}), (std::vector<double>{2, 5, 1, 4, 0, 0}));
  // Keras's pad_sequences places them at the start: "pre".
  TextSettings front = settings(TextOutput::Int, 0, 3);
  front.pad_front = front.cut_front = true;
  const auto pre = TextVectorization::adapt(front, kTexts);
  EXPECT_EQ(encoded(pre, {"a c zebra b", "d"}), (std::vector<double>{5, 1, 3, 0, 0, 4}));
  EXPECT_EQ(encoded(TextVectorization::from_json(pre.to_json()), {"d"}), (std::vector<double>{0, 0, 4}));  // kept in the model file
  front.cut_front = false;
  EXPECT_EQ(encoded(TextVectorization::adapt(front, kTexts), {"a c zebra b"}), (std::vector<double>{2, 5, 1}));
  // Without sequence_length: the longest training text's tokens.
  EXPECT_EQ(TextVectorization::adapt(settings(TextOutput::Int), {"a", "a b c d e", "b"}).sample_shape(), Shape{5});
}

TEST(TextVectorization, MultiHotAndCountGiveOneValuePerIndex) {
  const auto hot = TextVectorization::adapt(settings(TextOutput::MultiHot), kTexts);  // [UNK] a b d c
  EXPECT_EQ(hot.sample_shape(), Shape{5});
  EXPECT_EQ(encoded(hot, {"a a zebra c", ""}), (std::vector<double>{1, 1, 0, 0, 1, 0, 0, 0, 0, 0}));
  const auto count = TextVectorization::adapt(settings(TextOutput::Count), kTexts);
  EXPECT_EQ(encoded(count, {"a a zebra yak c"}), (std::vector<double>{2, 2, 0, 0, 1}));
}

TEST(TextVectorization, TfIdfWeighsCountsByLogOnePlusDocumentsOverOnePlusDocumentFrequency) {
  const auto v = TextVectorization::adapt(settings(TextOutput::TfIdf), kTexts);  // [UNK] a b d c
  const double a = std::log(1 + 3.0 / 4), b = std::log(1 + 3.0 / 3), d = std::log(1 + 3.0 / 2), c = d;
  const double unknown = (a + b + d + c) / 4;  // the tokens' mean
  const auto values = encoded(v, {"a a b zebra c"});
  const std::vector<double> want{unknown, 2 * a, b, 0, c};
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(values[i], want[i], 1e-15) << "index " << i;
}

TEST(TextVectorization, BytesThatAreNotUtf8ReadAsPythonReplacesThem) {
  // b"...".decode("utf-8", "replace"): one U+FFFD for each maximal ill-formed run.
  EXPECT_EQ(valid_utf8("\xE2\x82" "A"), "\uFFFD" "A");           // a truncated 3-byte character
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), "\uFFFD\uFFFD\uFFFD");  // a surrogate: no byte of it begins a character
  EXPECT_EQ(valid_utf8("\xC0\xAF"), "\uFFFD\uFFFD");            // an overlong form
  EXPECT_EQ(valid_utf8("\xF0\x9F\x98\x80 \xFF"), "\U0001F600 \uFFFD");
  EXPECT_EQ(valid_utf8("caf\xC3\xA9"), "café");
}

TEST(TextVectorization, TheModelFileFormReadsBackAndRefusesDamage) {
  for (const TextOutput output : {TextOutput::Int, TextOutput::MultiHot, TextOutput::TfIdf}) {
    const auto v = TextVectorization::adapt(settings(output, 5), kTexts);
    const auto back = TextVectorization::from_json(v.to_json());
    EXPECT_EQ(back.vocabulary(), v.vocabulary());
    EXPECT_EQ(encoded(back, {"a b zebra d"}), encoded(v, {"a b zebra d"}));
  }
  const nlohmann::json good = TextVectorization::adapt(settings(TextOutput::TfIdf), kTexts).to_json();
  const auto refused = [&](const char* key, const nlohmann::json& value) {
    nlohmann::json j = good;
    j[key] = value;
    return error_of([&] { TextVectorization::from_json(j); });
  };
  EXPECT_EQ(refused("tokens", {"a", "b", "a"}), "'tokens'[2]: \"a\" is given twice");
  EXPECT_EQ(refused("tokens", {"a", "[UNK]"}), "'tokens'[1]: \"[UNK]\" is reserved (padding, or a token outside the vocabulary) and may only open the list");
  EXPECT_EQ(refused("tokens", {"[UNK]", "a"}), "'tokens'[0] is a reserved token; the file keeps the learned tokens alone");
  EXPECT_EQ(refused("idf", {1.0, 2.0}), "'idf' must be a list of 5 weights, one per vocabulary index");
  EXPECT_EQ(refused("output_mode", "bag"), "'output_mode' must be \"int\", \"multi_hot\", \"count\" or \"tf_idf\", got \"bag\"");
  EXPECT_EQ(refused("max_tokens", 3), "'tokens'[3]: the vocabulary holds 4 tokens, more than max_tokens 3 leaves beside the 1 reserved");
  EXPECT_EQ(error_of([] { TextVectorization::from_json(nlohmann::json::array()); }), "must be an object of the text settings and tokens");
}

TEST(TextVectorization, AGivenVocabularyKeepsItsOrderAndTakesTheTextsDocumentFrequencies) {
  TextSettings s = settings(TextOutput::TfIdf);
  s.vocabulary = vocabulary_tokens({"[UNK]", "c", "zebra", "a"}, s, [](std::size_t i) { return fmt::format("entry {}", i); });
  const auto v = TextVectorization::adapt(s, kTexts);
  EXPECT_EQ(v.vocabulary(), (Strings{"[UNK]", "c", "zebra", "a"}));
  const double c = std::log(1 + 3.0 / 2), zebra = std::log(1 + 3.0 / 1), a = std::log(1 + 3.0 / 4);  // zebra: in no text
  const auto values = encoded(v, {"a b c c"});
  const std::vector<double> want{(c + zebra + a) / 3, 2 * c, 0, a};  // b is outside this vocabulary
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(values[i], want[i], 1e-15) << "index " << i;
  const auto where = [](std::size_t i) { return fmt::format("line {}", i + 1); };
  const TextSettings ints = settings(TextOutput::Int, 4);
  EXPECT_EQ(vocabulary_tokens({"", "[UNK]", "x", "y"}, ints, where), (Strings{"x", "y"}));
  EXPECT_EQ(error_of([&] { vocabulary_tokens({"x", ""}, ints, where); }),
            "line 2: \"\" is reserved (padding, or a token outside the vocabulary) and may only open the list");
  EXPECT_EQ(error_of([&] { vocabulary_tokens({"x", "y", "z"}, ints, where); }),
            "line 3: the vocabulary holds 3 tokens, more than max_tokens 4 leaves beside the 2 reserved");
  EXPECT_EQ(error_of([&] { vocabulary_tokens({"", "[UNK]"}, ints, where); }), "line 3: the vocabulary holds no token");
}

TEST(TextVectorization, TextsWithoutATokenAreRefused) {
  EXPECT_EQ(error_of([] { TextVectorization::adapt(settings(TextOutput::Int), {" \t", "!?"}); }),
            "the 2 training texts hold no token to build a vocabulary from");
}

TEST(TextVectorization, TheTextObjectsFieldsAreCheckedByName) {
  const auto error = [](const char* json) { return error_of([&] { text_settings(Params("text", nlohmann::json::parse(json))); }); };
  EXPECT_THAT(error(R"({"output_mode": "multi_hot", "output_sequence_length": 10})"),
              ::testing::HasSubstr("'output_sequence_length' sets the length of output_mode \"int\"'s sequences"));
  EXPECT_THAT(error(R"({"max_tokens": 2})"), ::testing::HasSubstr("'max_tokens' must be >= 3, got 2"));
  EXPECT_THAT(error(R"({"split": "words"})"), ::testing::HasSubstr("'split' must be \"whitespace\" or \"character\", got \"words\""));
  EXPECT_THAT(error(R"({"padding": "left"})"), ::testing::HasSubstr("'padding' must be \"post\" or \"pre\", got \"left\""));
  EXPECT_THAT(error(R"({"output_mode": "count", "truncating": "pre"})"),
              ::testing::HasSubstr("'truncating' places output_mode \"int\"'s sequences; output_mode \"count\" has none"));
  EXPECT_EQ(text_settings(Params("text", nlohmann::json::parse(R"({"output_mode": "count", "max_tokens": 2})"))).max_tokens, 2);
}

}  // namespace
}  // namespace nnplug::test
